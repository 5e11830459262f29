"""Backbone blocks: torchvision classifiers and a small CNN (files: see backbone_file)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from ftstudio.core.blocks import codegen, layers
from ftstudio.core.blocks.arch_signatures import torchvision_architectures
from ftstudio.core.blocks.registry import BlockType, Shape, register
from ftstudio.core.blocks.weight_files import fit_architecture, inspect_file, mismatch_remedy
from ftstudio.core.errors import ShapeMismatch, WeightsUnavailableError
from ftstudio.core.files import require_regular_file
from ftstudio.core.lazy import LazyChoices, LazyModule
from ftstudio.core.params import Param
from ftstudio.core.state_dicts import KeyFit
from ftstudio.core.weights import (
    apply_weights_file,
    load_into,
    load_torchvision_weights,
    uncached_weights_warning,
)

torchvision = LazyModule("torchvision")

OUTPUT = Param(
    "output",
    "choice",
    "pooled",
    "pooled feature vector, or the last feature map",
    choices=("pooled", "feature_map"),
)


def _torchvision_preprocessing(params: dict[str, Any]) -> dict[str, Any] | None:
    """The resize, crop and mean/std of torchvision's pretrained weights, when they are used.

    Random initialisation (``none``) and one's own weights (``file``) imply nothing: the
    project's input shape rules, as for any other first block.
    """
    if params.get("weights") != "DEFAULT":
        return None
    return architecture_preprocessing(params["architecture"])


def architecture_preprocessing(arch: str) -> dict[str, Any] | None:
    """The resize, crop and mean/std of ``arch``'s default pretrained weights (None: none)."""
    try:
        weights = torchvision.models.get_model_weights(arch).DEFAULT
    except (ValueError, KeyError):
        return None
    t = weights.transforms()
    crop = t.crop_size[0]
    return {
        "input_shape": [3, crop, crop],
        "resize": t.resize_size[0],
        "mean": list(t.mean),
        "std": list(t.std),
        "source": str(weights),
    }


def _torchvision_note(params: dict[str, Any]) -> str:
    """With a weights file: what was adapted to load it (prefix stripped, head left out)."""
    path = params.get("weights_file")
    if params.get("weights") != "file" or not path:
        return ""
    info = inspect_file(path)
    fit = fit_architecture(path, params["architecture"])
    parts = [f"weights read from the checkpoint's {info.where}"] if info.where else []
    if fit is not None:
        parts += [fit.describe()] if fit.describe() else []
        parts += [f"the file's head ({', '.join(fit.ignored)}) left out"] if fit.ignored else []
    return "; ".join(parts)


def _torchvision_warnings(params: dict[str, Any]) -> list[str]:
    """Pretrained weights not in the local cache: said before training, not at build time."""
    if params.get("weights") != "DEFAULT":
        return []
    try:
        weights = torchvision.models.get_model_weights(params["architecture"]).DEFAULT
    except (ValueError, KeyError):
        return []
    warning = uncached_weights_warning(weights, params["architecture"])
    return [warning] if warning else []


def _check_channels(in_shape: Shape, channels: int, title: str) -> None:
    if in_shape[0] != channels:
        raise ShapeMismatch(
            f"{title} expects {channels} input channels; got {in_shape[0]} in "
            f"(B, {', '.join(map(str, in_shape))}). Insert 'Channel projection (1x1 conv)' before "
            f"it, or set the data's channels to {channels}.",
            expected=f"(B, {channels}, H, W)",
            got=f"(B, {', '.join(map(str, in_shape))})",
            fix="channel_projection",
        )


def _build_torchvision(
    params: dict[str, Any],
    in_shape: Shape,
    load_weights: bool,
    remedy: Callable[[KeyFit], str] | None = None,
) -> nn.Module:
    arch = params["architecture"]
    _check_channels(in_shape, 3, f"Backbone '{arch}'")
    model = torchvision.models.get_model(arch, weights=None)
    if load_weights and params["weights"] == "DEFAULT":
        weights = torchvision.models.get_model_weights(arch).DEFAULT
        load_into(model, load_torchvision_weights(weights, arch), str(weights))
    elif params["weights"] == "file":
        path = params["weights_file"]
        if not path:
            raise WeightsUnavailableError("weights is 'file' but no file is chosen.")
        _require_file(path)
        head = layers.last_linear_path(model)
        apply_weights_file(
            model,
            path,
            load_weights,
            ignore=(head + ".",) if head else (),
            remedy=remedy or (lambda fit: mismatch_remedy(path, arch, fit)),
        )
    if (
        params["output"] == "feature_map"
        and not hasattr(model, "features")
        and not hasattr(model, "layer4")
        and not hasattr(model, "trunk_output")
    ):
        raise ShapeMismatch(
            f"Backbone '{arch}' has no convolutional feature map; set output to 'pooled'."
        )
    return layers.TorchvisionBackbone(model, params["output"])


