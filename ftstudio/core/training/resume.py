"""What changed between a checkpoint's settings and the run resuming it, said plainly.

A resumed run uses the current settings. When they differ from the checkpoint's, the change
is stated in the output and in ``summary.json`` (``resumed.changed``) instead of happening
silently; for the learning-rate schedule the note gives the lr factor at the resumed step
before and after (e.g. a cosine schedule stretched from 2 to 4 epochs jumps back up).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from ftstudio.core.training.config import TrainConfig
from ftstudio.core.training.optim import lr_factor

SCHEDULE_KEYS = ("epochs", "lr", "schedule", "warmup_epochs", "step_epochs", "step_gamma")
IGNORED_KEYS = ("device", "log_every", "compile")  # no effect on what is learned


def config_changes(saved: dict[str, Any], config: TrainConfig) -> dict[str, list[Any]]:
    """``{key: [checkpoint's value, current value]}`` for each setting that differs."""
    current = config.to_dict()
    return {
        key: [saved[key], current[key]]
        for key in current
        if key in saved and key not in IGNORED_KEYS and saved[key] != current[key]
    }


def change_notes(
    changes: dict[str, list[Any]],
    saved: dict[str, Any],
    config: TrainConfig,
    step: int,
    steps_per_epoch: int,
) -> list[str]:
    """One note per kind of change: the schedule's (with lr factors), then the others."""
    notes = []
    schedule = {k: v for k, v in changes.items() if k in SCHEDULE_KEYS}
    if schedule:
        known = {f.name for f in fields(TrainConfig)}
        after = config.lr * lr_factor(step, config, steps_per_epoch)
        try:
            old = TrainConfig(**{k: v for k, v in saved.items() if k in known})
            before = f"{old.lr * lr_factor(step, old, steps_per_epoch):.4g}"
        except (TypeError, ValueError, ArithmeticError):  # a damaged or foreign config
            before = "?"
        change = (
            f"stays {after:.4g}"
            if before == f"{after:.4g}"
            else f"goes from {before} to {after:.4g}"
        )
        notes.append(
            f"Resuming with changed settings ({_listed(schedule)}): the learning-rate "
            f"schedule follows the new settings from step {step}, so the lr there {change}."
        )
    others = {k: v for k, v in changes.items() if k not in SCHEDULE_KEYS}
    if others:
        notes.append(f"Resuming with changed settings: {_listed(others)}.")
    return notes


def _listed(changes: dict[str, list[Any]]) -> str:
    return ", ".join(f"{key} {old} -> {new}" for key, (old, new) in changes.items())
