"""The Runs dock: the project's runs (from their folders), overlaid on the curves, resumed.

A saved project's runs are read from ``runs/`` beside it (:func:`project_runs`), so reopening
a project shows its earlier runs; an unsaved project shows the runs this window started.
Ticking a run overlays it on the training curves; Resume continues the selected run from its
``last`` checkpoint in the Training dock. :func:`attach_runs` adds the dock to a window.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ftstudio.core.project import Project
from ftstudio.core.run_history import RunRecord, describe_best, project_runs, read_run

# one colour per run, on the curves and in the table
COLORS = ("#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#555555")
COLUMNS = ("Run (started)", "Status", "Epochs", "Best")
STATUS_COLORS = {"failed": "#b00020", "interrupted": "#a05a00", "unfinished": "#a05a00"}


def run_label(run: RunRecord) -> str:
    """A short name (table, legend): the start time, else the folder name."""
    return run.started.strftime("%b %d %H:%M:%S") if run.started else run.name


def run_tooltip(run: RunRecord) -> str:
    lines = [str(run.path)]
    lines += [f"{kind}: {path}" for kind, path in run.checkpoints().items()]
    lines += [f"error: {run.error}"] if run.error else []
    lines += [f"note: {p}" for p in run.problems]
    return "\n".join(lines)


class QtRunsPanel(QWidget):
    """The runs table. ``overlayChanged(list[RunRecord])`` with the ticked runs;
    ``resumeRequested(RunRecord)`` from Resume."""

    overlayChanged = Signal(object)
    resumeRequested = Signal(object)

    def __init__(self, project: Callable[[], Project], parent: QWidget | None = None):
        super().__init__(parent)
        self._project = project
        self.runs: list[RunRecord] = []
        self.session_dirs: list[Path] = []  # runs this window started (all an unsaved one has)
        self.running_dir: Path | None = None
        self._ticked: set[str] = set()
        self._overlaid = False  # runs were sent to the overlay
        self.colors: dict[str, str] = {}
        self.monitor: str | None = None  # the runs' monitored metric, when they share one
        self.table = QTreeWidget(objectName="runsTable", rootIsDecorated=False)
        self.table.setHeaderLabels(list(COLUMNS))
        self.table.setUniformRowHeights(True)
        self.table.header().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.itemChanged.connect(self._item_changed)
        self.table.currentItemChanged.connect(lambda *_: self._update_actions())
        self.resume_action = QAction("Res&ume selected run", self)
        self.resume_action.setShortcut(QKeySequence("Ctrl+Shift+R"))
        self.resume_action.setToolTip(
            "Continue the selected stopped run from its last checkpoint (Ctrl+Shift+R)"
        )
        self.resume_action.triggered.connect(lambda _checked=False: self.resume())
        self.resume_button = QPushButton("Resume", objectName="resumeRun")
        self.resume_button.clicked.connect(self.resume_action.trigger)
        refresh = QPushButton("Refresh", objectName="refreshRuns")
        refresh.clicked.connect(self.refresh)
        self.hint = QLabel("Tick runs to overlay their curves; ★ marks each one's best epoch.")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #555;")
        buttons = QHBoxLayout()
        buttons.addWidget(self.resume_button)
        buttons.addWidget(refresh)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.hint)
        layout.addLayout(buttons)
        self.can_resume: Callable[[], bool] = lambda: True  # the window: Train is possible
        self._update_actions()

    # ------------------------------------------------------------ reading

    def read_runs(self) -> list[RunRecord]:
        """The project's runs from disk, plus those this window started elsewhere."""
        project = self._project()
        runs = project_runs(project.name, project.path) if project.path is not None else []
        known = {r.path.resolve() for r in runs}
        runs += [read_run(d) for d in self.session_dirs if d.resolve() not in known]
        return sorted(runs, key=lambda r: (r.started is not None, r.started, r.name), reverse=True)

    def refresh(self) -> list[RunRecord]:
        """Read the runs again and show them (ticks kept); returns them."""
        selected = self.selected_run()
        self.runs = self.read_runs()
        # one colour per run, the oldest first, so that a new run changes no colour
        self.colors = {
            str(r.path): COLORS[i % len(COLORS)] for i, r in enumerate(reversed(self.runs))
        }
        monitors = {r.monitor for r in self.runs if r.best is not None}
        self.monitor = monitors.pop() if len(monitors) == 1 else None
        self.table.setHeaderLabels([*COLUMNS[:-1], f"Best {self.monitor or ''}".strip()])
        self.table.blockSignals(True)
        self.table.clear()
        for run in self.runs:
            self.table.addTopLevelItem(self._row(run))
        self.table.blockSignals(False)
        if selected is not None:  # the same run stays selected
            self.select(selected.path)
        self._emit_overlay()
        self._update_actions()
        return self.runs

    def _row(self, run: RunRecord) -> QTreeWidgetItem:
        key = str(run.path)
        running = self.running_dir is not None and run.path == self.running_dir
        status = "running" if running and run.status == "unfinished" else run.status_text
        epochs = f"{run.epochs_done}/{run.epochs_planned or '?'}"
        item = QTreeWidgetItem([run_label(run), status, epochs, self._best(run)])
        item.setData(0, Qt.UserRole, key)
        item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
        item.setCheckState(0, Qt.Checked if key in self._ticked else Qt.Unchecked)
        swatch = QPixmap(12, 12)
        swatch.fill(QColor(self.colors[key]))  # its colour on the curves
        item.setIcon(0, QIcon(swatch))
        tip = run_tooltip(run)
        for column in range(len(COLUMNS)):
            item.setToolTip(column, tip)
        if run.status in STATUS_COLORS and not running:
            item.setForeground(1, QColor(STATUS_COLORS[run.status]))
        return item

    def _best(self, run: RunRecord) -> str:
        if run.best is None:
            return "-"
        if self.monitor is None:
            return describe_best(run)
        where = f" (epoch {run.best_epoch})" if run.best_epoch is not None else ""
        return f"{run.best:.4g}{where}"

    # ------------------------------------------------------------ overlay and resume

    def set_ticked(self, run: RunRecord | str | Path, ticked: bool) -> None:
        """Tick or untick a run (by record or folder), as a click on its box does."""
        key = str(run.path if isinstance(run, RunRecord) else run)
        for row in range(self.table.topLevelItemCount()):
            item = self.table.topLevelItem(row)
            if item.data(0, Qt.UserRole) == key:
                item.setCheckState(0, Qt.Checked if ticked else Qt.Unchecked)

    def ticked_runs(self) -> list[RunRecord]:
        return [r for r in self.runs if str(r.path) in self._ticked]

    def _item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if column != 0:
            return
        key = item.data(0, Qt.UserRole)
        if item.checkState(0) == Qt.Checked:
            self._ticked.add(key)
        else:
            self._ticked.discard(key)
        self._emit_overlay()

    def _emit_overlay(self) -> None:
        """Send the ticked runs (read again: a resumed run grew); nothing while none is or
        was ticked, so that opening a window does not make the plots before its first paint."""
        self._ticked &= {str(r.path) for r in self.runs}
        if self._ticked or self._overlaid:
            self._overlaid = bool(self._ticked)
            self.overlayChanged.emit(self.ticked_runs())

    def selected_run(self) -> RunRecord | None:
        item = self.table.currentItem()
        key = item.data(0, Qt.UserRole) if item is not None else None
        return next((r for r in self.runs if str(r.path) == key), None)

    def select(self, run: RunRecord | str | Path) -> None:
        key = str(run.path if isinstance(run, RunRecord) else run)
        for row in range(self.table.topLevelItemCount()):
            if self.table.topLevelItem(row).data(0, Qt.UserRole) == key:
                self.table.setCurrentItem(self.table.topLevelItem(row))

    def resume(self) -> bool:
        """Ask to continue the selected run (False when it cannot be resumed)."""
        run = self.selected_run()
        if run is None or not self._resumable(run):
            return False
        self.resumeRequested.emit(run)
        return True

    def _resumable(self, run: RunRecord) -> bool:
        return run.can_resume and run.path != self.running_dir and self.can_resume()

    def _update_actions(self) -> None:
        run = self.selected_run()
        ok = run is not None and self._resumable(run)
        self.resume_action.setEnabled(ok)
        self.resume_button.setEnabled(ok)
        if run is not None and not ok and not run.can_resume:
            why = "it finished" if run.status in ("finished", "early_stopped") else "no last.pt"
            self.resume_button.setToolTip(f"This run cannot be resumed: {why}.")
        else:
            self.resume_button.setToolTip(self.resume_action.toolTip())

    # ------------------------------------------------------------ the window's events

    def run_started(self, run_dir: Path | None) -> None:
        if run_dir is not None:
            self.running_dir = Path(run_dir)
            if self.running_dir not in self.session_dirs:
                self.session_dirs.append(self.running_dir)
        self.refresh()

    def run_ended(self) -> None:
        self.running_dir = None
        self.refresh()

    def project_replaced(self) -> None:
        """Another project: this window's earlier runs were of the one before."""
        self.session_dirs, self._ticked = [], set()
        self.refresh()


