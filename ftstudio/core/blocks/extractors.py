"""Feature extractor blocks."""

from __future__ import annotations

from ftstudio.core.blocks import codegen, layers
from ftstudio.core.blocks.registry import BlockType, register
from ftstudio.core.params import Param

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
        ),
        accepts=("vector", "sequence"),
        recipe=lambda p, s: codegen.make(
            "layers.MLP", s[-1], p["hidden"], p["layers"], p["activation"], p["dropout"], p["init"]
        ),
    )
)
