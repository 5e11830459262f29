"""Temporary files of atomic saves, and removing the ones a killed save left behind.

An atomic save writes ``.<name>.<8 random characters>.tmp`` beside ``<name>`` (the names
``tempfile.mkstemp`` makes with :data:`PREFIX`/:data:`SUFFIX`), then renames it over ``<name>``.
A process killed in between leaves that file; the next save or run in the folder removes it.
"""

from __future__ import annotations

import glob
import re
from pathlib import Path

SUFFIX = ".tmp"


def prefix(name: str) -> str:
    """``mkstemp`` prefix of an atomic save of the file ``name``."""
    return f".{name}."


def is_temp_of(candidate: str, name: str) -> bool:
    """Whether ``candidate`` is one of our temporary names for the file ``name``."""
    pattern = re.escape(prefix(name)) + r"[a-z0-9_]{8}" + re.escape(SUFFIX)
    return re.fullmatch(pattern, candidate) is not None


def remove_stale_temps(folder: str | Path, names: tuple[str, ...] | list[str]) -> list[Path]:
    """Delete our leftover temporary files of ``names`` in ``folder``; return what was removed.

    Only files matching our own temporary-name pattern are touched, never anything else.
    """
    folder = Path(folder)
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for name in names:
        for path in folder.glob(f"{glob.escape(prefix(name))}*{SUFFIX}"):
            if is_temp_of(path.name, name) and path.is_file() and not path.is_symlink():
                try:
                    path.unlink()
                except FileNotFoundError:  # another cleaner got there first
                    continue
                removed.append(path)
    return removed
