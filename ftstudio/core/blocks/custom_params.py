"""A custom block class's ``__init__`` signature as typed block parameters.

Each parameter needs a type hint and a default: ``int``, ``float``, ``bool``, ``str``,
``Literal[...]`` (a choice) or ``pathlib.Path`` (a file; so is any ``str`` named ``*_file`` or
``*_path``). ``X | None`` with default None is allowed for ``str`` and ``Path`` (empty = None).
Parameters named for the incoming size (:data:`SIZE_FROM_SHAPE`) are not shown: they are
filled from the inferred input shape.
"""

from __future__ import annotations

import inspect
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ftstudio.core.params import Param

SIZE_FROM_SHAPE = {
    "in_features": "the last dimension",
    "input_dim": "the last dimension",
    "in_dim": "the last dimension",
    "d_model": "the last dimension",
    "embed_dim": "the last dimension",
    "in_channels": "dimension 1 of an image (B, C, H, W)",
    "seq_len": "the sequence length T of (B, T, D)",
}
LAST_DIM = ("in_features", "input_dim", "in_dim", "d_model", "embed_dim")
WEIGHTS_PARAMS = ("weights_file", "ignore_prefixes")
"""Handled by FT Studio, never passed to the constructor: after building the module, the file
is loaded strictly and safely, leaving out keys under the comma-separated prefixes."""


class SignatureProblem(Exception):
    """One parameter that cannot become a block parameter; the text says which and why."""


@dataclass(frozen=True)
class Signature:
    params: tuple[Param, ...]
    sizes: tuple[str, ...]  # size parameters the constructor takes, filled from the shape
    none_if_empty: frozenset[str]  # path/str parameters whose empty value means None
    as_path: frozenset[str]  # parameters passed to the constructor as pathlib.Path
    accepts: tuple[str, ...]


def read_signature(cls: type) -> Signature:
    """The block parameters of ``cls.__init__``; raises :class:`SignatureProblem`."""
    try:
        hints = typing.get_type_hints(cls.__init__)
    except Exception as exc:  # noqa: BLE001 - an unresolvable annotation
        raise SignatureProblem(f"its type hints cannot be read ({exc})") from None
    params, sizes, none_if_empty, as_path = [], [], set(), set()
    for name, p in list(inspect.signature(cls.__init__).parameters.items())[1:]:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if name in SIZE_FROM_SHAPE:
            sizes.append(name)
            continue
        param, optional, is_path = _param(name, hints.get(name), p.default)
        params.append(param)
        if optional:
            none_if_empty.add(name)
        if is_path and name not in WEIGHTS_PARAMS:
            as_path.add(name)
    return Signature(
        tuple(params), tuple(sizes), frozenset(none_if_empty), frozenset(as_path), _accepts(sizes)
    )


def _accepts(sizes: list[str]) -> tuple[str, ...]:
    if "in_channels" in sizes:
        return ("image",)
    if "seq_len" in sizes:
        return ("sequence",)
    if any(s in LAST_DIM for s in sizes):
        return ("vector", "sequence")
    return ("vector", "sequence", "image")


def _param(name: str, hint: Any, default: Any) -> tuple[Param, bool, bool]:
    """(the Param, whether None stands for empty, whether it is a path)."""
    if default is inspect.Parameter.empty:
        raise SignatureProblem(
            f"parameter '{name}' has no default; give it one (e.g. {name}: int = 64), or name "
            f"it for a size taken from the stack ({', '.join(SIZE_FROM_SHAPE)})"
        )
    if hint is None:
        raise SignatureProblem(
            f"parameter '{name}' has no type hint; annotate it as int, float, bool, str, "
            "Literal[...] or pathlib.Path"
        )
    optional = False
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1 and rest[0] in (str, Path) and default is None:
            hint, optional, default = rest[0], True, ""
    help_text = f"{name} of the class"
    if hint is bool and isinstance(default, bool):
        return Param(name, "bool", default, help_text), False, False
    if hint is int and isinstance(default, int) and not isinstance(default, bool):
        return Param(name, "int", default, help_text), False, False
    if hint is float and isinstance(default, (int, float)) and not isinstance(default, bool):
        return Param(name, "float", float(default), help_text), False, False
    if typing.get_origin(hint) is Literal and default in args:
        return Param(name, "choice", default, help_text, choices=args), False, False
    if hint is Path and isinstance(default, (str, Path)):
        shown = "" if str(default) in ("", ".") else str(default)
        return Param(name, "path", shown, help_text), optional, True
    if hint is str and isinstance(default, str):
        kind = "path" if name.endswith(("_file", "_path")) else "str"
        return Param(name, kind, default, help_text), optional, False
    raise SignatureProblem(
        f"parameter '{name}' ({_hint_name(hint)} = {default!r}) has no usable type: use int, "
        "float, bool, str, Literal[...] or pathlib.Path with a default of that type"
    )


def _hint_name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")
