"""Training > Profile: the window's ``ftstudio train --profile N``.

The work is core's :func:`profile_project` on a background thread; the result (what was
recorded, where the Chrome trace is, the top operators by self time) is shown in a window
that stays open beside the main one.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QFontDatabase
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMenu, QPlainTextEdit, QVBoxLayout

from ftstudio.core.errors import FTStudioError
from ftstudio.core.training import TrainControl
from ftstudio.core.training.profile import ProfileResult, profile_project
from ftstudio.gui.qt_background import QtBackgroundTask
from ftstudio.gui.qt_training_panel import new_run_dir

PROFILE_STEPS = 10
MESSAGE_MS = 8000


class QtProfiler(QObject):
    """The Profile action: one profiling run at a time, never beside a training run."""

    message = Signal(str, int)  # for the status bar

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.action = QAction("&Profile", window)
        self.action.setStatusTip(
            f"Train {PROFILE_STEPS} steps with torch.profiler after a short warm-up: a Chrome "
            "trace in a new run folder and the operators that take the most time"
        )
        self.action.triggered.connect(self.start)
        self.task = QtBackgroundTask("ftstudio-profile", self)
        self.task.succeeded.connect(self._show)
        self.task.failed.connect(self._failed)
        self.task.ended.connect(self.update_action)
        self.control: TrainControl | None = None
        self.dialog: QDialog | None = None
        self.update_action()

    def can_start(self) -> bool:
        """Shapes fit and no training or profiling run is going (Train's own condition)."""
        return self.window.training.train_action.isEnabled() and not self.task.running

    def busy(self) -> str:
        """While profiling, what keeps Train off (the Training dock says it)."""
        return "a profiling run is going" if self.task.running else ""

    def update_action(self, *_args) -> None:
        self.window.training.refresh_state()  # Train is off while profiling, and back after
        self.action.setEnabled(self.can_start())

    def start(self) -> bool:
        if not self.can_start():
            return False
        project = self.window.doc.project.copy()  # the user keeps editing the document
        try:
            run_dir = new_run_dir(project)
        except FTStudioError as exc:
            self._failed(str(exc))
            return False
        control = self.control = TrainControl()
        self.task.start(
            lambda: profile_project(project, PROFILE_STEPS, control=control, run_dir=run_dir),
            "Profiling",
        )
        self.update_action()
        self.message.emit(f"Profiling {PROFILE_STEPS} training steps in {run_dir}…", MESSAGE_MS)
        return True

    def _show(self, result: ProfileResult) -> None:
        where = f"trace in {result.trace}" if result.trace else "no trace written"
        self.message.emit(f"Profile done: {where}", MESSAGE_MS)
        if self.dialog is not None:
            self.dialog.close()
        self.dialog = profile_dialog(result.describe(), self.window)
        self.dialog.show()

    def _failed(self, message: str) -> None:
        self.message.emit(f"Profile failed: {message}", MESSAGE_MS)
        self.window.dialogs.show_error("Profile failed", message)

    def shutdown(self) -> None:
        """Stop a profiling run within its batch and join its thread (the window closes)."""
        if self.control is not None:
            self.control.request_stop()
        self.task.shutdown()
        if self.dialog is not None:
            self.dialog.close()


def profile_dialog(text: str, parent) -> QDialog:
    """A window with the profile's text in a fixed-width, selectable field."""
    dialog = QDialog(parent, windowTitle="Profile")
    view = QPlainTextEdit(text, readOnly=True, objectName="profileText")
    view.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
    view.setLineWrapMode(QPlainTextEdit.NoWrap)
    buttons = QDialogButtonBox(QDialogButtonBox.Close)
    buttons.rejected.connect(dialog.close)
    layout = QVBoxLayout(dialog)
    layout.addWidget(view)
    layout.addWidget(buttons)
    dialog.resize(760, 460)
    return dialog


def attach_profiler(window) -> QtProfiler:
    """Add Profile to the Training menu, enabled as Train is; returns the profiler."""
    profiler = QtProfiler(window)
    window.training.busy_elsewhere = profiler.busy
    menu = next(
        (a.menu() for a in window.menuBar().actions() if a.text() == "&Training" and a.menu()),
        None,
    )
    if isinstance(menu, QMenu):
        menu.insertAction(window.training.pause_action, profiler.action)
    window.validator.reportReady.connect(profiler.update_action)
    window.training.runningChanged.connect(profiler.update_action)
    profiler.message.connect(window.status.showMessage)
    return profiler
