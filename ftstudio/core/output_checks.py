"""Warnings about a block's output that do not stop training: a backbone that looks like a
whole classifier (its output are class logits, not features)."""

from __future__ import annotations

from torch import nn

from ftstudio.core.blocks.layers import BlockStack, TorchvisionBackbone
from ftstudio.core.blocks.registry import Shape, format_shape

MAX_LOGITS = 1000  # ImageNet's class count: a wider final Linear is taken for a feature layer


def final_linear(module: nn.Module) -> tuple[int, int] | None:
    """``(in_features, out_features)`` when the module's last layer with weights is a Linear
    (plain or TorchScript); None otherwise, and for the blocks that drop a classifier head
    themselves (a torchvision backbone) or keep one by the user's choice (a block stack)."""
    if isinstance(module, (TorchvisionBackbone, BlockStack)):
        return None
    last = None
    for layer in module.modules():
        if any(True for _ in layer.parameters(recurse=False)):
            last = layer
    if last is None or getattr(last, "original_name", type(last).__name__) != "Linear":
        return None
    out_features, in_features = last.weight.shape
    return in_features, out_features


def logits_warning(out_shape: Shape, linear: tuple[int, int] | None) -> str | None:
    """The warning for a backbone whose output looks like class logits, or None."""
    if linear is None or len(out_shape) != 1 or out_shape[0] != linear[1]:
        return None
    if out_shape[0] > MAX_LOGITS:
        return None
    return (
        f"Outputs {format_shape(out_shape)} from a final Linear layer "
        f"({linear[0]} -> {linear[1]}): this looks like the class logits of a whole classifier, "
        "not features, so the head after it learns from the old classes only. Export the model "
        "without its classifier (for TorchScript: set its last Linear, e.g. model.fc, to "
        "nn.Identity() before scripting), or, for a torchvision model, save its state dict and "
        "choose its architecture so that FT Studio drops the head. If these are the features "
        "you want, ignore this warning."
    )
