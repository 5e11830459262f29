"""Try a sample: open (or drop) an image, a .npy/.npz/.pt sample or a CSV file and see the
chosen checkpoint's top-k classes with probability bars.

The core's :class:`~ftstudio.core.prediction.Predictor` prepares the file exactly as an
export's ``predict.py`` does, on a :class:`QtBackgroundTask`; the loaded model is kept for the
next sample while the checkpoint and the project are unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ftstudio.core import project as project_io
from ftstudio.core.prediction import DEFAULT_TOP_K, Prediction, Predictor
from ftstudio.core.project import Project
from ftstudio.gui.qt_background import QtBackgroundTask
from ftstudio.gui.qt_checkpoint_picker import QtCheckpointPicker

PREVIEW = 112
BAR_STEPS = 1000
BAR_WIDTH = 420
HINT = "Open or drop an image, a .npy/.npz/.pt sample or a CSV file (one sample per row)."


class QtTrySamplePanel(QWidget):
    """``predicted(prediction)`` after each sample; ``message(text, ms)`` for the status bar."""

    predicted = Signal(object)
    message = Signal(str, int)

    def __init__(
        self,
        project: Callable[[], Project],
        choose_file: Callable[[str], str | None],
        picker: QtCheckpointPicker | None = None,
    ):
        super().__init__()
        self.project = project
        self.own_picker = picker is None  # else shared with the Evaluate view
        self.picker = picker or QtCheckpointPicker(project)
        self.choose_file = choose_file
        self.path: Path | None = None
        self.prediction: Prediction | None = None
        self.last_error: str | None = None
        self._predictor: tuple[tuple, Predictor] | None = None  # (key, loaded model)
        self.task = QtBackgroundTask("ftstudio-try-sample", self)
        self.task.succeeded.connect(self._succeeded)
        self.task.failed.connect(self._failed)
        self.task.ended.connect(self._ended)
        self._pending = False  # a row chosen while a prediction ran: predict it next
        self._build()
        self.setAcceptDrops(True)
        self._update_state()

    def _build(self) -> None:
        self.picker.changed.connect(self._checkpoint_changed)
        self.open_button = QPushButton("Open sample…")
        self.open_button.clicked.connect(lambda _checked=False: self.open())
        self.row = QSpinBox()
        self.row.setPrefix("row ")
        self.row.setToolTip("The sample of a file that holds several (a CSV row, a batch)")
        self.row.setRange(0, 0)
        self.row.valueChanged.connect(lambda _v: self.run())
        self.file_label = QLabel(HINT)
        self.file_label.setWordWrap(True)
        top = QHBoxLayout()
        if self.own_picker:
            top.addWidget(QLabel("Checkpoint:"))
            top.addWidget(self.picker, 1)
        top.addWidget(self.open_button)
        top.addWidget(self.row)
        top.addWidget(self.file_label, 1)
        self.preview = QLabel()
        self.preview.setFixedSize(PREVIEW, PREVIEW)
        self.preview.setAlignment(Qt.AlignCenter)
        self.preview.setStyleSheet("border: 1px dashed #aaa;")
        self.preview.setText("drop\nhere")
        self.bars = QGridLayout()
        self.bars.setColumnStretch(1, 3)
        self.bars.setColumnStretch(2, 1)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextSelectableByMouse)
        right = QVBoxLayout()
        right.addLayout(self.bars)
        right.addWidget(self.detail)
        right.addStretch(1)
        body = QHBoxLayout()
        body.addWidget(self.preview, 0, Qt.AlignTop)
        body.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(body, 1)

    # ------------------------------------------------------------ state

    @property
    def running(self) -> bool:
        return self.task.running

    def _update_state(self) -> None:
        ready = self.picker.checkpoint() is not None
        self.open_button.setEnabled(ready)
        self.setAcceptDrops(ready)

    def _checkpoint_changed(self) -> None:
        self._update_state()
        if self.path is not None:  # the open sample, predicted by the new choice
            self.run()

    def refresh(self, summary: dict | None = None) -> None:
        checkpoints = (summary or {}).get("checkpoints") or {}
        self.picker.refresh(prefer=checkpoints.get("best") or checkpoints.get("last"))

    def project_replaced(self) -> None:
        self._predictor = None
        self.picker.refresh()

    # ------------------------------------------------------------ commands

    def open(self, path: str | Path | None = None) -> bool:
        """Predict ``path`` (default: ask for a file); False when nothing was started."""
        if path is None:
            path = self.choose_file("Try a sample")
            if not path:
                return False
        self.path = Path(path)
        self.row.blockSignals(True)
        self.row.setRange(0, 0)
        self.row.setValue(0)
        self.row.blockSignals(False)
        self.file_label.setText(str(self.path))
        pixmap = QPixmap(str(self.path))
        if pixmap.isNull():
            self.preview.setText(self.path.suffix or "sample")
        else:
            self.preview.setPixmap(
                pixmap.scaled(PREVIEW, PREVIEW, Qt.KeepAspectRatio, Qt.SmoothTransformation)
            )
        return self.run()

    def run(self) -> bool:
        """Predict the current file's chosen row off the GUI thread."""
        checkpoint = self.picker.checkpoint()
        if self.path is None or checkpoint is None:
            return False
        if self.running:
            self._pending = True
            return False
        project = self.project().copy()
        path, row = self.path, self.row.value()
        key = (str(checkpoint), _mtime(checkpoint), json.dumps(project_io.to_dict(project)))
        cached = self._predictor

        def work():
            predictor = cached[1] if cached and cached[0] == key else Predictor(project, checkpoint)
            batch = predictor.read(path)
            row_used = min(row, len(batch) - 1)
            output = predictor.outputs(batch[row_used : row_used + 1])[0]
            return key, predictor, predictor.describe(output, DEFAULT_TOP_K), len(batch)

        self.last_error = None
        self.task.start(work, "Trying the sample")
        self._update_state()
        return True

    def shutdown(self) -> None:
        self._pending = False
        self.task.shutdown()

    # ------------------------------------------------------------ results

    def _ended(self) -> None:
        self._update_state()
        if self._pending:
            self._pending = False
            self.run()

    def _failed(self, message: str) -> None:
        self.last_error = message
        self.prediction = None
        self._clear_bars()
        self.detail.setText(f"Could not predict: {message}")
        self.message.emit(f"Try a sample: {message}", 15000)

    def _succeeded(self, value) -> None:
        key, predictor, prediction, count = value
        self._predictor = (key, predictor)
        self.prediction = prediction
        self.row.blockSignals(True)
        self.row.setRange(0, max(0, count - 1))
        self.row.blockSignals(False)
        self.row.setVisible(count > 1)
        self._clear_bars()
        for i, (name, p) in enumerate(prediction.top):
            label = QLabel(name)
            bar = QProgressBar()
            bar.setRange(0, BAR_STEPS)
            bar.setValue(round(p * BAR_STEPS))
            bar.setFormat(f"{p:.1%}")
            bar.setMaximumWidth(BAR_WIDTH)
            bar.setMinimumWidth(BAR_WIDTH // 2)
            bar.setToolTip(f"{name}: probability {p:.4f}")
            self.bars.addWidget(label, i, 0)
            self.bars.addWidget(bar, i, 1)
        self.detail.setText(_detail(prediction, count))
        self.predicted.emit(prediction)

    def _clear_bars(self) -> None:
        while self.bars.count():
            widget = self.bars.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()

    # ------------------------------------------------------------ drops

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open(paths[0])


def _detail(prediction: Prediction, count: int) -> str:
    lines = []
    if prediction.values:
        lines.append("Predicted: " + ", ".join(f"{v:.6g}" for v in prediction.values))
    if prediction.tokens:
        tags = " ".join(name for name, _ in prediction.tokens[:60])
        more = " …" if len(prediction.tokens) > 60 else ""
        lines.append(
            f"Top classes averaged over {len(prediction.tokens)} tokens; per token: {tags}{more}"
        )
    if count > 1:
        lines.append(f"The file holds {count} samples; choose one with the row box.")
    return "\n".join(lines)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
