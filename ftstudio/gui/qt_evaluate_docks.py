"""The Evaluate dock of the main window (tabbed with Training): a checkpoint chooser shared by
two tabs, the Evaluate view and Try a sample; wired to the training runner (a finished run's
best checkpoint is offered at once) and to project changes."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDockWidget, QHBoxLayout, QLabel, QTabWidget, QVBoxLayout, QWidget

from ftstudio.gui.qt_checkpoint_picker import QtCheckpointPicker
from ftstudio.gui.qt_evaluate import QtEvaluatePanel
from ftstudio.gui.qt_first_paint import QtAfterFirstPaint
from ftstudio.gui.qt_try_sample import QtTrySamplePanel


class QtEvaluateDocks(QObject):
    """Builds the panels and their dock in ``window``; :meth:`shutdown` joins their threads."""

    def __init__(self, window):
        super().__init__(window)
        project = lambda: window.doc.project  # noqa: E731 - the open document, read late
        self.picker = QtCheckpointPicker(project, refresh=False)
        self.evaluate = QtEvaluatePanel(project, self.picker)
        self.try_sample = QtTrySamplePanel(project, window.dialogs.choose_file, self.picker)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.evaluate, "Evaluate")
        self.tabs.addTab(self.try_sample, "Try a sample")
        box = QWidget()
        row = QHBoxLayout()
        row.addWidget(QLabel("Checkpoint:"))
        row.addWidget(self.picker, 1)
        layout = QVBoxLayout(box)
        layout.addLayout(row)
        layout.addWidget(self.tabs, 1)
        self.window = window
        self.dock = QDockWidget("Evaluate", window, objectName="evaluateDock")
        self.dock.setWidget(box)
        self.dock.hide()
        window.view_menu.addAction(self.dock.toggleViewAction())
        self.placed = False
        self._placer = QtAfterFirstPaint(window, self.place)
        for panel in (self.evaluate, self.try_sample):
            panel.message.connect(window.status.showMessage)
        window.training.runner.finished.connect(self.evaluate.refresh)
        window.doc.connect(self._on_event)

    def place(self) -> None:
        """Put the dock where the saved layout had it, else tabbed with Training. Done once the
        window is shown: Qt (6.11) tabifying a second dock group before the first show leaves
        a stale copy of its tab bar drawn over the palette."""
        if self.placed:
            return
        self.placed = True
        self.picker.refresh()  # reads the run folders: after the first paint, not before
        if not self.window.restoreDockWidget(self.dock):
            self.window.tabifyDockWidget(self.window.training_dock, self.dock)
            self.dock.show()
            self.window.training_dock.raise_()

    def show_tab(self, panel: QWidget) -> None:
        """Raise the dock on ``panel`` (the Evaluate view or Try a sample)."""
        self.place()
        self.dock.show()
        self.dock.raise_()
        self.tabs.setCurrentWidget(panel)

    def _on_event(self, event: str, _info: dict) -> None:
        if event == "reset":  # another project: its own runs
            self.evaluate.project_replaced()
            self.try_sample.project_replaced()

    def shutdown(self) -> None:
        self.evaluate.shutdown()
        self.try_sample.shutdown()
