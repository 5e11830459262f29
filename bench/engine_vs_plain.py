"""Engine vs a hand-written plain PyTorch loop, per model (and the seed article's naive loop).

Two models, each the same in every variant:
- ``cnn``: Small CNN (width 32, 3 stages) + linear head on random 3x32x32 images, batch 128;
- ``seed``: the ``seed-sequence`` template (frozen MLP encoder 128->64, 4-head SDPA attention
  with residual + LayerNorm, 10 classes per token) on its own synthetic data (B=32, T=100),
  loaded and built exactly as ``ftstudio train`` does (``run.prepare``).

The engine variant is :func:`fit` with a run folder (metrics.csv, checkpoints), as
``ftstudio train`` runs it. The plain loop follows PyTorch's performance tuning guide: AdamW
over trainable parameters only, ``zero_grad(set_to_none=True)``, the loss accumulated on the
device (one sync per epoch), the same DataLoader over the same in-memory tensors. The naive
loop is the seed article's (``zero_grad()``, ``loss.item()`` every step).

Time: the sum of the epochs' training time (first batch to last step), validation and
checkpoints excluded on every side, as wall-clock samples/s and as samples per CPU second of
the process (``time.process_time``: far less sensitive to other jobs on a loaded machine; with
``--threads 1`` it is the work each loop does). Memory (CPU): the process's peak resident set
(VmHWM) while training, and the part of it training added (peak minus the resident set when
training starts, with the peak reset there through /proc/self/clear_refs); GPU: max allocated.
Each variant runs in its own subprocess; variants alternate within a round, and the best of
``--rounds`` rounds is kept (fastest time, lowest memory). The last line is a one-line summary
to compare runs.

    python bench/engine_vs_plain.py [--models cnn,seed] [--rounds 5] [--epochs 2] [--threads 1]
        [--variants plain,engine,naive] [--cnn-samples 800] [--seed-samples 800]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VARIANTS = ("plain", "engine", "naive")
MODELS = ("cnn", "seed")


# ------------------------------------------------------------------ memory


def _status() -> dict[str, int]:
    text = Path("/proc/self/status").read_text()
    return {k: int(re.search(rf"{k}:\s+(\d+)", text).group(1)) for k in ("VmRSS", "VmHWM")}


class Memory:
    """Peak memory of the training part of this process (see the module docstring)."""

    def __init__(self, device):
        self.device = device
        self.start_kib = 0

    def start(self) -> None:
        from ftstudio.core.training.device import reset_peak_memory

        reset_peak_memory(self.device)
        if self.device.type == "cpu":
            Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
            self.start_kib = _status()["VmRSS"]

    def result(self) -> dict[str, float]:
        import torch

        if self.device.type == "cuda":
            peak = torch.cuda.max_memory_allocated(self.device) / 2**20
            return {"peak_mb": peak, "added_mb": peak}
        hwm = _status()["VmHWM"]
        return {"peak_mb": hwm / 1024, "added_mb": (hwm - self.start_kib) / 1024}


# ------------------------------------------------------------------ models and data


def make(model_name: str, device_name: str, epochs: int, samples: int):
    """(project, config, data bundle, model) built as ``ftstudio train`` builds them;
    ``samples`` before the validation split (a fifth of them)."""
    import torch
    from torch.utils.data import TensorDataset

    from ftstudio.core import project as project_io
    from ftstudio.core.builder import build_model
    from ftstudio.core.data import DataBundle, DataConfig
    from ftstudio.core.templates import load_template
    from ftstudio.core.training import parse_training_config
    from ftstudio.core.training.run import prepare

    overrides = {"epochs": epochs, "device": device_name, "log_every": 20}
    if model_name == "seed":
        project = load_template("seed-sequence")
        project.data["samples"] = samples
        config, data, model = prepare(project, overrides)
        return project, config, data, model
    project = project_io.from_dict(
        {
            "format": "ftstudio-project",
            "version": 1,
            "input": {"shape": [3, 32, 32]},
            "task": {"kind": "classification", "num_classes": 10},
            "blocks": [
                {"id": "cnn", "type": "small_cnn", "params": {"width": 32, "stages": 3}},
                {"id": "head", "type": "linear_classifier", "params": {"classes": 10}},
            ],
            "training": {"batch_size": 128, "lr": 1e-3},
        }
    )
    config = parse_training_config(project.training, overrides)
    torch.manual_seed(0)
    model = build_model(project)
    g = torch.Generator().manual_seed(0)
    n_val = samples // 5
    x = torch.randn(samples - n_val, 3, 32, 32, generator=g)
    y = torch.randint(0, 10, (samples - n_val,), generator=g)
    vx = torch.randn(n_val, 3, 32, 32, generator=g)
    vy = torch.randint(0, 10, (n_val,), generator=g)
    data = DataBundle(
        TensorDataset(x, y), TensorDataset(vx, vy), (3, 32, 32), "classification", 10, [],
        DataConfig(),
    )  # fmt: skip
    return project, config, data, model


# ------------------------------------------------------------------ variants


def run_engine(project, config, data, model, device, memory) -> dict:
    from ftstudio.core.builder import parameter_groups
    from ftstudio.core.training import Callback, fit

    class Clock(Callback):
        """Epoch training time: epoch start to the end of its last batch."""

        def __init__(self):
            self.epoch_s: list[float] = []
            self.cpu_s = 0.0

        def on_train_start(self, info):
            memory.start()

        def on_epoch_start(self, epoch):
            self.tic = self.toc = time.perf_counter()
            self.cpu_tic = self.cpu_toc = time.process_time()

        def on_batch_end(self, epoch, batch, step):
            self.toc = time.perf_counter()
            self.cpu_toc = time.process_time()

        def on_epoch_end(self, metrics):
            self.epoch_s.append(self.toc - self.tic)
            self.cpu_s += self.cpu_toc - self.cpu_tic
            self.last = metrics

    clock = Clock()
    groups = parameter_groups(model, project, config.lr)
    for group in groups:
        group.pop("name", None)
    with tempfile.TemporaryDirectory() as run_dir:
        fit(model, data, config, callbacks=[clock], run_dir=run_dir, param_groups=groups)
    return {
        "train_s": sum(clock.epoch_s),
        "cpu_s": clock.cpu_s,
        "samples": len(data.train) * len(clock.epoch_s),
        "train_loss": clock.last["train_loss"],
    }


def run_plain(config, data, model, device, memory, naive: bool) -> dict:
    """The loop of PyTorch's performance tuning guide, written for this bench."""
    import torch
    import torch.nn.functional as F
    from torch.utils.data import DataLoader

    torch.manual_seed(config.seed)
    token = data.task == "token_classification"

    def loss_of(out, y):
        return F.cross_entropy(out.transpose(1, 2) if token else out, y)

    memory.start()
    model.to(device).train()
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    trainable = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trainable, lr=config.lr, weight_decay=config.weight_decay)
    pin = device.type == "cuda"
    loader = DataLoader(data.train, config.batch_size, shuffle=True, pin_memory=pin)
    val_loader = DataLoader(data.val, config.batch_size, pin_memory=pin)
    train_s = cpu_s = 0.0
    for _ in range(config.epochs):
        tic, cpu_tic = time.perf_counter(), time.process_time()
        total = torch.zeros((), device=device)
        for xb, yb in loader:
            xb = xb.to(device, non_blocking=True)
            yb = yb.to(device, non_blocking=True)
            loss = loss_of(model(xb), yb)
            if naive:
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item()  # host sync every step
            else:
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total += loss.detach()
        train_loss = float(total) / len(loader)
        if device.type == "cuda":
            torch.cuda.synchronize()
        train_s += time.perf_counter() - tic
        cpu_s += time.process_time() - cpu_tic
        model.eval()  # validation, not timed (a real loop has it; it counts for memory)
        with torch.no_grad():
            for xb, yb in val_loader:
                loss_of(model(xb.to(device)), yb.to(device))
        model.train()
    return {
        "train_s": train_s,
        "cpu_s": cpu_s,
        "samples": len(data.train) * config.epochs,
        "train_loss": train_loss,
    }


