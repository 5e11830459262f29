"""Undo keys in form fields.

The rule: while a text field holds typing of its own that it can undo (or redo), Ctrl+Z
(or redo) acts on that typing, as in any text field; otherwise the keys reach the window
and undo (or redo) the last project edit. A committed value is a project edit, so a field
with nothing of its own to undo must not swallow the keys. Redo answers both Ctrl+Y and
Ctrl+Shift+Z (plus the platform's own redo key).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QAbstractSpinBox, QLineEdit, QWidget


def redo_shortcuts() -> list[QKeySequence]:
    """The platform's redo key, Ctrl+Y and Ctrl+Shift+Z, without duplicates."""
    keys: list[QKeySequence] = []
    for key in [*QKeySequence.keyBindings(QKeySequence.Redo), "Ctrl+Y", "Ctrl+Shift+Z"]:
        sequence = QKeySequence(key)
        if sequence not in keys:
            keys.append(sequence)
    return keys


class QtFieldUndoKeys(QObject):
    """Event filter on form fields: lets undo/redo keys through to the window's actions
    when the field has nothing of its own to undo/redo."""

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if event.type() != QEvent.ShortcutOverride:
            return False
        line = obj if isinstance(obj, QLineEdit) else obj.findChild(QLineEdit)
        if line is None:
            return False
        pressed = QKeySequence(event.keyCombination())
        if event.matches(QKeySequence.Undo):
            own = line.isUndoAvailable()
        elif pressed in redo_shortcuts():
            own = line.isRedoAvailable()
        else:
            return False
        if own:
            return False
        event.ignore()  # not overridden: the window's shortcut fires
        return True


def share_undo_keys(root: QWidget) -> None:
    """Apply the rule above to every text field and spin box under ``root``."""
    keys = QtFieldUndoKeys(root)
    for field in [*root.findChildren(QLineEdit), *root.findChildren(QAbstractSpinBox)]:
        field.installEventFilter(keys)
