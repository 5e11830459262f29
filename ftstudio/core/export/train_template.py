"""The exported ``train.py``: the project's training run as one plain PyTorch script.

It reproduces what ``ftstudio train`` does (:mod:`ftstudio.core.training`): the project's data
source and split (:mod:`~ftstudio.core.export.train_data`), optimizer over one group per
block with its ``lr_scale``, the schedule with warmup, freezing (frozen blocks stay in eval
mode), label smoothing, gradient clipping, AMP, early stopping, atomic checkpoints with
``--resume``, and DistributedDataParallel under ``torchrun``. Only the code of the settings the
project uses is written: the script stays short enough for a person to change.

Lines of the text in :mod:`~ftstudio.core.export.train_text` ending in ``#@name`` are kept only when the feature ``name`` is on
(``#@!name``: only when it is off); the marker is removed.
"""

from __future__ import annotations

import re

import torch
from torch import nn

from ftstudio.core.blocks.codegen import literal
from ftstudio.core.builder import build_model
from ftstudio.core.errors import FTStudioError
from ftstudio.core.export.model_source import ModelInfo, doc_text
from ftstudio.core.export.train_data import DataCode
from ftstudio.core.export.train_text import EVALUATE, LOOP, MODEL
from ftstudio.core.project import Project
from ftstudio.core.training.config import TrainConfig, parse_training_config
from ftstudio.core.training.optim import ONE_CYCLE_PEAK, ONE_CYCLE_START


def _step(config: TrainConfig, fp16: bool) -> str:
    """The lines from backward() to the scheduler's step, indented for the batch loop."""
    accum = config.grad_accumulation > 1
    loss = "loss / GRAD_ACCUMULATION" if accum else "loss"
    backward = (
        f"scaler.scale({loss}).backward()"
        if fp16
        else (f"({loss}).backward()" if accum else "loss.backward()")
    )
    lines = []
    if config.grad_clip > 0:
        if fp16:
            lines.append("scaler.unscale_(optimizer)")
        lines.append("nn.utils.clip_grad_norm_(params, GRAD_CLIP)")
    lines += ["scaler.step(optimizer)", "scaler.update()"] if fp16 else ["optimizer.step()"]
    lines.append("optimizer.zero_grad(set_to_none=True)")
    if _has_schedule(config):
        lines.append("scheduler.step()")
    pad = " " * 12
    out = f"{pad}{backward}\n"
    if accum:
        out += f"{pad}if (batch + 1) % GRAD_ACCUMULATION == 0 or batch + 1 == len(loader):\n"
        pad += "    "
    return out + "".join(f"{pad}{line}\n" for line in lines)


def _has_schedule(config: TrainConfig) -> bool:
    return config.schedule != "none" or config.warmup_epochs > 0


def _schedule(config: TrainConfig) -> str:
    """``lr_factor``: the multiplier of each group's lr at an optimizer step."""
    head = (
        "\n\ndef lr_factor(step: int, steps_per_epoch: int, epochs: int) -> float:\n"
        '    """The lr multiplier at optimizer step ``step``:\n'
        f'    {_schedule_doc(config)}."""\n'
    )
    warmup = (
        "    warmup = int(WARMUP_EPOCHS * steps_per_epoch)\n"
        "    if step < warmup:\n"
        "        return (step + 1) / (warmup + 1)\n"
    )
    total = "    total = max(1, epochs * steps_per_epoch)\n"
    if config.schedule == "one-cycle":
        return (
            head
            + total
            + (
                f"    peak = max(int(WARMUP_EPOCHS * steps_per_epoch), int({ONE_CYCLE_PEAK} * total), 1)\n"
                "    if step < peak:\n"
                f"        return {ONE_CYCLE_START!r} + (1 - {ONE_CYCLE_START!r}) * step / peak\n"
                "    t = (step - peak) / max(1, total - peak)\n"
                "    return 1e-4 + (1 - 1e-4) * 0.5 * (1 + math.cos(math.pi * min(1.0, t)))\n"
            )
        )
    if config.schedule == "cosine":
        return (
            head
            + total
            + warmup
            + (
                "    t = (step - warmup) / max(1, total - warmup)\n"
                "    return 0.5 * (1 + math.cos(math.pi * min(1.0, t)))\n"
            )
        )
    if config.schedule == "step":
        return (
            head + warmup + ("    return STEP_GAMMA ** (step // (STEP_EPOCHS * steps_per_epoch))\n")
        )
    return head + warmup + "    return 1.0\n"


def _schedule_doc(config: TrainConfig) -> str:
    warm = "linear warmup over WARMUP_EPOCHS, then "
    return {
        "one-cycle": "one cycle, from lr/25 up to lr (at 30% of the steps, or after the "
        "warmup) and down to ~0",
        "cosine": warm + "cosine decay to 0",
        "step": warm + "times STEP_GAMMA every STEP_EPOCHS epochs",
        "none": warm + "constant",
    }[config.schedule]


