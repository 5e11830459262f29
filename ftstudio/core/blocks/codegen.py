"""Module recipes: one description of a constructor call that both builds the module and
writes it as Python source with literal arguments.

The exporter writes these expressions into a generated ``model.py``, where the names
``torch``, ``nn``, ``torchvision``, ``timm``, ``layers`` (a copy of :mod:`ftstudio.core.blocks.layers`)
and ``OrderedDict`` are available. Building and exporting from the same :class:`Call` keeps
the app's model and the exported one identical by construction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from ftstudio.core.blocks import layers
from ftstudio.core.lazy import LazyModule

torchvision = LazyModule("torchvision")  # seconds to import: only when a block needs it
timm = LazyModule("timm")  # optional (ftstudio[timm]): the timm backbone block

NAMESPACE = {"torch": torch, "nn": nn, "torchvision": torchvision, "timm": timm, "layers": layers}


@dataclass(frozen=True)
class Call:
    """``func(*args, **kwargs)`` where ``func`` is a dotted name under :data:`NAMESPACE`;
    arguments are literals or nested calls."""

    func: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)

    def build(self) -> Any:
        target: Any = NAMESPACE
        owner, _, rest = self.func.partition(".")
        target = NAMESPACE[owner]
        for part in rest.split(".") if rest else ():
            target = getattr(target, part)
        args = [a.build() if isinstance(a, Call) else a for a in self.args]
        kwargs = {k: v.build() if isinstance(v, Call) else v for k, v in self.kwargs.items()}
        return target(*args, **kwargs)

    def code(self) -> str:
        return call(self.func, *self.args, **self.kwargs)


def make(func: str, *args: Any, **kwargs: Any) -> Call:
    return Call(func, args, kwargs)


def literal(value: Any) -> str:
    """``value`` as Python source: strings in double quotes, numbers and booleans as written."""
    if isinstance(value, Call):
        return value.code()
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


def activation(name: str) -> Call:
    """The ``nn`` class that :func:`layers.make_activation` builds for ``name``."""
    return make(f"nn.{layers.ACTIVATIONS[name].__name__}")


def torchvision_backbone(arch: str, output: str) -> str:
    """The expression for :class:`layers.TorchvisionBackbone` around a fresh torchvision model."""
    inner = make("torchvision.models.get_model", arch, weights=None)
    return make("layers.TorchvisionBackbone", inner, output).code()
