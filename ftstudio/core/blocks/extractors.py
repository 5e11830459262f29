"""Feature extractor blocks."""

from __future__ import annotations

from typing import Any

from torch import nn

from ftstudio.core.blocks import codegen, layers
from ftstudio.core.blocks.backbones import _require_file
from ftstudio.core.blocks.registry import BlockType, Shape, register
from ftstudio.core.params import Param
from ftstudio.core.weights import apply_weights_file


def _mlp(params: dict[str, Any], in_shape: Shape) -> codegen.Call:
    p = params
    return codegen.make(
        "layers.MLP",
        in_shape[-1],
        p["hidden"],
        p["layers"],
        p["activation"],
        p["dropout"],
        p["init"],
    )


def _build_mlp(params: dict[str, Any], in_shape: Shape, load_weights: bool) -> nn.Module:
    path = params["weights_file"]
    if path:
        _require_file(path, ", or clear it to start from random weights")
    model = _mlp(params, in_shape).build()
    if path:  # pretrained weights replace the init scheme's
        apply_weights_file(model, path, load_weights)
    return model


register(
    BlockType(
        name="mlp",
        title="Feature extractor (MLP)",
        category="Feature extractors",
        description="(Linear, activation, Dropout) repeated n times on the last dimension; works on "
        "vectors and on every token of a sequence.",
        params=(
            Param("hidden", "int", 64, "output width of each Linear", 1, 65536),
            Param("layers", "int", 1, "how many Linear-activation-Dropout groups", 1, 32),
            Param(
                "activation", "choice", "relu", "non-linearity", choices=tuple(layers.ACTIVATIONS)
            ),
            Param("dropout", "float", 0.1, "dropout probability", 0.0, 0.95),
            Param(
                "init",
                "choice",
                "default",
                "weight initialisation",
                choices=("default", "xavier", "kaiming"),
            ),
            Param(
                "weights_file",
                "path",
                "",
                "optional .safetensors/.pt state dict for this MLP (pretrained weights)",
            ),
        ),
        accepts=("vector", "sequence"),
        build=_build_mlp,
        code=lambda p, s: _mlp(p, s).code(),
    )
)