register(
    BlockType(
        name="torchvision_backbone",
        title="Pretrained backbone",
        category="Backbones",
        description="A torchvision classification model with its head removed (resnet, mobilenet, "
        "efficientnet, convnext, vit...).",
        params=(
            Param(
                "architecture",
                "choice",
                "resnet18",
                "torchvision model name",
                choices=LazyChoices(torchvision_architectures),
            ),
            Param(
                "weights",
                "choice",
                "DEFAULT",
                "DEFAULT: torchvision's pretrained weights; none: "
                "random init; file: a local state dict",
                choices=("DEFAULT", "none", "file"),
            ),
            Param(
                "weights_file",
                "path",
                "",
                "local .safetensors/.pt/.pth file when weights is 'file'",
            ),
            OUTPUT,
        ),
        accepts=("image",),
        build=_build_torchvision,
        preprocessing=_torchvision_preprocessing,
        warnings=_torchvision_warnings,
        note=_torchvision_note,
        code=lambda p, s: codegen.torchvision_backbone(p["architecture"], p["output"]),
    )
)


class _ScriptedBackbone(nn.Module):
    def __init__(self, scripted: nn.Module):
        super().__init__()
        self.scripted = scripted

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scripted(x)

    def freeze_units(self) -> dict[str, list]:
        """The scripted module's top-level children that hold weights, by name: a wrapper
        with a single child is looked through, and torchvision's ``features`` sequence is
        split into its parts (``features.0``, ``features.1``...) as the built-in block does."""
        module = self.scripted
        children = _weighted_children(module)
        while len(children) == 1 and not _has_state(module, recurse=False):
            module = children[0][1]
            children = _weighted_children(module)
        units: dict[str, list] = {}
        for name, child in children:
            parts = _weighted_children(child) if name == "features" else []
            units.update({f"{name}.{n}": [c] for n, c in parts} or {name: [child]})
        return units


def _weighted_children(module: nn.Module) -> list[tuple[str, nn.Module]]:
    return [(n, c) for n, c in module.named_children() if _has_state(c)]


def _has_state(module: nn.Module, recurse: bool = True) -> bool:
    tensors = [*module.parameters(recurse=recurse), *module.buffers(recurse=recurse)]
    return bool(tensors)


def _require_file(path: str, remedy: str = "") -> None:
    """A block's weights file exists; the message leaves naming the block to the caller."""
    hint = f"Pick an existing file in the block's settings{remedy}."
    require_regular_file(path, "", WeightsUnavailableError, hint)


def _small_cnn(params: dict[str, Any], in_shape: Shape) -> codegen.Call:
    pooled = params["output"] == "pooled"
    return codegen.make("layers.SmallCNN", in_shape[0], params["width"], params["stages"], pooled)


def _build_small_cnn(params: dict[str, Any], in_shape: Shape, load_weights: bool) -> nn.Module:
    if params["weights_file"]:
        _require_file(params["weights_file"], ", or clear it to start from random weights")
    model = _small_cnn(params, in_shape).build()
    if params["weights_file"]:
        apply_weights_file(model, params["weights_file"], load_weights)
    return model


register(
    BlockType(
        name="small_cnn",
        title="Small CNN",
        category="Backbones",
        description="A compact convnet (Conv3x3-BatchNorm-ReLU-MaxPool stages) for small images.",
        params=(
            Param("width", "int", 32, "channels of the first stage (doubles each stage)", 4, 512),
            Param("stages", "int", 3, "number of stages; each halves height and width", 1, 6),
            OUTPUT,
            Param("weights_file", "path", "", "optional .safetensors/.pt state dict for this CNN"),
        ),
        accepts=("image",),
        build=_build_small_cnn,
        code=lambda p, s: _small_cnn(p, s).code(),
    )
)
