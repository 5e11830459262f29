"""The confusion matrix as a heatmap: counts in the cells, colours normalised per row (the
share of each true class predicted as each class). ``cellChosen(true, predicted)`` on a click."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
)

LOW = QColor(255, 255, 255)
HIGH = QColor(31, 90, 170)
FRAME = QColor(230, 126, 34)


def heat(share: float) -> QColor:
    """White (0) to deep blue (1)."""
    share = min(1.0, max(0.0, share))
    return QColor(
        round(LOW.red() + (HIGH.red() - LOW.red()) * share),
        round(LOW.green() + (HIGH.green() - LOW.green()) * share),
        round(LOW.blue() + (HIGH.blue() - LOW.blue()) * share),
    )


class FramedSelection(QStyledItemDelegate):
    """The chosen cell keeps its heat colour and text, with a frame (a fill would hide it)."""

    def paint(self, painter, option, index) -> None:
        selected = bool(option.state & QStyle.State_Selected)
        plain = QStyleOptionViewItem(option)
        plain.state &= ~QStyle.State_Selected
        plain.state &= ~QStyle.State_HasFocus
        super().paint(painter, plain, index)
        if selected:
            painter.save()
            painter.setPen(QPen(FRAME, 3))
            painter.drawRect(option.rect.adjusted(1, 1, -2, -2))
            painter.restore()


class QtConfusionMatrix(QTableWidget):
    cellChosen = Signal(int, int)  # true class, predicted class

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectItems)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.setToolTip("Rows: true class; columns: predicted class. Click a cell for its samples.")
        self.setItemDelegate(FramedSelection(self))
        self.cellClicked.connect(self.cellChosen)
        self.counts: list[list[int]] = []

    def set_matrix(self, counts: list[list[int]], names: list[str]) -> None:
        self.counts = counts
        self.clear()
        self.setRowCount(len(counts))
        self.setColumnCount(len(counts))
        self.setVerticalHeaderLabels([f"true {n}" for n in names])
        self.setHorizontalHeaderLabels([f"pred. {n}" for n in names])
        for r, row in enumerate(counts):
            total = sum(row)
            for c, count in enumerate(row):
                share = count / total if total else 0.0
                item = QTableWidgetItem(str(count))
                item.setTextAlignment(Qt.AlignCenter)
                item.setBackground(QBrush(heat(share)))
                item.setForeground(QBrush(QColor("white" if share > 0.55 else "black")))
                item.setToolTip(
                    f"true {names[r]}, predicted {names[c]}: {count} ({share:.1%} of the row)"
                )
                self.setItem(r, c, item)

    def choose(self, true: int, predicted: int) -> None:
        """Select a cell as a click would."""
        self.setCurrentCell(true, predicted)
        self.cellChosen.emit(true, predicted)
