"""How a file's state dict fits a model, from key names and shapes only (no tensor data).

Files users really have are rarely a bare ``model.state_dict()``: the weights sit inside a
checkpoint dict (``{"state_dict": ...}``, ``{"model": ...}``), their keys carry a wrapper's
prefix (``module.`` from DDP, Lightning's ``model.``, ``backbone.``...), and the classifier
head was fine-tuned to another class count. :func:`extract_state_dict` finds the tensors and
:func:`fit_keys` finds the prefix that makes the names fit and what is missing, unexpected or
of the wrong shape, leaving out the keys of a head the block drops, whatever their shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

# checkpoint keys that usually hold the model's weights, tried before the largest tensor dict
_WEIGHT_KEYS = ("state_dict", "model_state_dict", "model", "module", "net", "network", "weights")
_MAX_DEPTH = 3


def extract_state_dict(obj: object) -> tuple[dict[str, torch.Tensor], str] | None:
    """The state dict inside a loaded file, and where it was found.

    ``where`` is ``""`` for a bare state dict, else e.g. ``'["state_dict"]'``. A checkpoint
    dict's usual weight keys are tried first, then the largest mapping of names to tensors.
    Returns None when the object holds no tensors under string names.
    """
    found = _find(obj, "", 0)
    return None if found is None else (found[0], found[1])


def _tensor_items(obj: Mapping) -> dict[str, torch.Tensor]:
    return {k: v for k, v in obj.items() if isinstance(k, str) and isinstance(v, torch.Tensor)}


def _find(obj: object, where: str, depth: int) -> tuple[dict[str, torch.Tensor], str] | None:
    if not isinstance(obj, Mapping) or depth > _MAX_DEPTH:
        return None
    tensors = _tensor_items(obj)
    if tensors and len(tensors) == len(obj):
        return tensors, where
    for key in _WEIGHT_KEYS:
        found = _find(obj.get(key), f'{where}["{key}"]', depth + 1)
        if found is not None:
            return found
    nested = [
        _find(value, f"{where}[{key!r}]".replace("'", '"'), depth + 1)
        for key, value in obj.items()
        if isinstance(value, Mapping)
    ]
    candidates = [c for c in nested if c is not None]
    if tensors:
        candidates.append((tensors, where))
    return max(candidates, key=lambda c: len(c[0]), default=None)


Shapes = Mapping[str, Sequence[int]]


def shapes_of(state: Mapping[str, torch.Tensor]) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in state.items()}


@dataclass(frozen=True)
class KeyFit:
    """How a file's keys fit a model's: the prefix stripped and what does not fit.

    ``keys`` maps each file key that loads to the model key it loads into.
    """

    prefix: str
    outside: tuple[str, ...]  # file keys without the prefix: left out
    ignored: tuple[str, ...]  # file keys of the dropped head (any shape): left out
    missing: tuple[str, ...]
    unexpected: tuple[str, ...]
    wrong: tuple[str, ...]  # "name (file (a, b), model (c, d))"
    keys: dict[str, str]

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.wrong)

    @property
    def score(self) -> float:
        """Share of keys that fit, for ranking candidate architectures (1.0: all fit)."""
        bad = len(self.missing) + len(self.unexpected) + len(self.wrong)
        return len(self.keys) / max(1, len(self.keys) + bad)

    @property
    def problems(self) -> str:
        parts = []
        if self.missing:
            parts.append(f"missing {len(self.missing)}: {_names(self.missing)}")
        if self.unexpected:
            parts.append(f"unexpected {len(self.unexpected)}: {_names(self.unexpected)}")
        if self.wrong:
            parts.append(f"wrong shape {len(self.wrong)}: {_names(self.wrong)}")
        return "; ".join(parts)

    @property
    def full_list(self) -> str:
        """Every key that does not fit, one a line under its heading ('' if all fit)."""
        groups = (("Missing", self.missing), ("Unexpected", self.unexpected))
        lines = []
        for title, keys in (*groups, ("Wrong shape", self.wrong)):
            if keys:
                lines.append(f"{title} ({len(keys)}):")
                lines.extend(f"  {key}" for key in keys)
        return "\n".join(lines)

    @property
    def only_shapes_differ(self) -> bool:
        """Every name fits but some shapes do not: the architecture is right, but modified."""
        return bool(self.wrong) and not (self.missing or self.unexpected)

    def describe(self) -> str:
        """What was adapted to make the file fit, for the block's status ('' if nothing)."""
        parts = []
        if self.prefix:
            parts.append(f"key prefix '{self.prefix}' stripped")
        if self.outside:
            n = len(self.outside)
            parts.append(f"{n} other key{'s' if n > 1 else ''} (outside '{self.prefix}') left out")
        return "; ".join(parts)


def fit_keys(
    file: Shapes,
    model: Shapes,
    ignore: tuple[str, ...] = (),
    ignore_unexpected: tuple[str, ...] = (),
    strip_prefix: bool = True,
) -> KeyFit:
    """Fit the file's keys and shapes to the model's.

    Parameters
    ----------
    file, model
        Names and shapes of the file's tensors and of the model's state dict.
    ignore
        Key prefixes (as the model names them) of a part the block drops, e.g. the head
        ``"fc."``: left out whatever their shape, missing or present.
    ignore_unexpected
        Key prefixes that may be in the file without being in the model.
    strip_prefix
        Look for a wrapper prefix (``module.``, ``model.``...) whose removal makes the keys fit.
    """
    prefix = _best_prefix(file, model) if strip_prefix else ""
    inside = {k[len(prefix) :]: k for k in file if k.startswith(prefix)}
    outside = tuple(k for k in file if not k.startswith(prefix))

    def dropped(name: str) -> bool:
        return bool(ignore) and name.startswith(ignore)

    keys, wrong, ignored = {}, [], []
    for name, key in inside.items():
        if dropped(name):
            ignored.append(key)
        elif name in model and tuple(file[key]) != tuple(model[name]):
            wrong.append(f"{name} (file {tuple(file[key])}, model {tuple(model[name])})")
        elif name in model:
            keys[key] = name
    missing = tuple(k for k in model if k not in inside and not dropped(k))
    unexpected = tuple(
        k
        for k in inside
        if k not in model
        and not dropped(k)
        and not (ignore_unexpected and k.startswith(ignore_unexpected))
    )
    return KeyFit(prefix, outside, tuple(ignored), missing, unexpected, tuple(wrong), keys)


def _best_prefix(file: Shapes, model: Shapes) -> str:
    """The prefix whose removal makes the most file keys name a model key ('' if none helps)."""
    direct = sum(1 for k in file if k in model)
    votes: dict[str, int] = {}
    for key in file:
        for i, char in enumerate(key):
            if char == "." and key[i + 1 :] in model:
                votes[key[: i + 1]] = votes.get(key[: i + 1], 0) + 1
    best = max(votes, key=lambda p: (votes[p], -len(p)), default="")
    return best if best and votes[best] > direct else ""


def _names(keys: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(keys[:limit])
    return shown + (f", ... ({len(keys) - limit} more)" if len(keys) > limit else "")
