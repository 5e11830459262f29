"""Adapters: blocks that reshape, pool, project or normalise between other blocks."""

from __future__ import annotations

from typing import Any

from ftstudio.core.blocks import codegen, layers
from ftstudio.core.blocks.registry import BlockType, Shape, register
from ftstudio.core.errors import ShapeMismatch
from ftstudio.core.params import Param

ANY = ("vector", "sequence", "image")


def _adapter(
    name: str,
    title: str,
    description: str,
    accepts: tuple[str, ...],
    recipe,
    params: tuple[Param, ...] = (),
) -> None:
    register(
        BlockType(
            name=name,
            title=title,
            category="Adapters",
            description=description,
            params=params,
            accepts=accepts,
            recipe=recipe,
        )
    )


def _sequence_from_vector(p: dict[str, Any], s: Shape) -> codegen.Call:
    if s[0] % p["tokens"]:
        raise ShapeMismatch(
            f"Sequence from vector: width {s[0]} cannot be split into {p['tokens']} tokens. "
            f"Set tokens to a divisor of {s[0]}.",
            expected=f"(B, D) with D divisible by {p['tokens']}",
            got=f"(B, {s[0]})",
        )
    return codegen.make("layers.SequenceFromVector", p["tokens"])


_adapter(
    "flatten",
    "Flatten",
    "Flatten everything but the batch: (B, ...) -> (B, D).",
    ANY,
    lambda p, s: codegen.make("nn.Flatten"),
)
_adapter(
    "global_avg_pool",
    "Global average pool",
    "(B, C, H, W) -> (B, C) by averaging H and W.",
    ("image",),
    lambda p, s: codegen.make("layers.GlobalAvgPool"),
)
_adapter(
    "sequence_pool",
    "Sequence pool",
    "(B, T, D) -> (B, D) by mean, max or first token.",
    ("sequence",),
    lambda p, s: codegen.make("layers.SequencePool", p["mode"]),
    (Param("mode", "choice", "mean", "how tokens are combined", choices=("mean", "max", "first")),),
)
_adapter(
    "feature_map_to_sequence",
    "Feature map to sequence",
    "(B, C, H, W) -> (B, H*W, C): each position becomes a token.",
    ("image",),
    lambda p, s: codegen.make("layers.FeatureMapToSequence"),
)
_adapter(
    "sequence_from_vector",
    "Sequence from vector",
    "(B, D) -> (B, T, D/T): split a vector into T tokens.",
    ("vector",),
    _sequence_from_vector,
    (Param("tokens", "int", 1, "number of tokens T; must divide D", 1, 65536),),
)
_adapter(
    "linear_projection",
    "Linear projection",
    "Linear map of the last dimension to a new width.",
    ("vector", "sequence"),
    lambda p, s: codegen.make("nn.Linear", s[-1], p["features"], bias=p["bias"]),
    (
        Param("features", "int", 64, "output width", 1, 65536),
        Param("bias", "bool", True, "learn a bias"),
    ),
)
_adapter(
    "channel_projection",
    "Channel projection (1x1 conv)",
    "1x1 convolution that changes the channel count of an image or feature map.",
    ("image",),
    lambda p, s: codegen.make("nn.Conv2d", s[0], p["channels"], 1),
    (Param("channels", "int", 3, "output channels", 1, 65536),),
)
_adapter(
    "layer_norm",
    "LayerNorm",
    "Normalise the last dimension.",
    ("vector", "sequence"),
    lambda p, s: codegen.make("nn.LayerNorm", s[-1]),
)
_adapter(
    "dropout",
    "Dropout",
    "Randomly zero elements while training.",
    ANY,
    lambda p, s: codegen.make("nn.Dropout", p["p"]),
    (Param("p", "float", 0.1, "dropout probability", 0.0, 0.95),),
)
_adapter(
    "activation",
    "Activation",
    "An element-wise non-linearity.",
    ANY,
    lambda p, s: codegen.activation(p["function"]),
    (Param("function", "choice", "relu", "non-linearity", choices=tuple(layers.ACTIVATIONS)),),
)
