"""User strings (block and project names, paths, messages) shown as text, never as markup.

Qt guesses rich text for labels, tooltips and message boxes whose text looks like HTML, so a
block named ``<img src=...>`` or ``<h1>`` would otherwise render. Labels get
``Qt.PlainText``; tooltips (always guessed) get escaped text; message boxes are built here.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget


def plain_tooltip(text: str) -> str:
    """``text`` as a tooltip that shows exactly these characters (line breaks kept)."""
    return f"<p style='white-space:pre-wrap'>{html.escape(text)}</p>"


def message_box(
    parent: QWidget | None,
    icon: QMessageBox.Icon,
    title: str,
    text: str,
    buttons: QMessageBox.StandardButton = QMessageBox.Ok,
    default: QMessageBox.StandardButton = QMessageBox.NoButton,
) -> QMessageBox:
    """A message box whose text is plain text (the static helpers guess rich text)."""
    box = QMessageBox(icon, title, text, buttons, parent)
    box.setTextFormat(Qt.PlainText)
    if default != QMessageBox.NoButton:
        box.setDefaultButton(default)
    return box


def ask(parent, icon, title, text, buttons, default) -> QMessageBox.StandardButton:
    """Show a plain-text message box and return the button pressed."""
    box = message_box(parent, icon, title, text, buttons, default)
    try:
        return QMessageBox.StandardButton(box.exec())
    finally:
        box.deleteLater()
