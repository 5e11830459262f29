"""Typed block parameters: a small schema the project loader and the GUI form both read."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from ftstudio.core.errors import ParamError
from ftstudio.core.keys import nearest

ParamKind = Literal["int", "float", "bool", "choice", "str", "path"]


@dataclass(frozen=True)
class Param:
    """One typed parameter of a block type.

    Parameters
    ----------
    name : str
        Key in the project file.
    kind : {"int", "float", "bool", "choice", "str", "path"}
        Value type. ``path`` is a file path (may be empty); ``choice`` is one of ``choices``.
    default : Any
        Value used when the project does not set it.
    minimum, maximum : float, optional
        Inclusive bounds for numbers.
    choices : tuple, optional
        Allowed values for ``choice``.
    help : str
        One line shown as a tooltip and in ``ftstudio blocks``.
    editable : bool
        False for a choice whose list may grow (free text accepted if it passes ``validate``).
    """

    name: str
    kind: ParamKind
    default: Any
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple = field(default_factory=tuple)
    label: str = ""

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    def check(self, value: Any, where: str) -> Any:
        """Return ``value`` normalised to this parameter's type, or raise :class:`ParamError`."""
        prefix = f"{where}: parameter '{self.name}'"
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ParamError(f"{prefix} must be true or false, got {value!r}.")
            return value
        if self.kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    raise ParamError(f"{prefix} must be a whole number, got {value!r}.")
            return self._in_bounds(value, prefix)
        if self.kind == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ParamError(f"{prefix} must be a number, got {value!r}.")
            if not math.isfinite(value):
                raise ParamError(f"{prefix} must be a finite number, got {value!r}.")
            return self._in_bounds(float(value), prefix)
        if self.kind == "choice":
            if value not in self.choices:
                options = ", ".join(repr(c) for c in self.choices)
                raise ParamError(f"{prefix} must be one of {options}; got {value!r}.")
            return value
        if not isinstance(value, str):
            raise ParamError(f"{prefix} must be text, got {value!r}.")
        return value

    def _in_bounds(self, value: float, prefix: str) -> Any:
        low, high = self.minimum, self.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            raise ParamError(
                f"{prefix} must be between {_fmt(low)} and {_fmt(high)}, got {_show(value)}."
            )
        return value

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "default": self.default}
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        if self.choices:
            out["choices"] = list(self.choices)
        out["help"] = self.help
        return out


def _show(value: float) -> str:
    """A number as the user would write it; absurd ones shortened (1e+300, not 301 digits)."""
    return f"{value:.6g}" if abs(value) >= 1e15 else repr(value)


def _fmt(bound: float | None) -> str:
    return "any" if bound is None else f"{bound:g}"


def resolve_params(schema: tuple[Param, ...], given: dict[str, Any], where: str) -> dict[str, Any]:
    """Check ``given`` against ``schema``; fill defaults; refuse unknown names."""
    known = {p.name: p for p in schema}
    unknown = [name for name in given if name not in known]
    if unknown:
        close = nearest(str(unknown[0]), known)
        hint = (
            f"did you mean '{close}'?"
            if close
            else f"known parameters: {', '.join(known) or 'none'}."
        )
        raise ParamError(f"{where}: unknown parameter '{unknown[0]}'; {hint}")
    return {p.name: p.check(given[p.name], where) if p.name in given else p.default for p in schema}
