"""File > Export: ask what to export, run :func:`export_project` off the GUI thread, report.

Export is enabled only when the newest validation report says the shapes fit, no training
run is going and no export is under way. The export works on a copy of the project, so the
user can keep editing while it runs. :meth:`QtExporter.shutdown` waits for a running export
and joins its thread (the window is closing).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QStandardPaths, Signal
from PySide6.QtGui import QAction, QKeySequence

from ftstudio.core.export import ExportError, ExportResult, export_project
from ftstudio.core.export.api import DESCRIPTIONS
from ftstudio.core.export.folder import open_folder
from ftstudio.core.project import Project
from ftstudio.core.run_history import RunRecord, checkpoint_choices
from ftstudio.core.shapes import ValidationReport
from ftstudio.gui.qt_background import QtBackgroundTask
from ftstudio.gui.qt_export_dialog import ExportOptions, ExportRequest, WeightsChoice

MESSAGE_MS = 15000
CURRENT_WEIGHTS = "Current weights (untrained / pretrained)"


def default_export_dir(project: Project) -> Path:
    """``export/`` beside the project file; for an unsaved project ``$FTSTUDIO_EXPORT_DIR``
    or the app-data folder's ``export/<name>``."""
    if project.path is not None:
        return project.path.parent / "export"
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", project.name).strip("._") or "model"
    override = os.environ.get("FTSTUDIO_EXPORT_DIR")
    if override:
        return Path(override) / name
    base = QStandardPaths.writableLocation(QStandardPaths.AppDataLocation)
    return Path(base) / "export" / name


def weights_choices(
    summary: dict[str, Any] | None, runs: list[RunRecord] = ()
) -> list[WeightsChoice]:
    """The last run's best and last checkpoints (best first) when it wrote them, then each
    listed run's (newest first; :func:`checkpoint_choices`), then the project's own weights."""
    choices = []
    checkpoints = (summary or {}).get("checkpoints") or {}
    if checkpoints.get("best"):
        best, monitor = summary.get("best"), summary.get("monitor") or "loss"
        score = f" ({monitor} {best:.4g})" if isinstance(best, float) else ""
        choices.append(
            WeightsChoice(f"Best checkpoint of the last run{score}", checkpoints["best"])
        )
    if checkpoints.get("last"):
        done = summary.get("epochs_completed")
        after = f" (after epoch {done})" if isinstance(done, int) else ""
        choices.append(
            WeightsChoice(f"Last checkpoint of the last run{after}", checkpoints["last"])
        )
    choices = [WeightsChoice(c.label, Path(c.checkpoint)) for c in choices]
    offered = {c.checkpoint.resolve() for c in choices}
    for label, path in checkpoint_choices(list(runs)):
        if path.resolve() not in offered:  # the last run is listed too
            choices.append(WeightsChoice(label, path))
    choices.append(WeightsChoice(CURRENT_WEIGHTS, None))
    return choices


def foreign_folder_message(out_dir: Path) -> str | None:
    """The core's refusal when ``out_dir`` is a non-empty folder that is not an export."""
    if not out_dir.is_dir():
        return None
    try:
        open_folder(out_dir, False, list(DESCRIPTIONS))
    except ExportError as exc:
        return str(exc)
    return None


class QtExporter(QObject):
    """Owns the Export action and the background task. ``message(text, ms)`` goes to the
    status bar; ``exported(result)`` after a success."""

    message = Signal(str, int)
    exported = Signal(object)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.task = QtBackgroundTask("ftstudio-export", self)
        self.task.succeeded.connect(self._succeeded)
        self.task.failed.connect(self._failed)
        self.task.ended.connect(self._update_state)
        self.report: ValidationReport | None = None
        self.summary: dict[str, Any] | None = None  # the last finished run's, in this window
        self.runs_source: Callable[[], list[RunRecord]] = list  # the Runs dock: the runs
        self.training_running = False
        self.project_name = ""
        self.last_error: str | None = None
        self.action = QAction("&Export…", window)
        self.action.setShortcut(QKeySequence("Ctrl+E"))
        self.action.setStatusTip("Export the model as plain PyTorch code and weights")
        self.action.setToolTip("Export plain PyTorch code + weights (Ctrl+E)")
        self.action.triggered.connect(lambda _checked=False: self.export())
        self._update_state()

    # ------------------------------------------------------------ state

    @property
    def running(self) -> bool:
        return self.task.running

    def set_report(self, report: ValidationReport) -> None:
        self.report = report
        self._update_state()

    def set_training_running(self, running: bool) -> None:
        self.training_running = running
        self._update_state()

    def run_finished(self, summary: dict[str, Any]) -> None:
        """A training run in this window ended with a summary (finished or stopped)."""
        self.summary = summary
        self._update_state()

    def project_replaced(self) -> None:
        """Another project was opened: the last run's checkpoints do not belong to it."""
        self.summary = None

    def _update_state(self) -> None:
        ok = self.report is not None and self.report.ok
        self.action.setEnabled(ok and not self.training_running and not self.running)
        if self.running:
            tip = "Export is running…"
        elif self.training_running:
            tip = "Export is off while training runs"
        elif not ok:
            tip = "Export is off: fix the shape error first"
        else:
            tip = "Export the model as plain PyTorch code and weights"
        self.action.setStatusTip(tip)

    def options(self) -> ExportOptions:
        project = self.window.doc.project
        return ExportOptions(
            project.name,
            default_export_dir(project),
            weights_choices(self.summary, self.runs_source()),
        )

    # ------------------------------------------------------------ commands

    def export(self) -> bool:
        """Ask, then start the export; False when disabled, cancelled or refused at once."""
        if not self.action.isEnabled():
            return False
        request = self.window.dialogs.ask_export(self.options())
        if request is None:
            return False
        overwrite = False
        refusal = foreign_folder_message(request.out_dir)
        if refusal is not None:
            if not self.window.dialogs.ask_overwrite(str(request.out_dir), refusal):
                self._failed(refusal)
                return False
            overwrite = True
        self.start(request, overwrite)
        return True

    def start(self, request: ExportRequest, overwrite: bool = False) -> None:
        project = self.window.doc.project.copy()  # the user keeps editing the open document
        self.project_name, self.last_error = project.name, None
        checkpoint = request.weights.checkpoint

        def work() -> ExportResult:
            return export_project(
                project, request.out_dir, checkpoint, request.formats, overwrite=overwrite
            )

        self.task.start(work, "The export")
        self._update_state()
        self.message.emit(f"Exporting {project.name} to {request.out_dir}…", 0)

    def shutdown(self) -> None:
        """Wait for a running export and join its thread (the window is closing)."""
        self.task.shutdown()

    # ------------------------------------------------------------ results

    def _succeeded(self, result: ExportResult) -> None:
        if result.incomplete_message() is not None:  # a format asked for but not written
            self.exported.emit(result)
            self._failed(result.failure_message())
            return
        failure = result.failure_message()
        if failure is None:
            self.message.emit(
                f"Exported {self.project_name} to {result.out_dir} ({len(result.files)} files)",
                MESSAGE_MS,
            )
        else:  # the parity check failed: the result dialog shows its figures in red
            self.last_error = failure
            self.message.emit(f"Export failed: {failure}", MESSAGE_MS)
        self.exported.emit(result)
        self.window.dialogs.show_export_result(result, self.project_name)

    def _failed(self, message: str) -> None:
        self.last_error = message
        self.message.emit(f"Export failed: {message}", MESSAGE_MS)
        self.window.dialogs.show_error("Export failed", message)
