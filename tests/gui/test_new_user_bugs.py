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


def cnn_with_unfit_weights(tmp_path):
    import torch

    from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block

    bad = tmp_path / "other.pt"
    torch.save(torch.nn.Linear(3, 4).state_dict(), bad)
    project = Project(input=InputSpec((3, 32, 32)), task=TaskSpec(num_classes=2))
    project.blocks = [
        make_block("small_cnn", project, weights_file=str(bad)),
        make_block("linear_classifier", project, classes=2),
    ]
    return project, bad


def remedy_buttons(window):
    return {b.text(): b for b in window.properties.remedy_buttons}


def test_a_weights_problem_offers_random_init_and_another_file(make_window, settle, tmp_path):
    project, bad = cnn_with_unfit_weights(tmp_path)
    window = make_window(project=project)
    issue = window.validator.report.issue
    assert issue is not None and issue.kind == "weights" and issue.title == "Weights problem"
    assert "missing" in issue.message and "unexpected 2" in issue.message  # counted
    window.stack_view.select_row(0)
    buttons = remedy_buttons(window)
    assert set(buttons) == {"Choose another file…", "Use random initialisation", "Show all keys"}
    details = window.properties.details
    assert not details.isVisibleTo(window.properties)
    buttons["Show all keys"].click()  # the full list on demand
    assert details.isVisibleTo(window.properties)
    assert "Unexpected (2):\n  weight\n  bias" in details.text()
    buttons["Use random initialisation"].click()
    assert window.doc.blocks[0].params["weights_file"] == ""
    settle(window)
    issue = window.validator.report.issue  # (the default data may still disagree)
    assert issue is None or issue.kind != "weights"
    assert remedy_buttons(window) == {}  # nothing to remedy any more
    window.undo.undo()
    assert window.doc.blocks[0].params["weights_file"] == str(bad)
    settle(window)
    other = tmp_path / "another.pt"
    window.dialogs.file_choice = str(other)
    remedy_buttons(window)["Choose another file…"].click()
    assert "file" in window.dialogs.asked
    assert window.doc.blocks[0].params["weights_file"] == str(other)
