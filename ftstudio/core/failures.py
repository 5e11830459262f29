"""A failure as a message for the user: never empty, never a traceback.

Where a background task (training, export, validation) ends in an exception, the window and
the CLI show :func:`failure_message`. Our own errors carry their message; an ``OSError`` or
``MemoryError`` says what to do; anything else is named by its type (its details go to the
log), so the user never sees an empty "The run failed".
"""

from __future__ import annotations

from ftstudio.core.errors import FTStudioError
from ftstudio.core.os_errors import describe_os_error

MEMORY_HINT = "Use smaller data, a smaller batch size or model, or a machine with more memory."


def failure_message(exc: BaseException, what: str = "It") -> str:
    """One message for ``exc``; ``what`` names the task (``"Training"``, ``"The export"``)."""
    text = str(exc).strip()
    if isinstance(exc, FTStudioError) and text:
        return text
    if isinstance(exc, KeyboardInterrupt):
        return f"{what} was interrupted (Ctrl-C)."
    if isinstance(exc, MemoryError):
        return f"{what} ran out of memory. {MEMORY_HINT}"
    if isinstance(exc, OSError):
        return describe_os_error(exc)
    name = type(exc).__name__
    if text:
        return f"{what} failed unexpectedly: {name}: {text}"
    return (
        f"{what} failed unexpectedly ({name}, without a message). This is a bug in FT Studio; "
        "the details are in the log."
    )
