"""Atomic saves: the one writer, and removing the temporary files a killed save left behind.

An atomic save writes ``.<name>.<8 random characters>.tmp`` beside ``<name>`` (see
:func:`prefix` and :data:`SUFFIX`), then renames it over ``<name>``. A process killed in between
leaves that file; the next save of the same file removes it once it is older than
:data:`STALE_AFTER_S`, and a run removes those of its run folder when it starts.

The saved file has normal permissions: the mode of the file it replaces, or for a new file the
mode ``open()`` gives (0666 less the umask), never ``mkstemp``'s 0600.
"""

from __future__ import annotations

import glob
import os
import re
import secrets
import stat
import time
from pathlib import Path

SUFFIX = ".tmp"
STALE_AFTER_S = 600.0  # longer than any save takes from its last write to its rename
_NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"
_NEW_FILE_MODE = 0o666  # what open() asks for; the kernel takes the umask off
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_CREATE |= getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)


def prefix(name: str) -> str:
    """Prefix of the temporary files of an atomic save of the file ``name``."""
    return f".{name}."


def is_temp_of(candidate: str, name: str) -> bool:
    """Whether ``candidate`` is one of our temporary names for the file ``name``."""
    pattern = re.escape(prefix(name)) + r"[a-z0-9_]{8}" + re.escape(SUFFIX)
    return re.fullmatch(pattern, candidate) is not None


def _kept_mode(path: Path) -> int | None:
    """Permission bits of the regular file ``path`` replaces, or None for a new file."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return stat.S_IMODE(info.st_mode) if stat.S_ISREG(info.st_mode) else None


def _create_temp(folder: Path, name: str) -> tuple[int, Path]:
    """Create a new temporary file for ``name`` in ``folder`` with open()'s mode."""
    for _ in range(100):
        random = "".join(secrets.choice(_NAME_CHARS) for _ in range(8))
        tmp = folder / f"{prefix(name)}{random}{SUFFIX}"
        try:
            return os.open(tmp, _CREATE, _NEW_FILE_MODE), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"No free temporary file name for {name} in {folder}.")


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and ``os.replace``.

    The file keeps the mode of the file it replaces; a new one gets the mode the umask gives.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _kept_mode(path)
    fd, tmp = _create_temp(path.parent, path.name)
    try:
        with os.fdopen(fd, "wb") as handle:
            if mode is not None:
                _chmod(handle.fileno(), tmp, mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    # leftovers of earlier saves of this file that were killed half-way
    remove_stale_temps(path.parent, [path.name], older_than=STALE_AFTER_S)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically, as :func:`atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _chmod(fd: int, path: Path, mode: int) -> None:
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:  # Windows before Python 3.13
        os.chmod(path, mode)


def remove_stale_temps(
    folder: str | Path, names: tuple[str, ...] | list[str], older_than: float = 0.0
) -> list[Path]:
    """Delete our leftover temporary files of ``names`` in ``folder``; return what was removed.

    Only files matching our own temporary-name pattern are touched, never anything else, and
    only those last modified more than ``older_than`` seconds ago (so that a save still being
    written by another process is left alone). A file that cannot be removed is skipped.
    """
    folder = Path(folder)
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    now = time.time()
    for name in names:
        for path in folder.glob(f"{glob.escape(prefix(name))}*{SUFFIX}"):
            if not is_temp_of(path.name, name) or path.is_symlink():
                continue
            try:
                if not path.is_file() or now - path.stat().st_mtime < older_than:
                    continue
                path.unlink()
            except OSError:  # gone already (another cleaner), or not ours to remove
                continue
            removed.append(path)
    return removed
