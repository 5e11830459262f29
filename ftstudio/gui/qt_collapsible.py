"""A titled section that folds away: a header (arrow, title, a one-line summary) over a form."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)


class QtCollapsible(QWidget):
    """``form`` holds the rows; the header shows ``summary`` while the section is folded."""

    def __init__(self, title: str, parent: QWidget | None = None, expanded: bool = False):
        super().__init__(parent)
        self.header = QToolButton(text=title, checkable=True, objectName=f"section_{title}")
        self.header.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.header.setAutoRaise(True)
        self.header.setStyleSheet("QToolButton { font-weight: bold; border: none; }")
        self.header.setSizePolicy(QSizePolicy.Maximum, QSizePolicy.Fixed)
        self.header.toggled.connect(self.set_expanded)
        self.summary = QLabel(objectName="summary")
        self.summary.setStyleSheet("color: #666;")
        self.summary.setTextFormat(Qt.PlainText)
        # a long summary is cut at the column's edge instead of widening the dock
        self.summary.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.header, 0, Qt.AlignLeft)
        top.addWidget(self.summary, 1)
        self.body = QWidget()
        self.form = QFormLayout(self.body)
        self.form.setContentsMargins(18, 0, 0, 4)
        self.form.setVerticalSpacing(3)  # the dock is short: rows close together
        self.form.setRowWrapPolicy(QFormLayout.DontWrapRows)
        self.form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addWidget(self.body)
        self.header.setChecked(expanded)
        self.set_expanded(expanded)

    @property
    def expanded(self) -> bool:
        return self.header.isChecked()

    def set_expanded(self, on: bool) -> None:
        self.header.setChecked(on)
        self.header.setArrowType(Qt.DownArrow if on else Qt.RightArrow)
        self.body.setVisible(on)
        self.summary.setVisible(not on)

    def set_summary(self, text: str) -> None:
        self.summary.setText(text)
        self.summary.setToolTip(text)
