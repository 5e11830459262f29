"""Run start-up work that the first paint does not need right after that paint."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget


class QtAfterFirstPaint(QObject):
    """Calls ``callback`` once, just after ``window``'s first paint.

    A window that is still hidden when the event loop first runs (a test, a window shown
    later) gets the callback then, so its work never waits for a paint that may not come.
    """

    def __init__(self, window: QWidget, callback: Callable[[], None]):
        super().__init__(window)
        self._window = window
        self._callback: Callable[[], None] | None = callback
        window.installEventFilter(self)
        QTimer.singleShot(0, self, self._run_if_hidden)

    @property
    def done(self) -> bool:
        return self._callback is None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.Paint and not self.done:
            QTimer.singleShot(0, self, self._run)  # after the paint has reached the screen
        return False

    def _run_if_hidden(self) -> None:
        if not self._window.isVisible():
            self._run()

    def _run(self) -> None:
        if self._callback is None:
            return
        callback, self._callback = self._callback, None
        self._window.removeEventFilter(self)
        callback()