def _loss(task: str, smoothing: bool) -> str:
    arg = ", label_smoothing=smoothing" if smoothing else ""
    sig = "out: torch.Tensor, y: torch.Tensor" + (", smoothing: float = 0.0" if smoothing else "")
    if task == "regression":
        body = "    return F.mse_loss(out.float(), y)\n"
        stats = "    return (out.detach().float() - y).abs().sum(), y.numel()\n"
    else:
        logits = "out.float().transpose(1, 2)" if task == "token_classification" else "out.float()"
        note = "  # (B, T, C) -> (B, C, T)" if task == "token_classification" else ""
        body = f"    return F.cross_entropy({logits}, y{arg}){note}\n"
        stats = "    return (out.detach().argmax(-1) == y).sum(), y.numel()\n"
        if task == "token_classification":  # label -100: padding, later sub-tokens (text)
            stats = (
                "    keep = y >= 0  # -100: ignored positions (padding, later sub-tokens)\n"
                "    return ((out.detach().argmax(-1) == y) & keep).sum(), int(keep.sum())\n"
            )
    what = "absolute error" if task == "regression" else "correct predictions"
    return (
        f"\n\ndef loss_fn({sig}) -> torch.Tensor:\n{body}"
        "\n\ndef batch_stats(out: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, int]:\n"
        f'    """Sum of {what} in a batch, and the count (no sync with the device)."""\n{stats}'
    )


_TAG = re.compile(r"  #@(!?)(\w+)$")


def select_lines(text: str, features: dict[str, bool]) -> str:
    """Keep the lines whose ``#@name`` feature is on (``#@!name``: off), markers removed."""
    out = []
    for line in text.splitlines(keepends=True):
        match = _TAG.search(line.rstrip("\n"))
        if match is None:
            out.append(line)
        elif features[match.group(2)] != (match.group(1) == "!"):
            out.append(line[: match.start()] + "\n")
    return "".join(out)


def _settings(config: TrainConfig, data: DataCode, lr_scales: dict[str, float], monitor: str):
    """The ``NAME = value`` block of the project's settings, commented."""
    c = config
    lines = ["# The project's settings in FT Studio; the command line overrides some (--help)."]
    lines += data.settings()
    lines += [f"EPOCHS = {c.epochs}", f"BATCH_SIZE = {c.batch_size}", f"LR = {c.lr!r}"]
    if c.optimizer in ("adamw", "adam") or c.weight_decay:
        lines.append(f"WEIGHT_DECAY = {c.weight_decay!r}")
    if c.optimizer == "sgd":
        lines.append(f"MOMENTUM = {c.momentum!r}")
    if _has_schedule(c):
        lines.append(f"WARMUP_EPOCHS = {c.warmup_epochs!r}")
    if c.schedule == "step":
        lines += [f"STEP_EPOCHS = {c.step_epochs}", f"STEP_GAMMA = {c.step_gamma!r}"]
    if c.label_smoothing > 0:
        lines.append(f"LABEL_SMOOTHING = {c.label_smoothing!r}")
    if c.grad_clip > 0:
        lines.append(f"GRAD_CLIP = {c.grad_clip!r}  # maximum gradient norm")
    if c.grad_accumulation > 1:
        lines.append(f"GRAD_ACCUMULATION = {c.grad_accumulation}  # batches per optimizer step")
    if c.early_stopping_patience:
        lines.append(f"PATIENCE = {c.early_stopping_patience}  # epochs without a better MONITOR")
    lines.append(f"MONITOR = {literal(monitor)}  # picks best.pt (and early stopping)")
    lines += [f"SEED = {c.seed}", f"DEVICE = {literal(c.device)}"]
    scales = "{" + ", ".join(f"{literal(k)}: {v!r}" for k, v in lr_scales.items()) + "}"
    lines.append(f"LR_SCALES = {scales}")
    lines.append(
        '"""Each trainable block\'s learning-rate scale (its optimizer group\'s lr = LR * scale)."""'
    )
    return "\n".join(lines) + "\n"


def _imports(body: str) -> str:
    """The imports ``body`` uses, sorted as ruff's isort rule wants them."""
    modules = {"argparse", "io", "json", "math", "os", "pickle", "sys"} | (
        {"csv"} if "csv." in body else set()
    )
    lines = ["from __future__ import annotations", ""]
    lines += [f"import {m}" for m in sorted(modules)]
    lines += ["from pathlib import Path", ""]
    if "np." in body:
        lines.append("import numpy as np")
    lines += [
        "import torch",
        "import torch.distributed as dist",
        "import torch.nn.functional as F",
        "from safetensors import safe_open",
        "from safetensors.torch import save as safetensors_bytes",
        "from torch import nn",
        "from torch.nn.parallel import DistributedDataParallel",
    ]
    loaders = ["DataLoader", "Dataset", "DistributedSampler"]
    if "TensorDataset(" in body:
        loaders.append("TensorDataset")
    lines.append(f"from torch.utils.data import {', '.join(loaders)}")
    return "\n".join(lines) + "\n"


def trainable_scales(model: nn.Module, project: Project) -> dict[str, float]:
    """``{block id: lr_scale}`` of the blocks with trainable parameters, in stack order (the
    optimizer groups :func:`ftstudio.core.builder.parameter_groups` makes)."""
    return {
        spec.id: float(spec.lr_scale)
        for spec in project.blocks
        if spec.lr_scale > 0
        and any(p.requires_grad for p in model.get_submodule(spec.id).parameters())
    }


