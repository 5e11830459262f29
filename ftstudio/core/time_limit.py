"""Run user-supplied code (a TorchScript module's forward) with a time limit.

A scripted module can loop forever inside TorchScript's interpreter, where neither Python
nor Ctrl-C can stop it. It runs in a daemon thread instead (TorchScript releases the GIL),
and the caller waits at most ``seconds``, interruptibly: an endless loop becomes an error
naming the block, and Ctrl-C still reaches the main thread. The stuck thread cannot be
killed; it is abandoned and ends with the process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TypeVar

from ftstudio.core.errors import FTStudioError

T = TypeVar("T")

DEFAULT_TIME_LIMIT_S = 30.0


def user_code_time_limit() -> float:
    """Seconds that validation gives one block; ``FTSTUDIO_USER_CODE_TIME_LIMIT_S`` sets it."""
    try:
        value = float(os.environ.get("FTSTUDIO_USER_CODE_TIME_LIMIT_S", DEFAULT_TIME_LIMIT_S))
    except ValueError:
        return DEFAULT_TIME_LIMIT_S
    return value if value > 0 else DEFAULT_TIME_LIMIT_S


class TimeLimitError(FTStudioError):
    """User-supplied code did not finish within its time limit."""


def run_with_time_limit(fn: Callable[[], T], seconds: float, what: str) -> T:
    """``fn()``, or :class:`TimeLimitError` when it takes longer than ``seconds``.

    ``what`` starts the message, e.g. ``"The TorchScript module of block 1 'Backbone'"``.
    """
    result: dict[str, object] = {}

    def target() -> None:
        try:
            result["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            result["error"] = exc

    worker = threading.Thread(target=target, name="ftstudio-user-code", daemon=True)
    worker.start()
    worker.join(seconds)  # interruptible: Ctrl-C raises KeyboardInterrupt here
    if worker.is_alive():
        raise TimeLimitError(
            f"{what} did not finish building and running a small batch within {seconds:g} s; "
            "it may loop forever. Check its code (a loop that never ends), or replace the file."
        )
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    return result["value"]  # type: ignore[return-value]
