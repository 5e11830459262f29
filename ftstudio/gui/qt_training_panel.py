"""The Training dock: Train / Pause / Stop, settings, progress, live curves, results.

The panel owns a :class:`QtTrainingRunner` (the QThread) and a :class:`QtTrainingPlots`
(the refresh timer); :meth:`shutdown` stops and joins both. Train is enabled only when the
newest validation report says the shapes fit and no run is going.
"""

from __future__ import annotations

import html
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ftstudio.core.errors import FTStudioError
from ftstudio.core.memory import memory_shortfall
from ftstudio.core.project import Project
from ftstudio.core.shapes import ValidationReport, estimate_memory
from ftstudio.core.training.device import resolve_device
from ftstudio.core.training.run_dir import new_run_dir as core_new_run_dir
from ftstudio.gui.qt_quiet_progress import QuietProgressBar
from ftstudio.gui.qt_training_settings import QtTrainingSettings
from ftstudio.gui.qt_training_worker import QtTrainingRunner
from ftstudio.gui.run_pace import RunPace
from ftstudio.gui.stack_document import StackDocument

MEMORY_HINT = "Lower the batch size, the input size or the model, or freeze more blocks."
GUI_LOG_EVERY = 5  # loss points per optimizer steps, unless the project sets training.log_every
MESSAGE_MS = 15000
SPEED_EVERY_S = 1.0  # samples/s and ETA refresh
PROGRESS_MS = 1000  # the bar and labels: each update repaints them, and the run waits


def runs_root(project: Project) -> Path:
    """``runs/`` beside the project file; for an unsaved project ``$FTSTUDIO_RUNS_DIR`` or
    the app-data folder."""
    if project.path is not None:
        return project.path.parent / "runs"
    override = os.environ.get("FTSTUDIO_RUNS_DIR")
    if override:
        return Path(override)
    base = QStandardPaths.writableLocation(QStandardPaths.AppDataLocation)
    return Path(base) / "runs"


def new_run_dir(project: Project) -> Path:
    """A new, empty run folder ``<root>/<name>-<date>-<time>[-n]`` (created here)."""
    return core_new_run_dir(runs_root(project), project.name)


def describe_metrics(row: dict[str, Any]) -> str:
    """One line per split from an epoch row, e.g. ``Validation: accuracy 97.2% · loss 0.0746``."""
    lines = []
    for split, label in (("val", "Validation"), ("train", "Train")):
        parts = []
        if isinstance(row.get(f"{split}_accuracy"), float):
            parts.append(f"accuracy {row[f'{split}_accuracy']:.1%}")
        if isinstance(row.get(f"{split}_mae"), float):
            parts.append(f"MAE {row[f'{split}_mae']:.3g}")
        if isinstance(row.get(f"{split}_loss"), float):
            parts.append(f"loss {row[f'{split}_loss']:.3g}")
        if parts:
            lines.append(f"{label}: {' · '.join(parts)}")
    return "\n".join(lines)


def clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _label(name: str, style: str = "") -> QLabel:
    label = QLabel(objectName=name, wordWrap=True)
    label.setTextFormat(Qt.PlainText)  # names, paths and messages are never markup
    label.setTextInteractionFlags(Qt.TextSelectableByMouse | Qt.LinksAccessibleByMouse)
    label.setStyleSheet(style)
    return label


