"""The "Backbone from file" block: a TorchScript archive, or a state dict in a torchvision
architecture, recognised from the file (``architecture: auto``) or named by the user."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ftstudio.core.blocks import codegen
from ftstudio.core.blocks.backbones import (
    OUTPUT,
    _build_torchvision,
    _require_file,
    _ScriptedBackbone,
    architecture_preprocessing,
    torchvision_architectures,
)
from ftstudio.core.blocks.registry import BlockType, Shape, register
from ftstudio.core.blocks.weight_files import (
    AUTO,
    TORCHSCRIPT,
    fit_architecture,
    guess_architecture,
    inspect_file,
    mismatch_remedy,
    resolve_architecture,
)
from ftstudio.core.errors import FTStudioError, WeightsUnavailableError
from ftstudio.core.lazy import LazyChoices
from ftstudio.core.params import Param
from ftstudio.core.weights import describe_load_failure, is_torchscript

TITLE = "Backbone from file"
WEIGHTS_PREP = "weights"


def file_architecture(params: dict[str, Any]) -> str:
    """The architecture the block uses: ``torchscript`` or a torchvision name.

    ``auto`` is resolved from the file; an explicit choice that contradicts the file's kind
    is refused with what the file is.
    """
    path, arch = params["path"], params["architecture"]
    if not path:
        raise WeightsUnavailableError("choose a file (.pt, .pth, .safetensors or TorchScript).")
    _require_file(path)  # checked in validation too: no surprise later
    if arch == TORCHSCRIPT and not is_torchscript(path):
        inspect_file(path)  # a file of no kind FT Studio reads says why
        guess = guess_architecture(path)
        fits = f" (it fits {guess.arch})" if guess.arch else ""
        raise WeightsUnavailableError(
            f"{path} is a state dict{fits}, not a TorchScript archive. Set the "
            "architecture to 'auto' to have it recognised."
        )
    kind = inspect_file(path).kind
    if arch not in (AUTO, TORCHSCRIPT) and kind == TORCHSCRIPT:
        raise WeightsUnavailableError(
            f"{path} is a TorchScript archive, not a state dict for {arch}. Set the "
            "architecture to 'auto' or 'torchscript'."
        )
    return resolve_architecture(path, arch)


def _build(params: dict[str, Any], in_shape: Shape, load_weights: bool) -> nn.Module:
    path = params["path"]
    arch = file_architecture(params)
    if arch == TORCHSCRIPT:
        try:
            return _ScriptedBackbone(torch.jit.load(path, map_location="cpu"))
        except Exception as exc:  # noqa: BLE001
            raise WeightsUnavailableError(
                f"{path} looks like a TorchScript archive but could not be loaded "
                f"({describe_load_failure(exc)})."
            ) from exc
    return _build_torchvision(
        {
            "architecture": arch,
            "weights": "file",  # validation checks names and shapes; a build loads
            "weights_file": path,
            "output": params["output"],
        },
        in_shape,
        load_weights,
        remedy=lambda fit: mismatch_remedy(path, arch, fit),
    )


def _code(params: dict[str, Any], in_shape: Shape) -> str | None:
    """A state dict in a torchvision architecture is code; a TorchScript file is not."""
    arch = file_architecture(params)
    if arch == TORCHSCRIPT:
        return None
    return codegen.torchvision_backbone(arch, params["output"])


def _preprocessing(params: dict[str, Any]) -> dict[str, Any] | None:
    """For a torchvision architecture, the mean/std (and resize/crop ratio) of its ImageNet
    weights, which a file fine-tuned from them expects; the project's input size rules."""
    if params.get("preprocessing") != WEIGHTS_PREP or not params.get("path"):
        return None
    try:
        arch = file_architecture(params)
    except FTStudioError:
        return None
    base = architecture_preprocessing(arch) if arch != TORCHSCRIPT else None
    if base is None:
        return None
    return {
        "input_shape": None,  # the project's
        "resize": None,
        "resize_ratio": base["resize"] / base["input_shape"][1],
        "mean": base["mean"],
        "std": base["std"],
        "source": f"{base['source']} preprocessing ({arch}), at the project's input size",
    }


def describe_preprocessing(params: dict[str, Any]) -> str:
    """The images' preprocessing in a few words, for the block's status."""
    prep = _preprocessing(params)
    if prep is None:
        return "images: the project's input size, mean = std = 0.5"
    resize = round(224 * prep["resize_ratio"])
    mean = ", ".join(f"{v:.3f}" for v in prep["mean"])
    std = ", ".join(f"{v:.3f}" for v in prep["std"])
    weights = prep["source"].split(" preprocessing")[0]
    return (
        f"images prepared as for {weights}: shorter side resized to {resize}/224 of the input "
        f"size, centre crop, mean ({mean}), std ({std})"
    )


def _note(params: dict[str, Any]) -> str:
    """The block's status: the architecture in use, how it was found and what was adapted."""
    arch = file_architecture(params)
    guessed = params["architecture"] == AUTO
    if arch == TORCHSCRIPT:
        return "TorchScript archive" + (" (recognised from the file)" if guessed else "")
    parts = [arch + (" (guessed from the file)" if guessed else "")]
    info = inspect_file(params["path"])
    if info.where:
        parts.append(f"weights read from the checkpoint's {info.where}")
    fit = fit_architecture(params["path"], arch)
    if fit is not None:
        if fit.describe():
            parts.append(fit.describe())
        if fit.ignored:
            parts.append(f"the file's head ({', '.join(fit.ignored)}) left out")
    parts.append(describe_preprocessing(params))
    return "; ".join(parts)


register(
    BlockType(
        name="backbone_from_file",
        title=TITLE,
        category="Backbones",
        description="A TorchScript file, or a state dict (.pt/.pth/.safetensors, checkpoints "
        "included) in a torchvision architecture, recognised from the file.",
        params=(
            Param("path", "path", "", "TorchScript or state-dict file"),
            Param(
                "architecture",
                "choice",
                AUTO,
                "auto: recognised from the file (TorchScript, or the torchvision architecture "
                "whose names and shapes the state dict fits); or name it",
                choices=LazyChoices(lambda: (AUTO, TORCHSCRIPT, *torchvision_architectures())),
            ),
            OUTPUT,
            Param(
                "preprocessing",
                "choice",
                WEIGHTS_PREP,
                "how images are prepared: 'weights': the mean/std and resize/crop of the "
                "architecture's ImageNet weights (which files fine-tuned from them expect), at "
                "the project's input size; 'project': mean = std = 0.5",
                choices=(WEIGHTS_PREP, "project"),
            ),
        ),
        accepts=("image",),
        build=_build,
        preprocessing=_preprocessing,
        code=_code,
        note=_note,
    )
)
