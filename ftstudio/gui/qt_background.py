"""Run one plain function off the GUI thread: a QObject worker moved to a QThread.

The function never touches a widget; its return value or its error message comes back to
the GUI thread as a queued signal. Errors of our own (:class:`FTStudioError`) carry a message
written for the user and are passed on as is; anything else is a bug, logged with its
traceback and reported as one line. ``ended`` is always the last signal of a task, emitted
once its thread has stopped.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

from ftstudio.core.errors import FTStudioError
from ftstudio.core.failures import failure_message

log = logging.getLogger(__name__)


def end_worker_thread(worker: QObject) -> None:
    """Called by a worker at the end of its job, on its own thread: hand the worker back to
    the GUI thread (so it is deleted there) and stop the thread's event loop."""
    thread = QThread.currentThread()
    app = QCoreApplication.instance()
    if app is not None:
        worker.moveToThread(app.thread())
    thread.quit()


class QtCallWorker(QObject):
    """Calls ``fn()`` once in :meth:`run`; lives in the task's QThread."""

    succeeded = Signal(object)
    failed = Signal(str)

    def __init__(self, fn: Callable[[], Any], what: str):
        super().__init__()
        self.fn = fn
        self.what = what

    @Slot()
    def run(self) -> None:
        try:
            value = self.fn()
        except FTStudioError as exc:  # the user's to fix: the core's own message
            self.failed.emit(failure_message(exc, self.what))
        except Exception as exc:  # noqa: BLE001 - a bug must reach the window, never crash it
            log.error("%s failed:\n%s", self.what, traceback.format_exc())
            self.failed.emit(failure_message(exc, self.what))
        else:
            self.succeeded.emit(value)
        finally:
            end_worker_thread(self)


class QtBackgroundTask(QObject):
    """One background call at a time. ``succeeded(value)`` or ``failed(message)``, then
    ``ended()``. After :meth:`shutdown` a late result is dropped."""

    succeeded = Signal(object)
    failed = Signal(str)
    ended = Signal()

    def __init__(self, name: str, parent: QObject | None = None):
        super().__init__(parent)
        self.name = name
        self.thread: QThread | None = None
        self.worker: QtCallWorker | None = None
        self.closed = False

    @property
    def running(self) -> bool:
        return self.thread is not None

    def start(self, fn: Callable[[], Any], what: str = "The task") -> None:
        """Call ``fn()`` on a new thread; ``what`` names it in an unexpected error."""
        if self.running:
            raise RuntimeError(f"{self.name} is already running")
        if self.closed:
            raise RuntimeError(f"{self.name} was shut down")
        worker = QtCallWorker(fn, what)
        thread = QThread()
        thread.setObjectName(self.name)
        worker.moveToThread(thread)
        worker.succeeded.connect(self._succeeded)  # queued: worker thread -> GUI thread
        worker.failed.connect(self._failed)
        thread.started.connect(worker.run)
        thread.finished.connect(self._thread_finished)
        self.thread, self.worker = thread, worker
        thread.start()

    @Slot(object)
    def _succeeded(self, value: Any) -> None:
        if not self.closed:
            self.succeeded.emit(value)

    @Slot(str)
    def _failed(self, message: str) -> None:
        if not self.closed:
            self.failed.emit(message)

    @Slot()
    def _thread_finished(self) -> None:
        sender = self.sender()
        if self.thread is None or (sender is not None and sender is not self.thread):
            return  # already handled by shutdown()
        self.thread.wait()  # ``finished`` comes just before the thread really ends
        self.thread = self.worker = None
        if not self.closed:
            self.ended.emit()

    def shutdown(self) -> None:
        """Wait for a running call to return and join its thread (the window is closing);
        safe to call twice. The call itself cannot be interrupted.

        No ``quit()`` here: the worker quits its thread when the call returns, and a
        ``quit()`` that came before the thread's event loop started would skip the call.
        """
        self.closed = True
        if self.thread is None:
            return
        self.thread.wait()
        self._thread_finished()
