"""The generated ``model.py``: readable PyTorch that rebuilds the project's model.

Each block becomes one ``(block id, expression)`` entry of an ``nn.Sequential``, so the
state dict keys are the app's. The expressions come from each block type's ``code``.
"""

from __future__ import annotations

import pprint
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftstudio.core.blocks import custom
from ftstudio.core.blocks.codegen import literal
from ftstudio.core.blocks.registry import format_shape
from ftstudio.core.builder import resolved_params
from ftstudio.core.project import Project
from ftstudio.core.shapes import ValidationReport


@dataclass
class ModelInfo:
    """What ``model.py`` states besides the structure: shapes, task, classes, preprocessing."""

    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    task: str
    class_names: list[str] | None
    preprocessing: dict[str, Any] | None
    frozen: list[str] = field(default_factory=list)
    standardize: dict[str, Any] | None = None  # data.standardize's mean/std per feature


def one_line(text: str) -> str:
    """``text`` safe for a ``#`` comment: one line, no control or other invisible characters
    (a NUL, a line or paragraph separator, a bidi override)."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def doc_text(text: str) -> str:
    """``text`` as one line inside a ``\"\"\"`` docstring: backslashes and quotes escaped, so
    it reads back as written and can never end the string."""
    return one_line(text).replace("\\", "\\\\").replace('"', '\\"')


def block_expressions(project: Project, report: ValidationReport) -> list[tuple[str, str | None]]:
    """``[(block id, expression or None)]``; None where a block cannot be written as code."""
    out = []
    for spec, block in zip(project.blocks, report.blocks, strict=True):
        code = spec.block_type.code
        expr = code(resolved_params(project, spec), block.in_shape) if code else None
        out.append((spec.id, expr))
    return out


def _list(values: list[str]) -> str:
    """A list of strings as a literal; long ones one item per line."""
    text = literal(list(values))
    if len(text) <= 80:
        return text
    return "[\n" + "".join(f"    {literal(v)},\n" for v in values) + "]"


def _constants(info: ModelInfo) -> str:
    prep = pprint.pformat(info.preprocessing, width=92, sort_dicts=False)
    names = _list(info.class_names) if info.class_names is not None else "None"
    return (
        f"INPUT_SHAPE = {literal(tuple(info.input_shape))}\n"
        '"""One sample\'s shape (the batch dimension comes first and is not included)."""\n'
        f"OUTPUT_SHAPE = {literal(tuple(info.output_shape))}\n"
        f"TASK = {literal(info.task)}\n"
        '"""classification, token_classification (outputs (B, T, classes)) or regression."""\n'
        f"CLASS_NAMES = {names}\n"
        f"PREPROCESSING = {prep}\n"
        '"""How images were prepared in FT Studio: the shorter side resized to resize and a\n'
        "centre crop to size (or, without resize, a resize to size), resampled with\n"
        "interpolation (bilinear when absent), scaled to [0, 1] and normalised with mean/std.\n"
        'None: samples are fed as they are."""\n'
        f"FROZEN = {_list(info.frozen)}\n"
        '"""Parameter-name prefixes that were frozen in FT Studio (train.py keeps them frozen)."""\n'
        f"STANDARDIZE = {pprint.pformat(info.standardize, width=92, sort_dicts=False)}\n"
        '"""data.standardize: each feature\'s mean and standard deviation on the training split.\n'
        "The model takes standardized samples: pass raw ones through standardize() first\n"
        '(predict.py and train.py do). None: samples are fed as they are."""\n'
        "\n\n"
        "def standardize(x: torch.Tensor) -> torch.Tensor:\n"
        '    """Raw samples (N, *INPUT_SHAPE) scaled as in FT Studio (as they are without\n'
        '    STANDARDIZE)."""\n'
        "    if STANDARDIZE is None:\n"
        "        return x\n"
        '    mean = torch.tensor(STANDARDIZE["mean"], dtype=torch.float64)\n'
        '    std = torch.tensor(STANDARDIZE["std"], dtype=torch.float64)\n'
        "    return ((x.double() - mean) / std).to(x.dtype)\n"
    )


