"""Errors a user can cause, each with a message written for that user.

No message is longer than a few lines: every error of ours goes through
:func:`ftstudio.core.text.cut_message`; long lists in messages use
:func:`ftstudio.core.text.summarise`.
"""

from __future__ import annotations

from ftstudio.core.text import cut_message

MAX_LISTED_PROBLEMS = 8


class FTStudioError(Exception):
    """Base class: the message says what went wrong, where, and what to do."""

    def __init__(self, message: str):
        message = cut_message(_strip_worker_traceback(message, type(self)))
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ProjectFileError(FTStudioError):
    """A project file cannot be read or is not valid.

    ``problems`` lists every problem found (one sentence each); the message shows the first
    few. ``ftstudio validate`` prints them all.
    """

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = [cut_message(p, 600, 3) for p in problems] if problems else [self.message]

    @classmethod
    def from_problems(cls, source: str, problems: list[str]) -> ProjectFileError:
        if len(problems) == 1:
            return cls(problems[0], problems)
        lines = [f"{source} has {len(problems)} problems:"]
        lines += [f"- {p}" for p in problems[:MAX_LISTED_PROBLEMS]]
        if len(problems) > MAX_LISTED_PROBLEMS:
            more = len(problems) - MAX_LISTED_PROBLEMS
            lines.append(f"- … and {more} more; `ftstudio validate` lists them all.")
        return cls("\n".join(lines), problems)


class ParamError(FTStudioError):
    """A block parameter has a wrong type or an out-of-range value."""


class UnknownBlockTypeError(FTStudioError):
    """A block type name is not in the catalog."""


class WeightsUnavailableError(FTStudioError):
    """Pretrained weights could not be found or loaded."""

    details = ""  # the full list of keys that do not fit, when the message summarises it


class ShapeMismatch(FTStudioError):
    """A block cannot accept the shape it is given.

    Raised while building a block for a given input shape. ``expected`` and ``got`` are
    human-readable shapes; ``fix`` is the name of a block type to insert before it, if any.
    """

    def __init__(self, message: str, *, expected: str = "", got: str = "", fix: str | None = None):
        super().__init__(message)
        self.expected = expected
        self.got = got
        self.fix = fix


class DataError(FTStudioError):
    """A data source is missing, malformed or does not fit the model."""


class TrainingError(FTStudioError):
    """Training stopped because of a problem the user can act on."""


_WORKER_PREFIX = "Caught "
_WORKER_TRACEBACK = "\nOriginal Traceback (most recent call last):"


def _strip_worker_traceback(message: str, cls: type) -> str:
    """The user's message inside a DataLoader worker's re-raise, without the traceback.

    A worker process re-raises our errors as ``cls("Caught X in DataLoader worker process 0.
    Original Traceback ... module.X: <message>")``; the user must see only ``<message>``.
    """
    if not message.startswith(_WORKER_PREFIX) or _WORKER_TRACEBACK not in message:
        return message
    marker = f"{cls.__module__}.{cls.__qualname__}: "
    _, found, tail = message.rpartition(marker)
    return tail.rstrip("\n") if found else message
