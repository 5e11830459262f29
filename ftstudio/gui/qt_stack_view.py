"""The layer stack view: a tree (backbones expand to stages) with drag-and-drop rows."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QStyledItemDelegate, QTreeView

from ftstudio.gui.qt_icons import ERROR_BG
from ftstudio.gui.qt_stack_model import COL_NAME, QtStackModel

SELECTED_ERROR_BG = QColor(176, 32, 32)


class QtErrorAwareDelegate(QStyledItemDelegate):
    """Keeps a failing row visibly red while it is selected."""

    def initStyleOption(self, option, index) -> None:  # noqa: N802 - Qt override
        super().initStyleOption(option, index)
        if index.data(Qt.BackgroundRole) == ERROR_BG:
            option.palette.setColor(QPalette.Highlight, SELECTED_ERROR_BG)


class QtStackView(QTreeView):
    def __init__(self, model: QtStackModel, parent=None):
        super().__init__(parent)
        self.setObjectName("stack")
        self.setModel(model)
        self.setItemDelegate(QtErrorAwareDelegate(self))
        self.setDragDropMode(QAbstractItemView.DragDrop)
        self.setDefaultDropAction(Qt.MoveAction)
        self.setDropIndicatorShown(True)
        self.setDragDropOverwriteMode(False)
        self.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.setSelectionMode(QAbstractItemView.SingleSelection)
        self.setEditTriggers(QAbstractItemView.DoubleClicked | QAbstractItemView.EditKeyPressed)
        self.setUniformRowHeights(True)
        self.setAllColumnsShowFocus(True)
        header = self.header()
        header.setStretchLastSection(False)
        # fixed widths: ResizeToContents re-measures every row on each change (slow)
        for col, width in enumerate((52, 150, 150, 100, 110, 80, 72)):
            header.setSectionResizeMode(col, QHeaderView.Interactive)
            self.setColumnWidth(col, width)
        header.setSectionResizeMode(COL_NAME, QHeaderView.Stretch)

    def selected_row(self) -> int:
        return self.model().block_row(self.currentIndex())

    def select_row(self, row: int) -> None:
        if 0 <= row < self.model().rowCount():
            self.setCurrentIndex(self.model().index(row, COL_NAME))
