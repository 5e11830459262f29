"""Helpers for block types' ``code(params, in_shape)``: Python expressions with literal arguments.

The exporter writes these expressions into a generated ``model.py``, where the names
``torch``, ``nn``, ``torchvision``, ``layers`` (a copy of :mod:`ftstudio.core.blocks.layers`)
and ``OrderedDict`` are available.
"""

from __future__ import annotations

import json
from typing import Any

from ftstudio.core.blocks import layers


def literal(value: Any) -> str:
    """``value`` as Python source: strings in double quotes, numbers and booleans as written."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        inner = ", ".join(literal(v) for v in value)
        return (
            f"[{inner}]"
            if isinstance(value, list)
            else f"({inner}{',' if len(value) == 1 else ''})"
        )
    if isinstance(value, (bool, int, float)) or value is None:
        return repr(value)
    raise TypeError(f"cannot write {type(value).__name__} as a literal")


def call(func: str, *args: Any, **kwargs: Any) -> str:
    """``func(arg, ..., key=value)`` with every argument written as a literal."""
    parts = [literal(a) for a in args] + [f"{k}={literal(v)}" for k, v in kwargs.items()]
    return f"{func}({', '.join(parts)})"


def activation(name: str) -> str:
    """The ``nn`` class that :func:`layers.make_activation` builds for ``name``, as a call."""
    return f"nn.{layers.ACTIVATIONS[name].__name__}()"


def torchvision_backbone(arch: str, output: str) -> str:
    """The expression for :class:`layers.TorchvisionBackbone` around a fresh torchvision model."""
    inner = call("torchvision.models.get_model", arch, weights=None)
    return f"layers.TorchvisionBackbone({inner}, {literal(output)})"
