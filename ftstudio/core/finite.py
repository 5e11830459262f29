"""NaN and infinity in weights: which tensors hold them, said in one short line."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch


def nonfinite_tensors(state: Mapping[str, Any]) -> list[str]:
    """Names of the floating-point tensors in ``state`` holding NaN or an infinity.

    Covers every entry of a state dict: parameters and buffers (BatchNorm statistics) alike.
    """
    return [
        name
        for name, value in state.items()
        if isinstance(value, torch.Tensor)
        and (value.is_floating_point() or value.is_complex())
        and not bool(torch.isfinite(value).all())
    ]


def summarise_names(names: list[str], limit: int = 4) -> str:
    """``a, b, c, d and 7 more``: a list short enough for one message line."""
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def describe_nonfinite(names: list[str]) -> str:
    """``NaN or infinite values in 2 tensors (a, b)``."""
    count = f"{len(names)} tensor{'s' if len(names) != 1 else ''}"
    return f"NaN or infinite values in {count} ({summarise_names(names)})"