class QtTrainingPanel(QWidget):
    """``message(text, ms)`` goes to the status bar; the window connects it."""

    message = Signal(str, int)
    runningChanged = Signal(bool)  # a run started (True) or ended (False)

    def __init__(self, doc: StackDocument, undo: QUndoStack, parent: QWidget | None = None):
        super().__init__(parent)
        self.doc = doc
        self.runner = QtTrainingRunner(self)
        self.report: ValidationReport | None = None
        self.run_dir: Path | None = None
        self.summary: dict[str, Any] | None = None
        self.last_error: str | None = None
        self.info: dict[str, Any] = {}
        self._batch_size = 1
        self._speed_at = 0.0
        self.pace = RunPace()  # batches done and time left, for the ETA and the curves
        self._pending_progress: tuple[int, int, int] | None = None
        # what else keeps Train off (a profiling run), as a phrase; "" when nothing does
        self.busy_elsewhere: Callable[[], str] = lambda: ""
        self._pending_row: dict[str, Any] | None = None
        # asked before a run whose memory estimate is over the free memory; the window
        # connects its dialogs (default: never start such a run)
        self.confirm_memory: Callable[[str], bool] = lambda text: False
        self.progress_timer = QTimer(self, objectName="ftstudio-progress-refresh")
        self.progress_timer.setInterval(PROGRESS_MS)
        self.progress_timer.timeout.connect(self.show_pending)
        self._build(undo)
        self._connect_runner()
        self._update_state()

    # ------------------------------------------------------------ widgets

    def _build(self, undo: QUndoStack) -> None:
        sp = QStyle.StandardPixmap
        self.train_action = self._action("&Train", "Ctrl+T", sp.SP_MediaPlay, self.train)
        self.pause_action = self._action("&Pause", "Ctrl+Shift+P", sp.SP_MediaPause, self.pause)
        self.stop_action = self._action("&Stop", "Ctrl+Shift+T", sp.SP_MediaStop, self.stop)
        buttons = QHBoxLayout()
        self.buttons = {}
        for name, action in (
            ("train", self.train_action),
            ("pause", self.pause_action),
            ("stop", self.stop_action),
        ):
            button = QToolButton(objectName=f"{name}Button")
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
            buttons.addWidget(button)
            self.buttons[name] = button
        buttons.addStretch(1)
        self.settings = QtTrainingSettings(self.doc, undo)
        self.progress = QuietProgressBar(objectName="progress", textVisible=True)
        self.progress.setFormat("Not started")
        self.progress.setValue(0)
        self.speed = _label("speed", "color: #444;")
        self.state = _label("state", "color: #555;")
        self.metrics = _label("metrics", "font-weight: bold;")
        self.folder = _label("runFolder")
        self.folder.setOpenExternalLinks(True)
        self.error = _label("error", "color: #b00020; font-weight: bold;")
        self.error.hide()
        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        left.addLayout(buttons)
        left.addWidget(self.settings, 1)  # its sections scroll; the rest keeps its size
        for widget in (self.progress, self.speed, self.state, self.metrics, self.folder):
            left.addWidget(widget)
        left.addWidget(self.error)
        column = QWidget()
        column.setLayout(left)
        column.setFixedWidth(340)
        self._plots = None  # made on first use: pyqtgraph's import waits for the first paint
        self._plot_area = QWidget()
        QHBoxLayout(self._plot_area).setContentsMargins(0, 0, 0, 0)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(column)
        layout.addWidget(self._plot_area, 1)

    @property
    def plots(self):
        """The loss and metric plots (:class:`QtTrainingPlots`), made on first use."""
        return self.make_plots()

    def make_plots(self):
        """Make the plots if they are not there yet; return them."""
        if self._plots is None:
            from ftstudio.gui.qt_plots import QtTrainingPlots

            self._plots = QtTrainingPlots()
            self._plots.seconds_left = self.seconds_left  # no frame the run's end replaces
            self._plot_area.layout().addWidget(self._plots)
        return self._plots

    def _action(self, text: str, shortcut: str, icon, slot) -> QAction:
        action = QAction(self.style().standardIcon(icon), text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(f"{text.replace('&', '')} ({shortcut})")
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _connect_runner(self) -> None:
        r = self.runner
        r.started.connect(self._started)
        r.progress.connect(self._progress)
        r.steps.connect(self._steps)
        r.epoch.connect(self._epoch)
        r.error.connect(self._error)
        r.finished.connect(self._finished)
        r.ended.connect(self._ended)

    # ------------------------------------------------------------ state

    def refresh_state(self) -> None:
        """Re-read what Train depends on (another part of the window started or ended)."""
        self._update_state()

    def set_report(self, report: ValidationReport) -> None:
        self.report = report
        self._update_state()

    def _update_state(self) -> None:
        running = self.runner.running
        ok = self.report is not None and self.report.ok
        elsewhere = self.busy_elsewhere()
        self.train_action.setEnabled(ok and not running and not elsewhere)
        self.pause_action.setEnabled(running)
        self.stop_action.setEnabled(running)
        if running:
            return
        self.state.show()
        if elsewhere and ok:
            self.state.setText(f"Train is off while {elsewhere}.")
            self.state.setStyleSheet("color: #555;")
            return
        if self.report is None:
            self.state.setText("Checking the shapes…")
        elif not ok:
            issue = self.report.issue
            where = f"block {issue.index + 1}" if issue.index >= 0 else "the stack"
            if issue.kind == "data":
                self.state.setText(f"Train is off: {issue.message}")
            else:
                self.state.setText(f"Train is off: fix the {issue.title.lower()} at {where} first.")
            self.state.setStyleSheet("color: #b00020;")
        else:
            self.state.setText("Ready. Train uses a copy; you can keep editing.")
            self.state.setStyleSheet("color: #555;")
            self.state.setVisible(self.summary is None)  # else the run's summary is there

    # ------------------------------------------------------------ commands

    def train(self, resume: Path | None = None) -> bool:
        """Start a run on a copy of the project (False when Train is disabled); ``resume``:
        continue the run of that ``last.pt`` in its own folder."""
        if not self.train_action.isEnabled():
            return False
        project = self.doc.project
        overrides = {} if "log_every" in project.training else {"log_every": GUI_LOG_EVERY}
        shortfall = self.memory_shortfall()
        if shortfall is not None and not self.confirm_memory(shortfall):
            self._error(f"Not started: {shortfall} {MEMORY_HINT}")
            return False
        try:
            self.run_dir = Path(resume).parent.parent if resume else new_run_dir(project)
        except FTStudioError as exc:  # the runs folder cannot be created
            self._error(str(exc))
            return False
        self.summary, self.last_error, self.info = None, None, {}
        self._pending_progress = self._pending_row = None
        self.pace.clear()
        self._batch_size = self.settings.value("batch_size")
        self.plots.reset(project.task.kind, self.settings.value("epochs"))
        self.plots.start()
        self.progress_timer.start()
        self.progress.setRange(0, 0)  # busy until the first batch
        self.progress.setFormat("Preparing data and model…")
        self.speed.clear()
        self.speed.show()
        self.metrics.clear()
        self.error.hide()
        self._show_folder(self.run_dir, link=False)
        self.state.show()
        self.state.setText("Loading data and building the model…")
        self.state.setStyleSheet("color: #555;")
        self.runner.start(project, overrides, self.run_dir, shortfall is not None, resume)
        self.pause_action.setText("&Pause")
        self.stop_action.setText("&Stop")
        self._update_state()
        self.runningChanged.emit(True)
        self.message.emit(f"Training {project.name}…", MESSAGE_MS)
        return True

    def _show_folder(self, folder: Path, link: bool) -> None:
        """The run folder by its name (one line), the whole path in the tooltip; a link to
        open it once the run has ended."""
        self.folder.setToolTip(str(folder))
        if not link:
            self.folder.setTextFormat(Qt.PlainText)
            self.folder.setText(f"Run folder: {folder.name}")
            return
        url = html.escape(QUrl.fromLocalFile(str(folder)).toString())
        self.folder.setTextFormat(Qt.RichText)  # a link; the name itself is escaped
        self.folder.setText(f'Run folder: <a href="{url}">{html.escape(folder.name)}</a>')

    def memory_shortfall(self) -> str | None:
        """Why the run would not fit in the training device's free memory, or None."""
        if self.report is None or not self.report.ok:
            return None
        try:
            device = resolve_device(str(self.doc.project.training.get("device", "auto")))
        except FTStudioError:
            return None  # the run itself reports a bad device
        batch = estimate_memory(self.report.blocks, int(self.settings.value("batch_size")))
        return memory_shortfall(batch, device)

    def pause(self) -> None:
        if not self.runner.running:
            return
        if self.runner.paused:
            self.runner.resume()
            self.pause_action.setText("&Pause")
            self.state.setText("Training…")
        else:
            self.runner.pause()
            self.pause_action.setText("&Resume")
            self.state.setText("Paused (before the next batch). Resume or Stop.")

    def stop(self) -> None:
        """Stop before the next batch; pressed again (End now), end the training process."""
        runner = self.runner
        if not runner.running:
            return
        if runner.stop_requested and runner.can_end_now:
            runner.end_now()
            self.stop_action.setEnabled(False)
            self.state.setText("Ending the training process now…")
            return
        runner.request_stop()
        text = "Stopping after this batch (writing the last checkpoint)…"
        if runner.can_end_now:
            self.stop_action.setText("End &now")
            self.state.setText(f"{text} If it does not stop, End now ends it at once.")
        else:
            self.stop_action.setEnabled(False)
            self.state.setText(text)

    def shutdown(self) -> None:
        """Stop and join a run, and stop the plot timer (the window is closing)."""
        self.runner.shutdown()
        self.progress_timer.stop()
        if self._plots is not None:
            self._plots.stop()

    # ------------------------------------------------------------ run signals

    def _started(self, info: dict[str, Any]) -> None:
        self.info = info
        epochs = info["epochs"] - info["start_epoch"]
        self.progress.setRange(0, max(1, epochs * info["batches_per_epoch"]))
        self.progress.setValue(0)
        self.progress.setFormat(f"Epoch 1/{info['epochs']}")
        steps = info["epochs"] * info["steps_per_epoch"]
        self.plots.run_started(info["epochs"], steps, info.get("peak_lr"))
        self.state.setText(f"Training on {info['device']}…")
        self.pace.start(info, time.monotonic())

    def _progress(self, epoch: int, batch: int, step: int) -> None:
        self._pending_progress = (epoch, batch, step)  # shown at the next refresh tick
        if self.pace.info:
            self.pace.record(epoch, batch, time.monotonic())

    def seconds_left(self) -> float | None:
        """When the run's batches will be done at their pace so far; None if not known."""
        return None if self.runner.paused else self.pace.seconds_left(time.monotonic())

    def show_pending(self) -> None:
        """Show the newest progress and epoch row: once a second (:data:`PROGRESS_MS`), not
        per message (each label or bar update is a relayout and a repaint the run waits for)."""
        if self._pending_row is not None:
            row, self._pending_row = self._pending_row, None
            self.metrics.setText(f"Epoch {row['epoch']}\n{describe_metrics(row)}")
        if self._pending_progress is None or not self.info:
            return
        (epoch, batch, step), self._pending_progress = self._pending_progress, None
        info = self.info
        done = self.pace.batches_done(epoch, batch)
        self.progress.setValue(min(done, self.progress.maximum()))
        shown = min(epoch + 1 + (batch < 0), info["epochs"])
        self.progress.setFormat(f"Epoch {shown}/{info['epochs']} · step {step} · %p%")
        now = time.monotonic()
        if now - self._speed_at < SPEED_EVERY_S and batch >= 0:
            return  # a new label text relays the column out: once a second is enough
        self._speed_at = now
        rate, left = self.pace.rate(), self.seconds_left()
        if rate is not None and left is not None:
            self.speed.setText(f"{rate * self._batch_size:,.0f} samples/s · ETA {clock(left)}")

    def _steps(self, points: list[tuple[int, float, float]]) -> None:
        self.plots.add_steps(points)

    def _epoch(self, row: dict[str, Any]) -> None:
        self.plots.add_epoch(row)
        self._pending_row = row

    def _error(self, message: str) -> None:
        if not message.strip():  # never "The run failed" with nothing below it
            message = "The run stopped with an error that gave no message; the log has details."
        self.last_error = message
        self.error.setText(message)
        self.error.show()
        self.message.emit(f"Training failed: {message}", 0)

    def _finished(self, summary: dict[str, Any]) -> None:
        self.show_pending()  # the last progress; its epoch row gives way to the summary
        self.summary = summary
        # training is over: draw now, not when the process has exited; after these labels
        # have been laid out and painted, not in the same stall of the event loop
        QTimer.singleShot(0, self.plots, self.plots.refresh)
        done, epochs = summary["epochs_completed"], summary["epochs"]
        verb = {
            "finished": f"Finished {done} epochs",
            "stopped": f"Stopped after {done} of {epochs} epochs",
            "early_stopped": f"Stopped early (no improvement) after {done} of {epochs} epochs",
        }.get(summary["status"], summary["status"])
        text = f"{verb} in {clock(summary['time_s'])}"
        final_row = summary.get("final") or {}
        if isinstance(final_row.get("samples_per_s"), float):  # the last epoch's
            text += f" · {final_row['samples_per_s']:,.0f} samples/s"
        self.speed.hide()  # its figure is in the summary: room for the settings above
        final = describe_metrics(final_row)
        self.metrics.setText(f"{text}\n{final}" if final else text)
        if summary.get("run_dir"):
            self._show_folder(Path(summary["run_dir"]), link=True)
        self.message.emit(f"{verb}. {final.replace(chr(10), '; ')}", MESSAGE_MS)

    def _ended(self) -> None:
        self.plots.stop()
        self.progress_timer.stop()
        self.show_pending()
        self.pace.clear()
        self.progress.setRange(0, max(1, self.progress.maximum()))
        if self.summary is not None and self.summary["status"] == "finished":
            self.progress.setValue(self.progress.maximum())
            self.progress.setFormat("Done")
        elif self.last_error is not None:
            self.progress.setFormat("Failed")
        else:
            self.progress.setFormat("Stopped")
        self.pause_action.setText("&Pause")
        self.stop_action.setText("&Stop")
        self._update_state()
        self.runningChanged.emit(False)
        if self.last_error is not None:
            self.state.show()
            self.state.setText("The run failed; see the message below.")
