"""The samples of one confusion cell: a thumbnail for images, the values of a table row, the
sequence and token position for token classification; with true, predicted and probability.
Most confident first. Thumbnails are drawn for the first rows only (the rest: on demand)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QImageReader, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from ftstudio.core.training.evaluation import Evaluation
from ftstudio.gui.qt_background import QtBackgroundTask

MAX_ROWS = 500
MAX_THUMBNAILS = 60
THUMB = 48
COLUMNS = ("Sample", "True", "Predicted", "Probability")


def array_pixmap(x: np.ndarray, size: int = THUMB) -> QPixmap | None:
    """A (C, H, W) sample (C = 1 or 3) as a pixmap, min-max scaled; None for other shapes."""
    if x.ndim != 3 or x.shape[0] not in (1, 3):
        return None
    lo, hi = float(x.min()), float(x.max())
    scaled = (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)
    pixels = np.ascontiguousarray((scaled.transpose(1, 2, 0) * 255).astype(np.uint8))
    height, width, channels = pixels.shape
    if channels == 1:
        image = QImage(pixels.data, width, height, width, QImage.Format_Grayscale8)
    else:
        image = QImage(pixels.data, width, height, 3 * width, QImage.Format_RGB888)
    return QPixmap.fromImage(image.copy()).scaled(
        size, size, Qt.KeepAspectRatio, Qt.FastTransformation
    )


def file_thumbnail(path: str, size: int = THUMB) -> QImage:
    """A thumbnail decoded at about its own size (a JPEG is decoded scaled down). A QImage,
    so that it can be made off the GUI thread; null when the file cannot be read."""
    reader = QImageReader(path)
    full = reader.size()
    if full.isValid() and max(full.width(), full.height()) > size:
        reader.setScaledSize(full.scaled(size, size, Qt.KeepAspectRatio))
    return reader.read()


def describe_values(x: np.ndarray, limit: int = 6) -> str:
    values = x.flatten()
    shown = ", ".join(f"{v:.4g}" for v in values[:limit])
    return f"[{shown}{', …' if len(values) > limit else ''}]"


class QtCellSamples(QTableWidget):
    """``show_cell(evaluation, true, predicted)`` lists exactly that cell's samples."""

    def __init__(self, parent=None):
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(COLUMNS)
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.setIconSize(QSize(THUMB, THUMB))
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.Stretch)
        self.verticalHeader().hide()
        self.records: np.ndarray = np.zeros(0, dtype=np.int64)
        self.total = 0
        # image files are decoded off the GUI thread, one batch at a time, newest cell wins
        self.thumbnails = QtBackgroundTask("ftstudio-thumbnails", self)
        self.thumbnails.succeeded.connect(self._thumbnails_loaded)
        self.thumbnails.ended.connect(self._thumbnails_ended)
        self._files: list[tuple[int, str]] = []  # (row, image file) still to load
        self._generation = 0

    def show_cell(self, evaluation: Evaluation, true: int, predicted: int) -> None:
        records = evaluation.cell(true, predicted)
        order = np.argsort(-evaluation.probability[records], kind="stable")
        self.total = len(records)
        self.records = records[order][:MAX_ROWS]
        self.setRowCount(0)
        self.setRowCount(len(self.records))
        self._generation += 1
        self._files = []
        names = evaluation.classes
        tokens = evaluation.task == "token_classification"
        icons = False
        for row, record in enumerate(self.records.tolist()):
            index = int(evaluation.index[record])
            item = QTableWidgetItem()
            if tokens:
                item.setText(f"sequence {index}, token {int(evaluation.position[record])}")
            else:
                self._describe_sample(item, evaluation, index, row)
                icons = icons or not item.icon().isNull()
            self.setItem(row, 0, item)
            for col, text in (
                (1, names[int(evaluation.true[record])]),
                (2, names[int(evaluation.predicted[record])]),
                (3, f"{float(evaluation.probability[record]):.1%}"),
            ):
                cell = QTableWidgetItem(text)
                cell.setTextAlignment(Qt.AlignCenter)
                self.setItem(row, col, cell)
        if self._files:
            icons = True
            self._load_thumbnails()
        if icons:
            self.verticalHeader().setDefaultSectionSize(THUMB + 4)
        else:
            self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)

    def _describe_sample(self, item: QTableWidgetItem, evaluation, index: int, row: int):
        thumb = row < MAX_THUMBNAILS
        path = evaluation.image_path(index)
        if path is not None:
            item.setText(f"#{index}  {path.rsplit('/', 1)[-1]}")
            item.setToolTip(path)
            if thumb:  # decoded off the GUI thread
                self._files.append((row, path))
            return
        x = evaluation.sample(index)
        pixmap = array_pixmap(x) if thumb and x is not None else None
        if pixmap is None and x is not None:
            item.setText(f"#{index}  {describe_values(x)}")
            return
        item.setText(f"#{index}")
        if pixmap is not None:
            item.setIcon(pixmap)

    def _load_thumbnails(self) -> None:
        if self.thumbnails.running or not self._files:
            return  # the newest list is loaded when the running batch ends
        files, generation = self._files, self._generation
        self._files = []

        def work():
            return generation, [(row, path, file_thumbnail(path)) for row, path in files]

        self.thumbnails.start(work, "Loading thumbnails")

    def _thumbnails_loaded(self, value) -> None:
        generation, images = value
        if generation != self._generation:
            return  # another cell is shown now
        for row, path, image in images:
            item = self.item(row, 0)
            if item is not None and item.toolTip() == path and not image.isNull():
                item.setIcon(QPixmap.fromImage(image))

    def _thumbnails_ended(self) -> None:
        self._load_thumbnails()

    def shutdown(self) -> None:
        self._files = []
        self.thumbnails.shutdown()

    def shown_indices(self, evaluation: Evaluation) -> list[tuple[int, int]]:
        """(sample index, token position or -1) of each listed row, in order."""
        return [
            (int(evaluation.index[r]), int(evaluation.position[r])) for r in self.records.tolist()
        ]
