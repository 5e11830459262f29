"""The keys each section of a ``.ftproj`` file may hold: one declaration per section.

A section's keys come from the dataclass that holds it, so a new setting is declared once, as
a field: ``input`` from :class:`InputSpec`, ``task`` from :class:`TaskSpec`, a block from
:class:`BlockSpec`, ``data`` from :class:`~ftstudio.core.data.config.DataConfig` and
``training`` from :class:`~ftstudio.core.training.config.TrainConfig`. Any other key is an
error naming the key, its place and the nearest known key. Old keys are accepted only by the
migrations in :mod:`ftstudio.core.project_reader`.
"""

from __future__ import annotations

from dataclasses import fields

from ftstudio.core.data.config import DataConfig
from ftstudio.core.project_spec import BlockSpec, InputSpec, Project, TaskSpec

FORMAT_NAME = "ftstudio-project"
MAX_DEPTH = 16  # objects and lists inside each other; a real project needs about 5


def _names(cls: type, leave_out: tuple[str, ...] = ()) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls) if f.name not in leave_out)


TOP_LEVEL_KEYS = ("format", "version", *_names(Project, ("path",)))
INPUT_KEYS = _names(InputSpec)
TASK_KEYS = _names(TaskSpec)
BLOCK_KEYS = _names(BlockSpec)
DATA_KEYS = _names(DataConfig)
VALIDATION_KEYS = tuple(k for k in DATA_KEYS if k != "validation")


def training_keys() -> tuple[str, ...]:
    """The ``training`` section's keys.

    Imported here, not at the top: the training package's ``__init__`` loads the training loop,
    which reads projects (a cycle). ``training/config.py`` itself depends on nothing of ours.
    """
    from ftstudio.core.training.config import TrainConfig

    return _names(TrainConfig)


def too_deep(raw: object, limit: int = MAX_DEPTH) -> str | None:
    """The place (``data.a.b``) where ``raw`` nests more than ``limit`` levels, or None.

    Iterative, so an absurdly deep document cannot overflow the stack here.
    """
    stack: list[tuple[object, str, int]] = [(raw, "", 0)]
    while stack:
        value, where, depth = stack.pop()
        if depth > limit:
            return where or "the top level"
        if isinstance(value, dict):
            stack += [(v, f"{where}.{k}" if where else str(k), depth + 1) for k, v in value.items()]
        elif isinstance(value, list):
            stack += [(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]
    return None
