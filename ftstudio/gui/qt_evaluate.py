"""The Evaluate view: a run's checkpoint on the validation data, off the GUI thread.

Choose a checkpoint (best or last of any run), press Evaluate: the core's
:func:`~ftstudio.core.training.evaluate_checkpoint` (the same function as ``ftstudio
evaluate``) runs on a :class:`QtBackgroundTask`; the result shows as a confusion heatmap whose
cells list their samples, a per-class metrics table, and for regression a predicted-vs-true
scatter with MAE and RMSE. :meth:`shutdown` stops a running evaluation between batches and
joins its thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ftstudio.core.project import Project
from ftstudio.core.training.evaluation import Evaluation, evaluate_checkpoint
from ftstudio.gui.qt_background import QtBackgroundTask
from ftstudio.gui.qt_cell_samples import MAX_ROWS, QtCellSamples
from ftstudio.gui.qt_checkpoint_picker import QtCheckpointPicker
from ftstudio.gui.qt_confusion import QtConfusionMatrix
from ftstudio.gui.qt_quiet_progress import QuietProgressBar

PROGRESS_INTERVAL_S = 0.05
MESSAGE_MS = 15000
METRIC_COLUMNS = ("Class", "Precision", "Recall", "F1", "Support")


def summary_text(result: Evaluation) -> str:
    """One line: the overall metrics, the split and the sample count."""
    where = f"{result.samples:,} {result.split} samples"
    if not result.classification:
        return f"MAE {result.mae:.4g} · RMSE {result.rmse:.4g} · loss {result.loss:.4g} · {where}"
    if result.task == "token_classification":
        tokens = f"per-token accuracy {result.accuracy:.1%} over {len(result.true):,} tokens"
        return f"{tokens} · loss {result.loss:.4g} · {where}"
    return f"accuracy {result.accuracy:.1%} · loss {result.loss:.4g} · {where}"


def entity_row_name(kind: str) -> str:
    """The metrics table's name for a BIO entity score row (seqeval-style spans)."""
    return "all entities" if kind == "overall" else f"entity {kind}"


