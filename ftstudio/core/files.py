"""Checks on paths a user gives us, made before a single byte is read."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ftstudio.core.errors import FTStudioError
from ftstudio.core.text import printable

_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def require_regular_file(
    path: str | os.PathLike, what: str, error: type[FTStudioError] = FTStudioError, hint: str = ""
) -> Path:
    """``path`` as a :class:`Path` if it names an existing regular file (links followed).

    A folder, a pipe, a device such as ``/dev/zero`` or a socket is refused without being
    opened, so nothing is ever read without bound or blocks on a writer.

    Parameters
    ----------
    path : str or PathLike
        The path the user gave.
    what : str
        What the file is for, starting the message, e.g. ``"data source 'csv' (d.csv)"``;
        ``""`` when the caller names it (a block's file: validation names the block).
    error : type
        The exception raised (one of ours).
    hint : str
        What to do, appended to the message, e.g. ``"Check data.path in the project."``.

    Raises
    ------
    error
        The path is missing, unreadable or not a regular file; the message names it.
    """
    p = Path(path).expanduser()
    shown = printable(str(p))
    tail = f" {hint}" if hint else ""
    lead = f"{what}: " if what else ""
    try:
        mode = p.stat().st_mode
    except FileNotFoundError:
        raise error(f"{lead}the file {shown} does not exist.{tail}") from None
    except OSError as exc:
        raise error(f"{lead}cannot open {shown}: {exc.strerror or exc}.{tail}") from None
    if stat.S_ISREG(mode):
        return p
    if stat.S_ISDIR(mode):
        kind = "a folder"
    else:
        kind = next((name for test, name in _KINDS if test(mode)), "a special file")
    raise error(f"{lead}{shown} is not a regular file (it is {kind}), so it was not read.{tail}")
