"""Regression tests for the bugs a new user met (issue 8, "Bugs found when tried as a new
user would")."""

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication


def shown_id(window):
    """Id of the block the Properties panel shows (None when it shows none)."""
    row = window.properties.row
    return window.doc.blocks[row].id if row >= 0 else None


def selected_id(window):
    row = window.stack_view.selected_row()
    return window.doc.blocks[row].id if row >= 0 else None


def test_ctrl_down_keeps_the_panel_on_the_highlighted_block(window):
    window.stack_view.select_row(0)  # the mlp
    mlp = window.doc.blocks[0].id
    window.actions["move_down"].trigger()  # Ctrl+Down
    assert window.doc.blocks[1].id == mlp  # the move happened
    assert selected_id(window) == mlp
    assert shown_id(window) == mlp
    window.properties.editor("hidden").setValue(72)  # the edit goes to the highlighted block
    assert window.doc.blocks[1].params["hidden"] == 72
    assert "hidden" not in window.doc.blocks[0].params


def test_a_drag_keeps_the_panel_on_the_highlighted_block(window):
    window.stack_view.select_row(0)
    mlp = window.doc.blocks[0].id
    data = window.model.mimeData([window.model.index(0, 0)])
    assert window.model.dropMimeData(data, Qt.MoveAction, 3, 0, QModelIndex())
    assert window.doc.blocks[2].id == mlp
    assert selected_id(window) == shown_id(window) == mlp
    window.undo.undo()  # the move back: still the same block on both sides
    assert window.doc.blocks[0].id == mlp
    assert selected_id(window) == shown_id(window) == mlp


def focus_field(window, qtbot, name):
    with qtbot.waitActive(window):  # window shortcuts fire only in the active window
        window.show()
        window.activateWindow()
    field = window.properties.editor(name)
    field.setFocus()
    assert QApplication.focusWidget() is field
    return field


def test_ctrl_z_in_a_property_field_undoes_the_project_edit(window, qtbot):
    window.stack_view.select_row(0)
    before = window.doc.blocks[0].params.get("hidden")
    window.properties.editor("hidden").setValue(72)  # a committed project edit
    field = focus_field(window, qtbot, "hidden")
    qtbot.keyClick(field, Qt.Key_Z, Qt.ControlModifier)
    assert window.doc.blocks[0].params.get("hidden") == before
    for redo in ((Qt.Key_Y, Qt.ControlModifier), (Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)):
        field = QApplication.focusWidget()
        qtbot.keyClick(field, *redo)
        assert window.doc.blocks[0].params["hidden"] == 72
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Z, Qt.ControlModifier)
        assert window.doc.blocks[0].params.get("hidden") == before


def test_ctrl_z_first_undoes_the_fields_own_uncommitted_typing(window, qtbot):
    window.stack_view.select_row(0)
    window.properties.editor("hidden").setValue(72)
    steps = window.undo.index()
    field = focus_field(window, qtbot, "hidden")
    field.selectAll()
    qtbot.keyClicks(field, "5")  # typed, not yet committed (no Enter)
    assert field.text() == "5"
    qtbot.keyClick(field, Qt.Key_Z, Qt.ControlModifier)
    assert field.text() == "72"  # the typing is undone ...
    assert window.undo.index() == steps  # ... and the project edit is not
    assert window.doc.blocks[0].params["hidden"] == 72


def test_no_tooltip_or_status_tip_shows_a_mnemonic_ampersand(window):
    actions = window.findChildren(QAction)
    assert len(actions) > 15
    for action in actions:
        for tip in (action.toolTip(), action.statusTip()):
            assert "&" not in tip.replace("&&", ""), (action.text(), tip)
    assert window.actions["move_down"].statusTip() == "Move down"
    assert window.actions["move_down"].toolTip() == "Move down (Ctrl+Down)"
