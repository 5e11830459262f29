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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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


class Cancelled(FTStudioError):
    """The caller abandoned the work (a newer validation replaced it, the window closed)."""


class CancelToken:
    """Lets another thread abandon :func:`run_with_time_limit` calls made under it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._waiters: set[threading.Event] = set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            waiters = list(self._waiters)
        for event in waiters:
            event.set()

    def _watch(self, event: threading.Event) -> None:
        with self._lock:
            self._waiters.add(event)
            if self._cancelled:
                event.set()

    def _unwatch(self, event: threading.Event) -> None:
        with self._lock:
            self._waiters.discard(event)


_TOKEN: ContextVar[CancelToken | None] = ContextVar("ftstudio_cancel_token", default=None)


@contextmanager
def cancellable(token: CancelToken) -> Iterator[None]:
    """Calls of :func:`run_with_time_limit` in this block end early once ``token`` is
    cancelled (raising :class:`Cancelled`)."""
    reset = _TOKEN.set(token)
    try:
        yield
    finally:
        _TOKEN.reset(reset)


def run_with_time_limit(fn: Callable[[], T], seconds: float, what: str) -> T:
    """``fn()``, or :class:`TimeLimitError` when it takes longer than ``seconds``.

    ``what`` starts the message, e.g. ``"Its module"``. Under :func:`cancellable`, a
    cancelled token ends the wait at once with :class:`Cancelled`.
    """
    result: dict[str, object] = {}
    woken = threading.Event()

    def target() -> None:
        try:
            result["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            result["error"] = exc
        finally:
            woken.set()

    token = _TOKEN.get()
    if token is not None:
        token._watch(woken)
    try:
        worker = threading.Thread(target=target, name="ftstudio-user-code", daemon=True)
        worker.start()
        woken.wait(seconds)  # interruptible: Ctrl-C raises KeyboardInterrupt here
    finally:
        if token is not None:
            token._unwatch(woken)
    if "value" not in result and "error" not in result:
        if token is not None and token.cancelled:
            raise Cancelled(f"{what}: abandoned (a newer request replaced it).")
        raise TimeLimitError(
            f"{what} did not finish building and running a small batch within {seconds:g} s; "
            "it may loop forever. Check its code (a loop that never ends), or replace the file."
        )
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    return result["value"]  # type: ignore[return-value]
