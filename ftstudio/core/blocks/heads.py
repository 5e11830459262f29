"""Heads: the last block, producing class logits or regression outputs."""

from __future__ import annotations

from ftstudio.core.blocks import codegen, layers
from ftstudio.core.blocks.registry import BlockType, register
from ftstudio.core.params import Param

CLASSES = Param("classes", "int", 10, "number of classes; must match the task", 1, 100000)

register(
    BlockType(
        name="linear_classifier",
        title="Linear classifier",
        category="Heads",
        description="(B, D) -> (B, classes) logits with one Linear layer.",
        params=(CLASSES,),
        accepts=("vector",),
        recipe=lambda p, s: codegen.make("nn.Linear", s[0], p["classes"]),
    )
)

register(
    BlockType(
        name="mlp_head",
        title="MLP head",
        category="Heads",
        description="(B, D) -> hidden -> (B, classes) logits: Linear, activation, Dropout, Linear.",
        params=(
            Param("hidden", "int", 128, "hidden width", 1, 65536),
            CLASSES,
            Param(
                "activation", "choice", "relu", "non-linearity", choices=tuple(layers.ACTIVATIONS)
            ),
            Param("dropout", "float", 0.1, "dropout before the last Linear", 0.0, 0.95),
        ),
        accepts=("vector",),
        recipe=lambda p, s: codegen.make(
            "layers.MLPHead", s[0], p["hidden"], p["classes"], p["activation"], p["dropout"]
        ),
    )
)

register(
    BlockType(
        name="token_classifier",
        title="Per-token classifier",
        category="Heads",
        description="(B, T, D) -> (B, T, classes): a class for every token of a sequence.",
        params=(CLASSES,),
        accepts=("sequence",),
        recipe=lambda p, s: codegen.make("nn.Linear", s[-1], p["classes"]),
    )
)

register(
    BlockType(
        name="regression_head",
        title="Regression head",
        category="Heads",
        description="(B, D) -> (B, outputs) real values, trained with mean squared error.",
        params=(Param("outputs", "int", 1, "number of predicted values", 1, 100000),),
        accepts=("vector",),
        recipe=lambda p, s: codegen.make("nn.Linear", s[0], p["outputs"]),
    )
)
