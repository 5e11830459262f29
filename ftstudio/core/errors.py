"""Errors a user can cause, each with a message written for that user."""

from __future__ import annotations


class FTStudioError(Exception):
    """Base class: the message says what went wrong, where, and what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ProjectFileError(FTStudioError):
    """A project file cannot be read or is not valid."""


class ParamError(FTStudioError):
    """A block parameter has a wrong type or an out-of-range value."""


class UnknownBlockTypeError(FTStudioError):
    """A block type name is not in the catalog."""


class WeightsUnavailableError(FTStudioError):
    """Pretrained weights could not be found or loaded."""


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
