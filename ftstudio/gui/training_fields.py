"""What the Training settings form shows, Qt-free: every field of the project's ``training``
section (plus the image augmentations of ``data``), grouped in sections, and the checks an
edit passes before it reaches the project (the core's own: the file format and the form can
never disagree).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from ftstudio.core.data import parse_data_config
from ftstudio.core.data.config import FIX_HINT as DATA_FIX_HINT
from ftstudio.core.errors import FTStudioError
from ftstudio.core.project import Project
from ftstudio.core.training.config import FIX_HINT as TRAINING_FIX_HINT
from ftstudio.core.training.config import TrainConfig, parse_training_config

DEFAULTS = TrainConfig()
# The window's runs log every GUI_LOG_EVERY steps unless the project sets training.log_every
# (see qt_training_panel); the form shows what a run from the window will do.
WINDOW_DEFAULTS: dict[str, Any] = {"log_every": 5}


@dataclass(frozen=True)
class Field:
    """One editable setting: ``section`` is the project section holding ``key``."""

    key: str
    title: str
    kind: str  # "number", "choice" or "flag"
    help: str
    short: str = ""  # its word in the group's summary, e.g. "wd" for weight decay
    choices: tuple[tuple[str, str], ...] = ()  # (value, title)
    section: str = "training"
    group: str = ""  # the form's folding section

    @property
    def integer(self) -> bool:
        default = default_value(self)
        return isinstance(default, int) and not isinstance(default, bool)


def number(key: str, title: str, short: str, help: str) -> Field:
    return Field(key, title, "number", f"training.{key}: {help}", short)


def choice(key: str, title: str, choices: tuple[tuple[str, str], ...], help: str) -> Field:
    return Field(key, title, "choice", f"training.{key}: {help}", choices=choices)


def flag(key: str, title: str, short: str, help: str, section: str = "training") -> Field:
    return Field(key, title, "flag", f"{section}.{key}: {help}", short, section=section)


MONITOR_TITLES = {
    "val_loss": "Validation loss",
    "val_accuracy": "Validation accuracy",
    "val_mae": "Validation MAE",
}
OPTIMIZERS = (("adamw", "AdamW"), ("adam", "Adam"), ("sgd", "SGD"))
SCHEDULES = (
    ("none", "Constant"),
    ("cosine", "Cosine decay"),
    ("one-cycle", "One-cycle"),
    ("step", "Step decay"),
)
AMP_MODES = (("off", "Off (float32)"), ("bf16", "bfloat16"), ("fp16", "float16"))
# the form's folding sections, in order, and their fields
GROUPED: dict[str, tuple[Field, ...]] = {
    "Optimizer": (
        choice("optimizer", "Optimizer", OPTIMIZERS,
               "AdamW (weight decay kept apart from the gradient), Adam, or SGD with momentum"),
        number("weight_decay", "Weight decay", "wd",
               "0 to 10; pulls weights towards zero (0 = none)"),
        number("momentum", "Momentum (SGD)", "momentum", "0 to 0.999; used by SGD only"),
        number("grad_accumulation", "Accumulate batches", "accumulate",
               "batches whose gradients add up before each optimizer step (1 to 1024); the "
               "effective batch is the batch size times this"),
    ),
    "Schedule": (
        choice("schedule", "Schedule", SCHEDULES, "how the learning rate changes over the run"),
        number("warmup_epochs", "Warmup (epochs)", "warmup",
               "the learning rate rises linearly over this many epochs (fractions allowed; "
               "0 = no warmup)"),
        number("step_epochs", "Step every (epochs)", "every",
               "the step schedule multiplies the learning rate by the step factor every this "
               "many epochs"),
        number("step_gamma", "Step factor", "factor", "0 to 1; the step schedule's factor"),
    ),
    "Regularisation": (
        number("label_smoothing", "Label smoothing", "smoothing",
               "0 to 0.99; spreads this share of each target over the other classes "
               "(classification only)"),
        number("grad_clip", "Clip gradient norm", "clip",
               "the largest gradient norm allowed; guards against exploding gradients "
               "(0 = no clipping)"),
    ),
    "Augmentation": (
        flag("flip", "Random horizontal flip", "flip",
             "mirror training images at random (image folders only)", "data"),
        flag("random_crop", "Random resized crop", "crop",
             "crop and resize training images at random (image folders only)", "data"),
    ),
    "Performance": (
        choice("amp", "Mixed precision", AMP_MODES,
               "bfloat16 or float16 autocast on CUDA GPUs (no effect on the CPU or MPS)"),
        flag("compile", "torch.compile", "compile",
             "compile the model first (slower start, often faster steps)"),
        flag("channels_last", "channels_last", "channels_last",
             "channels-last memory format for image batches (faster convolutions on recent "
             "GPUs)"),
    ),
    "Stopping": (
        number("early_stopping_patience", "Patience (epochs)", "patience",
               "stop after this many epochs without improvement of the monitored metric "
               "(0 = never stop early)"),
        choice("monitor", "Monitor", tuple(MONITOR_TITLES.items()),
               "the validation metric that picks best.pt and early stopping"),
    ),
    "Run": (
        number("seed", "Seed", "seed",
               "seeds the weights' initialisation, shuffling and dropout (same seed, same run)"),
        number("log_every", "Log every (steps)", "log every",
               "one loss point every this many optimizer steps"),
    ),
}  # fmt: skip
GROUPS = tuple(GROUPED)
FIELDS: tuple[Field, ...] = tuple(
    replace(field, group=group) for group, fields in GROUPED.items() for field in fields
)
BY_KEY = {f.key: f for f in FIELDS}


def default_value(field: Field) -> Any:
    if field.section == "data":
        return False
    return WINDOW_DEFAULTS.get(field.key, getattr(DEFAULTS, field.key))


def current_value(project: Project, field: Field) -> Any:
    """The project's value of ``field``, or its default when unset (or of the wrong type)."""
    default = default_value(field)
    raw = getattr(project, field.section).get(field.key, default)
    if isinstance(default, bool):
        return raw if isinstance(raw, bool) else default
    if isinstance(default, (int, float)):
        ok = isinstance(raw, (int, float)) and not isinstance(raw, bool)
        return raw if ok else default
    return raw if isinstance(raw, str) else default


