"""The project's ``training`` section parsed into a :class:`TrainConfig`, with clear errors."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any

from ftstudio.core.errors import TrainingError

OPTIMIZERS = ("adamw", "adam", "sgd")
SCHEDULES = ("none", "cosine", "one-cycle", "step")
AMP_MODES = ("off", "bf16", "fp16")
MONITORS = ("val_loss", "val_accuracy", "val_mae")


@dataclass
class TrainConfig:
    """Every training setting, with defaults. Keys match the project's ``training`` section."""

    epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3
    optimizer: str = "adamw"
    weight_decay: float = 0.01
    momentum: float = 0.9
    schedule: str = "none"
    warmup_epochs: float = 0.0
    step_epochs: int = 10
    step_gamma: float = 0.1
    grad_clip: float = 0.0
    grad_accumulation: int = 1
    label_smoothing: float = 0.0
    amp: str = "off"
    compile: bool = False
    channels_last: bool = False
    seed: int = 0
    device: str = "auto"
    early_stopping_patience: int = 0
    monitor: str = "val_loss"
    log_every: int = 20

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_LIMITS: dict[str, tuple[float, float]] = {
    "epochs": (1, 100000),
    "batch_size": (1, 1 << 20),
    "lr": (0.0, 10.0),
    "weight_decay": (0.0, 10.0),
    "momentum": (0.0, 0.999),
    "warmup_epochs": (0.0, 1000.0),
    "step_epochs": (1, 100000),
    "step_gamma": (0.0, 1.0),
    "grad_clip": (0.0, 1e6),
    "grad_accumulation": (1, 1024),
    "label_smoothing": (0.0, 0.99),
    "seed": (0, 2**31 - 1),
    "early_stopping_patience": (0, 100000),
    "log_every": (1, 1 << 20),
}
_CHOICES: dict[str, tuple[str, ...]] = {
    "optimizer": OPTIMIZERS,
    "schedule": SCHEDULES,
    "amp": AMP_MODES,
    "monitor": MONITORS,
}


FIX_HINT = "Fix the project's training section."  # the window leaves it out (the form is the fix)


def _fail(key: str, what: str) -> TrainingError:
    return TrainingError(f"training.{key}: {what} {FIX_HINT}")


def parse_training_config(
    raw: dict[str, Any] | None, overrides: dict[str, Any] | None = None
) -> TrainConfig:
    """Check the ``training`` dict (plus ``overrides`` such as CLI flags) into a config.

    Raises
    ------
    TrainingError
        An unknown key or a value of the wrong type or range; the message names the key.
    """
    values = {**(raw or {}), **{k: v for k, v in (overrides or {}).items() if v is not None}}
    known = {f.name: f for f in fields(TrainConfig)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise _fail(unknown[0], f"unknown setting. Known settings: {', '.join(known)}.")
    out: dict[str, Any] = {}
    for name, value in values.items():
        default = known[name].default
        shown = json.dumps(value)[:60]
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise _fail(name, f"must be true or false, got {shown}.")
        elif isinstance(default, (int, float)):
            is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not is_number or isinstance(default, int) and not float(value).is_integer():
                kind = "a whole number" if isinstance(default, int) else "a number"
                raise _fail(name, f"must be {kind}, got {shown}.")
            low, high = _LIMITS[name]
            if not low <= value <= high:
                raise _fail(name, f"must be from {low:g} to {high:g}, got {value}.")
            value = type(default)(value)
        elif name in _CHOICES:
            choices = _CHOICES[name]
            value = value.lower() if isinstance(value, str) else value
            if value not in choices:
                raise _fail(name, f"must be one of {', '.join(choices)}; got {shown}.")
        elif not isinstance(value, str) or not value:
            raise _fail(name, f"must be text such as 'auto', 'cpu' or 'cuda', got {shown}.")
        out[name] = value
    return TrainConfig(**out)
