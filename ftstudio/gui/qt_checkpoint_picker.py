"""A combo box of the project's run checkpoints (best and last of each run, newest first),
shared by the Evaluate view and Try a sample. The listing is the core's run history."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QPushButton, QWidget

from ftstudio.core.project import Project
from ftstudio.core.run_history import describe_best, project_runs
from ftstudio.gui.qt_training_panel import runs_root

NO_CHECKPOINT = "No checkpoint yet: train the project first"


def checkpoint_choices(project: Project) -> list[tuple[str, Path]]:
    """``[(label, checkpoint)]``: the best then last checkpoint of each run, newest first."""
    runs = project_runs(project.name, project.path, runs_root(project))
    choices = []
    for run in runs:
        for kind, path in run.checkpoints().items():
            if kind == "last":
                detail = f": after epoch {run.epochs_done}, {run.status_text}"
            else:
                detail = f": {describe_best(run)}" if run.best is not None else ""
            choices.append((f"{run.name} · {kind}{detail}", path))
    return choices


class QtCheckpointPicker(QWidget):
    """Choose a run's checkpoint. ``changed`` when the choice (or the list) changes."""

    changed = Signal()

    def __init__(self, project: Callable[[], Project], refresh: bool = True, parent=None):
        super().__init__(parent)
        self.project = project
        self.combo = QComboBox()
        self.combo.setSizeAdjustPolicy(QComboBox.AdjustToContents)
        self.combo.setMinimumContentsLength(30)
        self.combo.setToolTip("The best or last checkpoint of one of the project's runs")
        self.combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("List the project's runs again")
        self.refresh_button.clicked.connect(lambda _checked=False: self.refresh())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo, 1)
        layout.addWidget(self.refresh_button)
        if refresh:  # else the owner lists the runs later (after the window's first paint)
            self.refresh()

    def refresh(self, prefer: str | Path | None = None) -> None:
        """List the runs again; keep the current choice, or choose ``prefer``."""
        keep = str(prefer) if prefer is not None else self.combo.currentData()
        self.combo.blockSignals(True)
        self.combo.clear()
        for label, path in checkpoint_choices(self.project()):
            self.combo.addItem(label, str(path))
        if self.combo.count() == 0:
            self.combo.addItem(NO_CHECKPOINT, None)
        found = self.combo.findData(keep) if keep else -1
        self.combo.setCurrentIndex(max(0, found))
        self.combo.blockSignals(False)
        self.changed.emit()

    def checkpoint(self) -> Path | None:
        data = self.combo.currentData()
        return Path(data) if data else None
