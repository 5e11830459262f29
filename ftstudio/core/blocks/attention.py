"""Attention blocks over sequences (B, T, D)."""

from __future__ import annotations

from typing import Any

from ftstudio.core.blocks import codegen
from ftstudio.core.blocks.registry import BlockType, Shape, register
from ftstudio.core.errors import ShapeMismatch
from ftstudio.core.params import Param


def _check_heads(title: str, dim: int, heads: int) -> None:
    if dim % heads:
        divisors = [h for h in range(1, min(dim, 16) + 1) if dim % h == 0]
        raise ShapeMismatch(
            f"{title}: width {dim} is not divisible by {heads} heads. Set heads to one of "
            f"{divisors}, or insert 'Linear projection' to a width divisible by {heads}.",
            expected=f"(B, T, D) with D divisible by {heads}",
            got=f"(B, T, {dim})",
            fix="linear_projection",
        )


def _attention(p: dict[str, Any], s: Shape) -> codegen.Call:
    _check_heads("Self-attention", s[-1], p["heads"])
    args = (s[-1], p["heads"], p["dropout"], p["residual"], p["layer_norm"])
    return codegen.make("layers.SelfAttention", *args)


def _encoder(p: dict[str, Any], s: Shape) -> codegen.Call:
    _check_heads("Transformer encoder layer", s[-1], p["heads"])
    return codegen.make(
        "nn.TransformerEncoderLayer",
        s[-1],
        p["heads"],
        p["ff_dim"],
        p["dropout"],
        activation=p["activation"],
        batch_first=True,
        norm_first=p["norm_first"],
    )


register(
    BlockType(
        name="self_attention",
        title="Self-attention",
        category="Attention",
        description="Multi-head self-attention over (B, T, D) with scaled_dot_product_attention; "
        "optional residual and LayerNorm.",
        params=(
            Param("heads", "int", 4, "attention heads; must divide the width D", 1, 64),
            Param("dropout", "float", 0.0, "attention dropout", 0.0, 0.9),
            Param("residual", "bool", True, "add the input back (x + attention(x))"),
            Param("layer_norm", "bool", True, "LayerNorm on the output"),
        ),
        accepts=("sequence",),
        recipe=_attention,
    )
)

register(
    BlockType(
        name="transformer_encoder",
        title="Transformer encoder layer",
        category="Attention",
        description="torch.nn.TransformerEncoderLayer: self-attention plus feed-forward, batch first.",
        params=(
            Param("heads", "int", 4, "attention heads; must divide the width D", 1, 64),
            Param("ff_dim", "int", 256, "feed-forward width", 1, 65536),
            Param("dropout", "float", 0.1, "dropout", 0.0, 0.9),
            Param(
                "activation", "choice", "gelu", "feed-forward activation", choices=("relu", "gelu")
            ),
            Param("norm_first", "bool", True, "pre-norm (more stable) instead of post-norm"),
        ),
        accepts=("sequence",),
        recipe=_encoder,
    )
)
