"""Work-arounds for bugs in the PySide6 release we run on."""

from __future__ import annotations

import ctypes
import sys

NONE_GUARD = 1 << 40


def keep_none_alive() -> None:
    """PySide6 6.12.0 on Python < 3.12 drops a reference to ``None`` on every call of a
    method returning nothing (``QWidget.update()``, ``processEvents()``, an overridden
    ``data()`` returning None...). After some thousands of calls CPython aborts with
    "none_dealloc: deallocating None". Python 3.12 made None immortal; here we give it a
    huge reference count once, which has the same effect. pyproject.toml excludes 6.12.0;
    this guards a later 6.12.x that may carry the same bug.
    """
    import PySide6

    if sys.version_info >= (3, 12) or not PySide6.__version__.startswith("6.12."):
        return
    if getattr(keep_none_alive, "done", False):
        return
    ctypes.c_ssize_t.from_address(id(None)).value += NONE_GUARD
    keep_none_alive.done = True
