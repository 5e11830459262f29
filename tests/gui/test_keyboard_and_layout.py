"""Keyboard-only use of the form and palette, and layout that reads at a glance."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication


def focused_editor_name() -> str:
    widget = QApplication.focusWidget()
    while widget is not None and not widget.objectName().startswith("param_"):
        widget = widget.parentWidget()
    return widget.objectName() if widget is not None else ""


def test_tab_after_an_edit_moves_to_the_next_field(window, qtbot, settle):
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    window.stack_view.select_row(0)  # mlp: hidden, layers, ...
    hidden = window.properties.editor("hidden")
    hidden.setFocus()
    qtbot.waitUntil(hidden.hasFocus)
    hidden.lineEdit().selectAll()
    qtbot.keyClicks(hidden, "99")
    qtbot.keyClick(hidden, Qt.Key_Tab)
    settle(window)
    assert window.doc.blocks[0].params["hidden"] == 99
    assert focused_editor_name() == "param_layers"  # not thrown back to the stack
    layers = window.properties.editor("layers")
    assert layers.hasFocus()  # the live editor of the rebuilt form
    layers.lineEdit().selectAll()
    qtbot.keyClicks(layers, "3")
    qtbot.keyClick(layers, Qt.Key_Tab)
    settle(window)
    assert window.doc.blocks[0].params["layers"] == 3
    assert focused_editor_name() == "param_activation"
