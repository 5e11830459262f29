"""The first-run hint: one dismissable line above the stack of the starter project, saying
what to try first. Dismissing it is remembered in QSettings; opening another project hides it
for this session only."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

DISMISSED_KEY = "hints/starterDismissed"


def hint_text(train_keys: str) -> str:
    return (
        f"Try this first: press Train ({train_keys}): a new head on the frozen, pretrained CNN "
        "learns the digits 5-9 in a minute. Then drag a block from the palette into the stack."
    )


class QtFirstRunHint(QFrame):
    """A one-line hint with a close button; shown only until dismissed once."""

    def __init__(self, settings: QSettings, text: str, parent: QWidget | None = None):
        super().__init__(parent, objectName="firstRunHint")
        self.settings = settings
        self.setFrameShape(QFrame.StyledPanel)
        self.setStyleSheet("#firstRunHint { background: #fff7d6; border: 1px solid #e3cf7a; }")
        self.label = QLabel(text)
        self.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.close_button = QToolButton(text="✕", autoRaise=True)
        self.close_button.setToolTip("Dismiss this hint (it will not show again)")
        self.close_button.setAccessibleName("Dismiss hint")
        self.close_button.clicked.connect(self.dismiss)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 2, 2, 2)
        row.addWidget(self.label, 1)
        row.addWidget(self.close_button)
        if self.dismissed():
            self.hide()  # (never show() here: without a parent yet, it would be a window)

    def dismissed(self) -> bool:
        return self.settings.value(DISMISSED_KEY, False, type=bool)

    def dismiss(self) -> None:
        """Hide it, for good."""
        self.settings.setValue(DISMISSED_KEY, True)
        self.settings.sync()
        self.hide()


def with_hint(hint: QWidget, widget: QWidget) -> QWidget:
    """``hint`` as a line above ``widget``, in one container (for a central widget)."""
    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(0)
    column.addWidget(hint)
    column.addWidget(widget, 1)
    return box