def attach_runs(window) -> QtRunsPanel:
    """Make the Runs dock (tabbed with Project), wire it to the training panel, the export
    choices and the Training menu; returns the panel."""
    panel = QtRunsPanel(lambda: window.doc.project)
    training = window.training
    dock = window._dock("Runs", "runsDock", panel, Qt.RightDockWidgetArea)
    window.tabifyDockWidget(window.project_dock, dock)
    window.properties_dock.raise_()
    window.runs_dock = dock
    window.view_menu.addAction(dock.toggleViewAction())
    menu = next(
        (a.menu() for a in window.menuBar().actions() if a.text() == "&Training" and a.menu()),
        None,
    )
    if isinstance(menu, QMenu):
        menu.addSeparator()
        menu.addAction(panel.resume_action)
    panel.can_resume = training.train_action.isEnabled  # shapes fit, no run going
    training.runningChanged.connect(
        lambda running: panel.run_started(training.run_dir) if running else panel.run_ended()
    )
    training.runningChanged.connect(lambda _running: panel._update_actions())
    window.validator.reportReady.connect(lambda _report: panel._update_actions())
    panel.overlayChanged.connect(lambda runs: training.plots.overlay().set_runs(runs, panel.colors))
    panel.resumeRequested.connect(lambda run: resume_in_panel(training, run))
    window.doc.connect(lambda event, _info: panel.project_replaced() if event == "reset" else None)
    window.exporter.runs_source = panel.refresh
    panel.refresh()
    return panel


def resume_in_panel(training, run: RunRecord) -> bool:
    """Continue ``run`` from its ``last.pt`` in the Training dock, its earlier curves shown."""
    if not training.train(resume=run.last_checkpoint):
        return False
    plots, curves = training.plots, run.curves
    points = curves.steps
    if all(math.isfinite(lr) for lr in curves.step_lrs):  # an older metrics.csv may lack lr
        points = [(s, loss, lr) for (s, loss), lr in zip(points, curves.step_lrs, strict=True)]
    plots.add_steps(points)
    for row in curves.epochs:
        plots.add_epoch(row)
    if run.best_epoch is not None:  # the engine flags only improvements from now on
        plots.best_epoch = run.best_epoch
    return True