def shown(value: Any) -> str:
    """``0.01``, ``3e-05``, ``5``: how a number field shows a value."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def parse_number(text: str, field: Field) -> int | float:
    """The number typed in ``field``; raises FTStudioError when the text is no number."""
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        kind = "a whole number" if field.integer else "a number"
        raise FTStudioError(
            f"{field.title}: '{text[:40]}' is not {kind}."
            if text
            else f"{field.title}: enter {kind}."
        ) from None
    if math.isfinite(value) and value.is_integer() and field.integer:
        return int(value)
    return value


def checked(project: Project, field: Field, value: Any) -> dict[str, Any]:
    """The project's whole new section (``training`` or ``data``) with ``value`` set, as the
    core accepts it (the value converted to its type).

    Raises
    ------
    FTStudioError
        The core refuses the value; the message says why (without the file-format hint).
    """
    section = dict(getattr(project, field.section))
    try:
        if field.section == "data":
            parse_data_config({**section, field.key: value})
        else:
            value = getattr(parse_training_config({field.key: value}), field.key)
    except FTStudioError as exc:
        message = str(exc).removesuffix(TRAINING_FIX_HINT).removesuffix(DATA_FIX_HINT)
        raise FTStudioError(message.strip()) from None
    section[field.key] = value
    return section


def inactive_reason(project: Project, field: Field) -> str | None:
    """Why ``field`` does nothing for this project (its editor is then disabled), or None."""
    optimizer = current_value(project, BY_KEY["optimizer"])
    schedule = current_value(project, BY_KEY["schedule"])
    if field.key == "momentum" and optimizer != "sgd":
        return f"Used by SGD only; the optimizer is {optimizer}."
    if field.key in ("step_epochs", "step_gamma") and schedule != "step":
        return f"Used by the step schedule only; the schedule is {schedule}."
    if field.key == "label_smoothing" and project.task.kind == "regression":
        return "Classification only; this task is regression."
    source = project.data.get("source", "digits")
    if field.section == "data" and source != "image-folder":
        return f"Image-folder data only; this project's data is '{source}'."
    return None


def monitor_choices(project: Project) -> list[str]:
    """The metrics a run of this task reports (those training.monitor may name)."""
    other = "val_mae" if project.task.kind == "regression" else "val_accuracy"
    return ["val_loss", other]


def summary(project: Project, group: str) -> str:
    """The group's settings that differ from their defaults, e.g. ``SGD, wd 0.05``."""
    parts = []
    for field in FIELDS:
        if field.group != group or inactive_reason(project, field) is not None:
            continue
        value = current_value(project, field)
        if value == default_value(field):
            continue
        if field.kind == "choice":
            parts.append(dict(field.choices).get(value, str(value)))
        elif field.kind == "flag":
            parts.append(field.short if value else f"no {field.short}")
        else:
            parts.append(f"{field.short} {shown(value)}")
    return ", ".join(parts)