class QtEvaluatePanel(QWidget):
    """``message(text, ms)`` goes to the status bar; ``evaluated(result)`` after a success."""

    message = Signal(str, int)
    evaluated = Signal(object)
    progressed = Signal(int, int)  # batches done, total (emitted from the worker thread)

    def __init__(
        self,
        project: Callable[[], Project],
        picker: QtCheckpointPicker | None = None,
        parent=None,
    ):
        super().__init__(parent)
        self.project = project
        self.own_picker = picker is None  # else shared with Try a sample, shown by the dock
        self.picker = picker or QtCheckpointPicker(project)
        self.result: Evaluation | None = None
        self.last_error: str | None = None
        self._stop = threading.Event()
        self.task = QtBackgroundTask("ftstudio-evaluate", self)
        self.task.succeeded.connect(self._succeeded)
        self.task.failed.connect(self._failed)
        self.task.ended.connect(self._update_state)
        self._build()
        self.progressed.connect(self._progress)
        self._update_state()

    def _build(self) -> None:
        self.picker.changed.connect(self._update_state)
        self.evaluate_button = QPushButton("Evaluate")
        self.evaluate_button.setToolTip("Evaluate the checkpoint on the validation data")
        self.evaluate_button.clicked.connect(lambda _checked=False: self.evaluate())
        self.progress = QuietProgressBar()
        self.progress.setMaximumWidth(160)
        self.progress.hide()
        self.summary = QLabel("Choose a checkpoint and press Evaluate.")
        self.summary.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.summary.setWordWrap(True)
        top = QHBoxLayout()
        if self.own_picker:
            top.addWidget(QLabel("Checkpoint:"))
            top.addWidget(self.picker, 1)
        top.addWidget(self.evaluate_button)
        top.addWidget(self.progress)
        top.addWidget(self.summary, 1)

        self.matrix = QtConfusionMatrix()
        self.matrix.cellChosen.connect(self.show_cell)
        self.plot_holder = QWidget()
        QVBoxLayout(self.plot_holder).setContentsMargins(0, 0, 0, 0)
        self.scatter = None  # a pyqtgraph plot, made for the first regression result
        self.views = QStackedWidget()
        self.views.addWidget(self.matrix)
        self.views.addWidget(self.plot_holder)

        self.cell_title = QLabel("Click a cell of the matrix to list its samples.")
        self.cell_title.setWordWrap(True)
        self.samples = QtCellSamples()
        cell_box = QWidget()
        cell_layout = QVBoxLayout(cell_box)
        cell_layout.setContentsMargins(0, 0, 0, 0)
        cell_layout.addWidget(self.cell_title)
        cell_layout.addWidget(self.samples)

        self.metrics = QTableWidget(0, len(METRIC_COLUMNS))
        self.metrics.setHorizontalHeaderLabels(METRIC_COLUMNS)
        self.metrics.verticalHeader().hide()
        self.metrics.setEditTriggers(QTableWidget.NoEditTriggers)
        self.metrics.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)

        self.splitter = QSplitter(Qt.Horizontal)
        for widget in (self.views, cell_box, self.metrics):
            self.splitter.addWidget(widget)
        self.splitter.setSizes([380, 420, 360])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)

    # ------------------------------------------------------------ state

    @property
    def running(self) -> bool:
        return self.task.running

    def _update_state(self) -> None:
        has = self.picker.checkpoint() is not None
        self.evaluate_button.setEnabled(has and not self.running)
        self.progress.setVisible(self.running)

    def refresh(self, summary: dict | None = None) -> None:
        """List the runs again (after a run: choose its best checkpoint)."""
        checkpoints = (summary or {}).get("checkpoints") or {}
        self.picker.refresh(prefer=checkpoints.get("best") or checkpoints.get("last"))

    def project_replaced(self) -> None:
        """Another project is open: its own runs, no result of the old one."""
        self.result = None
        self.matrix.set_matrix([], [])
        self.metrics.setRowCount(0)
        self.samples.setRowCount(0)
        self.summary.setText("Choose a checkpoint and press Evaluate.")
        self.picker.refresh()

    # ------------------------------------------------------------ commands

    def evaluate(self) -> bool:
        """Start evaluating the chosen checkpoint (False when there is none or one runs)."""
        checkpoint = self.picker.checkpoint()
        if checkpoint is None or self.running:
            return False
        project = self.project().copy()  # the user keeps editing the open document
        self._stop = stop = threading.Event()
        last = [0.0]

        def progress(done: int, total: int) -> None:  # worker thread: a queued signal only
            now = time.monotonic()
            if done == total or now - last[0] >= PROGRESS_INTERVAL_S:
                last[0] = now
                self.progressed.emit(done, total)

        def work() -> Evaluation:
            return evaluate_checkpoint(project, checkpoint, stop=stop, progress=progress)

        self.last_error = None
        self.progress.setRange(0, 0)
        self.task.start(work, "The evaluation")
        self.summary.setText(f"Evaluating {checkpoint}…")
        self._update_state()
        return True

    def shutdown(self) -> None:
        """Stop a running evaluation between batches and join its thread."""
        self._stop.set()
        self.task.shutdown()
        self.samples.shutdown()

    # ------------------------------------------------------------ results

    def _progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)

    def _failed(self, message: str) -> None:
        self.last_error = message
        self.summary.setText(f"Evaluation failed: {message}")
        self.message.emit(f"Evaluation failed: {message}", MESSAGE_MS)

    def _succeeded(self, result: Evaluation) -> None:
        self.result = result
        self.summary.setText(summary_text(result))
        self.samples.setRowCount(0)
        if result.classification:
            self.views.setCurrentWidget(self.matrix)
            self.matrix.set_matrix(result.confusion, result.classes)
            self._fill_metrics(result)
            what = "token" if result.task == "token_classification" else "sample"
            self.cell_title.setText(f"Click a cell of the matrix to list its {what}s.")
        else:
            self.views.setCurrentWidget(self.plot_holder)
            self._plot_regression(result)
            self.metrics.setRowCount(0)
            self.cell_title.setText("Regression: predicted against true values (left).")
        self.message.emit(f"Evaluated: {summary_text(result)}", MESSAGE_MS)
        self.evaluated.emit(result)

    def show_cell(self, true: int, predicted: int) -> None:
        result = self.result
        if result is None or not result.classification:
            return
        self.samples.show_cell(result, true, predicted)
        names = result.classes
        count = self.samples.total
        more = f"; the {MAX_ROWS} most confident shown" if count > len(self.samples.records) else ""
        self.cell_title.setText(
            f"True {names[true]}, predicted {names[predicted]}: {count:,} "
            f"{'token' if result.task == 'token_classification' else 'sample'}"
            f"{'' if count == 1 else 's'}{more}"
        )

    def _fill_metrics(self, result: Evaluation) -> None:
        rows = list(zip(result.classes, result.per_class, strict=True))
        rows += [(entity_row_name(kind), row) for kind, row in result.entities.items()]
        self.metrics.setRowCount(len(rows))
        for r, (name, row) in enumerate(rows):
            values = [name] + [f"{row[k]:.3f}" for k in ("precision", "recall", "f1")]
            for c, text in enumerate([*values, str(row["support"])]):
                item = QTableWidgetItem(text)
                if c:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.metrics.setItem(r, c, item)

    def _plot_regression(self, result: Evaluation) -> None:
        import pyqtgraph as pg

        if self.scatter is None:
            self.scatter = pg.PlotWidget(background="w")
            self.scatter.setLabel("bottom", "true")
            self.scatter.setLabel("left", "predicted")
            self.plot_holder.layout().addWidget(self.scatter)
        self.scatter.clear()
        true = result.targets.flatten()
        pred = result.predictions.flatten()
        self.scatter.plot(true, pred, pen=None, symbol="o", symbolSize=5, symbolBrush=(31, 90, 170))
        if len(true):
            lo, hi = float(min(true.min(), pred.min())), float(max(true.max(), pred.max()))
            self.scatter.plot([lo, hi], [lo, hi], pen=pg.mkPen((150, 150, 150), width=1))
