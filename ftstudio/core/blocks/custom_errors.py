"""Errors raised by a user's blocks file, named by the place in that file (``file.py:12``)."""

from __future__ import annotations

import inspect
import traceback
from pathlib import Path

from ftstudio.core.errors import FTStudioError


class CustomBlockError(FTStudioError):
    """A user's blocks file cannot be loaded, or one of its classes failed."""


def place_in(exc: BaseException, path: Path) -> str:
    """``name.py:LINE`` of the innermost traceback frame in ``path`` ("" if none is).

    A :class:`SyntaxError` in the file itself names its own line.
    """
    if isinstance(exc, SyntaxError) and exc.filename and _same(exc.filename, path):
        return f"{path.name}:{exc.lineno}"
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if _same(frame.filename, path):
            return f"{path.name}:{frame.lineno}"
    return ""


def place_of(obj: object, path: Path) -> str:
    """``name.py:LINE`` where ``obj`` (a class or function) is defined in ``path``, or ""."""
    try:
        if not _same(inspect.getsourcefile(obj) or "", path):
            return ""
        return f"{path.name}:{inspect.getsourcelines(obj)[1]}"
    except (OSError, TypeError):
        return ""


def exception_text(exc: BaseException) -> str:
    """``Type: first line of the message`` (the message only, never a traceback)."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _same(filename: str, path: Path) -> bool:
    try:
        return Path(filename).resolve() == path
    except (OSError, ValueError):
        return False