def _header(project: Project, needs: set[str], custom_modules: tuple[str, ...] = ()) -> str:
    deps = ", ".join(["torch", *(n for n in ("torchvision", "timm") if n in needs)])
    title = one_line(project.name) or "model"
    imports = ["from __future__ import annotations", ""]
    if "OrderedDict" in needs:
        imports.append("from collections import OrderedDict")
    imports += ["from pathlib import Path", ""]
    if "timm" in needs:
        imports.append("import timm  # pip install timm (FT Studio's timm backbone block)")
    imports.append("import torch")
    if "torchvision" in needs:
        imports.append("import torchvision")
    imports.append("from torch import nn")
    if "layers" in needs:
        imports += [
            "",
            "try:  # imported as part of a package",
            "    from . import layers",
            "except ImportError:  # run from this folder",
            "    import layers",
        ]
    for name in custom_modules:  # the user's blocks files, copied next to model.py
        imports += [
            "",
            f"try:  # your custom blocks ({name}.py, copied from your blocks file)",
            f"    from . import {name}",
            "except ImportError:  # run from this folder",
            f"    import {name}",
        ]
    example = "    outputs = model(torch.zeros(8, *INPUT_SHAPE))\n"
    if project.input.dtype == "int64":  # token ids: the encoder and its tokenizer
        deps += ", transformers, tokenizers"
        example = (
            "    outputs = model(torch.ones(8, *INPUT_SHAPE, dtype=torch.long))  # token ids\n"
            '    (python predict.py "some text" tokenises raw text with text_encoder/)\n'
        )
    return (
        f'"""{doc_text(title)}: a model exported from FT Studio.\n\n'
        f"Plain PyTorch; it needs {deps} and safetensors, not FT Studio.\n\n"
        "    from model import load_model\n"
        "    model = load_model()  # weights from model.safetensors, in eval mode\n"
        + example
        + '"""\n\n'
        + "\n".join(imports)
        + "\n\nHERE = Path(__file__).resolve().parent\n"
    )


def _load_model(default: str) -> str:
    return f'''

def load_model(weights: str | Path = {literal(default)}, device: str = "cpu") -> nn.Module:
    """The model with trained weights, on ``device``, in eval mode.

    ``weights`` is a .safetensors file or a state dict saved with torch.save; a relative path
    that does not exist from the current folder is looked up next to this file.
    """
    path = Path(weights)
    if not path.is_absolute() and not path.exists():
        path = HERE / path
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        state = load_file(str(path))
    else:
        import pickle

        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError:
            raise ValueError(
                f"{{path}} holds Python objects besides tensors; load_model reads weights only "
                "(a state dict saved with torch.save(model.state_dict(), path), or .safetensors)"
            ) from None
    model = build_model()
    model.load_state_dict(state)
    return model.to(device).eval()
'''


def model_source(
    project: Project, report: ValidationReport, info: ModelInfo, torchscript: bool = False
) -> str:
    """The text of ``model.py``.

    Parameters
    ----------
    project, report : Project, ValidationReport
        The project and its (valid) validation report, for shapes and block names.
    info : ModelInfo
        Constants written at the top of the file.
    torchscript : bool
        True when some block has no code: ``build_model`` then loads the whole model's
        structure from ``model.ts`` instead of constructing it.
    """
    if torchscript:
        body = (
            "\n\ndef build_model() -> nn.Module:\n"
            '    """The model\'s structure, from model.ts (TorchScript, traced in eval mode).\n\n'
            "    A block of this project is a TorchScript file with no Python code, so the whole\n"
            "    model is exported as TorchScript. Submodules are named by block id:\n"
            + "".join(
                f"    {b.block_id}: {doc_text(b.label)} [{b.type}] "
                f"{format_shape(b.in_shape)} -> {format_shape(b.out_shape)}\n"
                for b in report.blocks
            )
            + '    """\n'
            '    return torch.jit.load(str(HERE / "model.ts"), map_location="cpu")\n'
        )
        return (
            _header(project, set())
            + "\n"
            + _constants(info)
            + body
            + _load_model("model.safetensors")
        )
    entries = []
    for (block_id, expr), b in zip(block_expressions(project, report), report.blocks, strict=True):
        spec = project.block(block_id)
        state = " (frozen)" if spec.trains_nothing else ""
        if spec.frozen_stages and not spec.trains_nothing:
            state = f" (frozen stages: {', '.join(spec.frozen_stages)})"
        comment = (
            f"# {one_line(b.label)} [{b.type}]: {format_shape(b.in_shape)} -> "
            f"{format_shape(b.out_shape)}{state}"
        )
        expr = (expr or "").replace("\n", "\n                ")
        entries.append(f"                {comment}\n                ({literal(block_id)}, {expr}),")
    source = "\n".join(entries)
    needs = {"OrderedDict"} | {n for n in ("torchvision", "timm", "layers") if f"{n}." in source}
    # token ids: the first block's padding mask reaches attention and pooling blocks
    sequential = "layers.MaskedSequential" if project.input.dtype == "int64" else "nn.Sequential"
    needs |= {"layers"} if project.input.dtype == "int64" else set()
    body = (
        f"\n\ndef build_model() -> {sequential}:\n"
        '    """The model\'s structure with fresh weights; submodules are named by block id."""\n'
        f"    return {sequential}(\n"
        "        OrderedDict(\n"
        "            [\n"
        f"{source}\n"
        "            ]\n"
        "        )\n"
        "    )\n"
    )
    modules = tuple(custom_files(project))
    return (
        _header(project, needs, modules)
        + "\n"
        + _constants(info)
        + body
        + _load_model("model.safetensors")
    )


def custom_files(project: Project) -> dict[str, Path]:
    """``{module name: blocks file}`` for the project's custom blocks, in block order."""
    out: dict[str, Path] = {}
    for spec in project.blocks:
        record = custom.file_of(spec.type)
        if record is not None:
            out.setdefault(record.export_module, record.path)
    return out