def run_variant(args) -> dict:
    import torch

    from ftstudio.core.training.device import resolve_device

    if args.threads:
        torch.set_num_threads(args.threads)
    samples = args.cnn_samples if args.model == "cnn" else args.seed_samples
    project, config, data, model = make(args.model, args.device, args.epochs, samples)
    device = resolve_device(config.device)
    memory = Memory(device)
    if args.variant == "engine":
        out = run_engine(project, config, data, model, device, memory)
    else:
        out = run_plain(config, data, model, device, memory, args.variant == "naive")
    out.update(memory.result())
    out["samples_per_s"] = out["samples"] / out["train_s"]
    out["samples_per_cpu_s"] = out["samples"] / out["cpu_s"]
    out["device"] = str(device)
    out["batch_size"] = config.batch_size
    return out


# ------------------------------------------------------------------ driver


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cnn-samples", type=int, default=800, help="cnn data (1/5 validation)")
    parser.add_argument("--seed-samples", type=int, default=800, help="seed data (1/5 validation)")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's own)")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--variants", default="plain,engine", help="also: naive")
    parser.add_argument("--model", choices=MODELS, help=argparse.SUPPRESS)
    parser.add_argument("--variant", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(run_variant(args)))
        return 0
    models = [m for m in args.models.split(",") if m]
    variants = [v for v in args.variants.split(",") if v]
    if "plain" not in variants:
        variants.insert(0, "plain")
    best: dict[tuple[str, str], dict] = {}
    load_before = _load()
    for _ in range(args.rounds):
        for model in models:
            for variant in variants:
                cmd = [sys.executable, __file__, "--device", args.device, "--epochs",
                       str(args.epochs), "--model", model, "--variant", variant,
                       "--cnn-samples", str(args.cnn_samples),
                       "--seed-samples", str(args.seed_samples),
                       *(["--threads", str(args.threads)] if args.threads else [])]  # fmt: skip
                out = subprocess.run(cmd, capture_output=True, text=True)
                if out.returncode != 0:
                    sys.stderr.write(out.stderr)
                    return 1
                result = json.loads(out.stdout.strip().splitlines()[-1])
                key = (model, variant)
                if key not in best:
                    best[key] = result
                for metric in ("samples_per_s", "samples_per_cpu_s"):  # best of each
                    best[key][metric] = max(best[key][metric], result[metric])
                for metric in ("peak_mb", "added_mb"):
                    best[key][metric] = min(best[key][metric], result[metric])
    summary = []
    device = best[(models[0], "plain")]["device"]
    threads = args.threads or "torch's default"
    print(f"device {device}, threads {threads}, "
          f"{args.epochs} epochs per run ({args.cnn_samples} cnn, {args.seed_samples} seed "
          f"samples, 4/5 for training), best of {args.rounds} alternating rounds; "
          f"load average before {load_before}, after {_load()}")  # fmt: skip
    header = (f"{'model':<6} {'loop':<7} {'batch':>5} {'samples/s':>10} {'speed x':>8} "
              f"{'per CPU s':>10} {'CPU x':>6} {'peak MiB':>9} {'peak x':>7} "
              f"{'added MiB':>10} {'added x':>8}")  # fmt: skip
    print(header)
    for model in models:
        plain = best[(model, "plain")]
        for variant in variants:
            r = best[(model, variant)]
            speed = r["samples_per_s"] / plain["samples_per_s"]
            cpu = r["samples_per_cpu_s"] / plain["samples_per_cpu_s"]
            peak = r["peak_mb"] / plain["peak_mb"]
            added = r["added_mb"] / max(plain["added_mb"], 1e-9)
            print(
                f"{model:<6} {variant:<7} {r['batch_size']:>5} {r['samples_per_s']:>10.1f} "
                f"{speed:>8.3f} {r['samples_per_cpu_s']:>10.1f} {cpu:>6.3f} "
                f"{r['peak_mb']:>9.1f} {peak:>7.3f} {r['added_mb']:>10.1f} {added:>8.3f}"
            )
            if variant == "engine":
                summary.append(
                    f"{model} speed {speed:.3f}x cpu {cpu:.3f}x peak {peak:.3f}x added {added:.3f}x"
                )
    print("SUMMARY engine/plain: " + "; ".join(summary) + f" (load {_load()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