def seeded_model(project: Project, load_weights: bool = True) -> nn.Module:
    """The project's model as ``ftstudio train`` starts it: built right after seeding torch
    with ``training.seed``, so fresh layers get the same initial weights (the global random
    state is left as it was)."""
    try:
        seed = parse_training_config(project.training).seed
    except FTStudioError:
        seed = 0  # the export still works; train.py reports the bad setting
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build_model(project, load_weights=load_weights)


def train_script(project: Project, info: ModelInfo, model: nn.Module) -> str:
    """The text of ``train.py`` for ``project``.

    Parameters
    ----------
    project : Project
        The project; its ``data`` and ``training`` sections are written as settings.
    info : ModelInfo
        What ``model.py`` states (input shape, task).
    model : nn.Module
        The built model with the project's freezing applied (for the trainable blocks).
    """
    config = parse_training_config(project.training)
    data = DataCode(project, tuple(info.input_shape) or None)
    task = project.task.kind
    metric = "mae" if task == "regression" else "accuracy"
    has_val = data.val_config is not None or data.config.val_fraction > 0
    monitor = config.monitor if has_val else "train_loss"
    if monitor not in ("val_loss", f"val_{metric}", "train_loss"):
        monitor = "val_loss"
    amp = config.amp != "off"
    fp16 = config.amp == "fp16"
    image_input = len(info.input_shape) == 3
    features = {
        "path": data.has_path,
        "valpath": data.has_path and data.val_config is not None,
        "std": data.standardize,
        "channels_last": config.channels_last and image_input,
        "clip": config.grad_clip > 0,
        "workers": data.num_workers > 0,
        "val": has_val,
        "val_workers": has_val and data.num_workers > 0,
        "val_plain": has_val and not data.num_workers,
        "sched": _has_schedule(config),
        "sched_plain": _has_schedule(config) and config.grad_accumulation == 1,
        "sched_accum": _has_schedule(config) and config.grad_accumulation > 1,
        "fp16": fp16,
        "compile": config.compile,
        "accum": config.grad_accumulation > 1,
        "amp": amp,
        "early": config.early_stopping_patience > 0,
    }
    amp_dtype = "torch.float16" if fp16 else "torch.bfloat16"
    smoothing = config.label_smoothing > 0
    train_loss = "loss_fn(out, y, LABEL_SMOOTHING)" if smoothing else "loss_fn(out, y)"
    opt_call = {
        "adamw": "torch.optim.AdamW(groups, lr=lr, weight_decay=WEIGHT_DECAY)",
        "adam": "torch.optim.Adam(groups, lr=lr, weight_decay=WEIGHT_DECAY)",
        "sgd": "torch.optim.SGD(groups, lr=lr, momentum=MOMENTUM, weight_decay="
        + ("WEIGHT_DECAY)" if config.weight_decay else "0.0)"),
    }[config.optimizer]
    opt_name = {"adamw": "AdamW", "adam": "Adam", "sgd": "SGD with momentum"}[config.optimizer]
    loop = LOOP.replace("@STEP@", _step(config, fp16))
    body = (
        data.functions()
        + MODEL.replace("@OPT_NAME@", opt_name).replace("@OPT_CALL@", opt_call)
        + (_schedule(config) if features["sched"] else "")
        + _loss(task, smoothing)
        + (EVALUATE if has_val else "")
        + loop
    )
    for key, value in {
        "AMP_DTYPE": amp_dtype,
        "TRAIN_LOSS": train_loss,
        "METRIC": metric,
        "BETTER": ">" if monitor == "val_accuracy" else "<",
    }.items():
        body = body.replace(f"@{key}@", value)
    body = select_lines(body, features)
    names = ["FROZEN", "load_model"]
    header = (
        f'"""Train "{doc_text(project.name)}" as FT Studio trains it, without FT Studio.\n\n'
        "    python train.py [--epochs N] [--lr LR] [--out run] [--resume run/checkpoints/last.pt]\n"
        "    torchrun --nproc-per-node N train.py [...]   # DistributedDataParallel\n\n"
        f"Data: {doc_text(data.described())}.\n"
        "Starting weights: model.safetensors (--weights): the weights FT Studio starts from, or\n"
        "the trained ones when the export was made from a checkpoint.\n"
        "The settings below are the project's; frozen blocks stay frozen and in eval mode.\n"
        "Process 0 writes OUT/checkpoints/last.pt and best.pt (atomically; --resume continues\n"
        "from one), OUT/model.safetensors (the trained weights) and OUT/summary.json.\n"
        '"""\n\n'
    )
    code = (
        header
        + _imports(body)
        + "\nHERE = Path(__file__).resolve().parent\n"
        + "sys.path.insert(0, str(HERE))\n"
        + f"from model import {', '.join(names)}  # noqa: E402\n\n"
        + _settings(config, data, trainable_scales(model, project), monitor)
        + body
    )
    return code
