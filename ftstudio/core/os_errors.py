"""One sentence for an ``OSError`` (full disk, read-only folder, a file where a folder must be).

Used where an operating-system error reaches the user unplanned: the CLI's last resort and
the window's failure messages. It names the path and says what to do, never a traceback.
"""

from __future__ import annotations

import errno

from ftstudio.core.text import printable

_HINTS = {
    errno.ENOSPC: "The disk is full: free some space, or choose a folder on another disk.",
    errno.EROFS: "That file system is read-only: choose a folder you can write to.",
    errno.EACCES: "Permission denied: choose a folder you can write to, or fix its permissions.",
    errno.EPERM: "Not permitted: choose a folder you can write to, or fix its permissions.",
    errno.ENOTDIR: "A part of that path is a file, not a folder: choose another path.",
    errno.EEXIST: "Something already exists there (perhaps a file where a folder is needed): "
    "choose another path.",
    errno.EISDIR: "That is a folder: give a file name instead.",
    errno.ENOENT: "Check the path: a file or folder in it does not exist.",
    errno.ENAMETOOLONG: "The path is too long: choose a shorter one.",
}
if hasattr(errno, "EDQUOT"):
    _HINTS[errno.EDQUOT] = "Your disk quota is used up: free some space, or choose another disk."


def describe_os_error(exc: OSError) -> str:
    """``exc`` as one line: the path, the system's reason, and what to do."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    where = f"{exc.filename}: " if exc.filename else ""
    hint = _HINTS.get(exc.errno or 0, "Check the path and the disk, then try again.")
    return printable(f"{where}{reason}. {hint}")
