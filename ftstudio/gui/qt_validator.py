"""Shape validation after every edit, debounced and run off the GUI thread.

Edits restart a short single-shot timer; when it fires, a snapshot of the project goes to a
worker living in its own QThread, and the report comes back as a queued signal. Only the
newest request's report is published, so a slow old run never overwrites a newer one. When
the data source is local and cheap to read, the data is checked too (``validate --data``).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from ftstudio.core.data.peek import cheap_to_peek
from ftstudio.core.project import Project
from ftstudio.core.shapes import ValidationReport, validate
from ftstudio.core.text import cut_message
from ftstudio.core.time_limit import CancelToken, cancellable

DEBOUNCE_MS = 15
DEFAULT_BATCH = 32


def failure_message(exc: BaseException) -> str:
    """A validator exception as a status-bar message: never empty, never huge."""
    detail = str(exc).strip() or "no message"
    return cut_message(f"Validation failed: {type(exc).__name__}: {detail}", 500, 3)


def batch_size_of(project: Project) -> int:
    value = project.training.get("batch_size", DEFAULT_BATCH)
    return value if isinstance(value, int) and value > 0 else DEFAULT_BATCH


class _QtValidationWorker(QObject):
    done = Signal(int, object)

    @Slot(int, object, object)
    def run(self, generation: int, project: Project, token: CancelToken) -> None:
        if token.cancelled:  # a newer request is queued behind this one
            return
        try:
            with cancellable(token):
                report = validate(
                    project, batch_size_of(project), check_data=cheap_to_peek(project)
                )
        except Exception as exc:  # noqa: BLE001 - shown to the user, never crashes the window
            report = exc
        self.done.emit(generation, report)


class QtValidator(QObject):
    """Publishes ``reportReady(report)`` for the newest project state."""

    reportReady = Signal(object)
    failed = Signal(str)
    _request = Signal(int, object, object)

    def __init__(self, project_getter, parent: QObject | None = None):
        super().__init__(parent)
        self._project = project_getter
        self._generation = 0
        self._published = 0
        self.report: ValidationReport | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._start)
        self._token = CancelToken()  # the running request's: a newer one abandons it
        self._thread = QThread()
        self._thread.setObjectName("ftstudio-validation")
        self._worker = _QtValidationWorker()
        self._worker.moveToThread(self._thread)
        self._request.connect(self._worker.run)
        self._worker.done.connect(self._finished)
        self._thread.start()

    def request(self) -> None:
        """Validate soon (coalesces bursts of edits)."""
        if self._thread.isRunning():
            self._timer.start()

    def _start(self) -> None:
        self._generation += 1
        try:  # copying a pathological project can fail too (RecursionError...)
            snapshot = self._project().copy()
        except Exception as exc:  # noqa: BLE001 - shown in the status bar, never left hanging
            self._finished(self._generation, exc)
            return
        self._token.cancel()  # a stuck older validation is abandoned, not waited for
        self._token = CancelToken()
        self._request.emit(self._generation, snapshot, self._token)

    @Slot(int, object)
    def _finished(self, generation: int, report) -> None:
        if generation != self._generation:
            return
        self._published = generation
        if isinstance(report, BaseException):
            self.failed.emit(failure_message(report))
            return
        self.report = report
        self.reportReady.emit(report)

    @property
    def idle(self) -> bool:
        """True when the last published report matches the newest request."""
        return not self._timer.isActive() and self._published == self._generation > 0

    def shutdown(self) -> None:
        """Stop the timer and the worker thread; safe to call twice."""
        self._timer.stop()
        self._token.cancel()  # closing never waits for a stuck validation
        if self._thread.isRunning():
            self._thread.quit()
            self._thread.wait()
