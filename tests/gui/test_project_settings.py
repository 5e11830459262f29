"""The Project form: input shape, task and data source are edited as undoable project data."""

from __future__ import annotations

from PySide6.QtCore import Qt

from ftstudio.core import project as project_io
from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block
from ftstudio.gui.qt_icons import ERROR_BG
from ftstudio.gui.qt_stack_model import COL_STATUS


def red_rows(window) -> list[int]:
    return [
        r
        for r in range(window.model.rowCount())
        if window.model.index(r, COL_STATUS).data(Qt.BackgroundRole) == ERROR_BG
    ]


def enter(qtbot, line, text: str) -> None:
    """Type into a line edit the way a user does: select all, type, press Enter."""
    line.selectAll()
    qtbot.keyClick(line, Qt.Key_Backspace)
    assert line.text() == ""
    qtbot.keyClicks(line, text)
    qtbot.keyClick(line, Qt.Key_Return)


def test_input_shape_edit_is_undoable_and_validation_follows(make_window, settle, qtbot):
    window = make_window(project=project_io.loads(_digits_text()))
    form = window.project_settings
    before = project_io.dumps(window.doc.project)
    assert form.shape.text() == "1, 16, 16" and window.validator.report.ok
    enter(qtbot, form.shape, "16x16")  # a sequence: the CNN backbone cannot take it
    assert window.doc.project.input == InputSpec((16, 16))
    assert form.shape.text() == "16, 16"  # shown in canonical form
    assert window.isWindowModified()
    settle(window)
    assert red_rows(window) == [0] and not window.validator.report.ok
    window.undo.undo()
    assert project_io.dumps(window.doc.project) == before
    assert form.shape.text() == "1, 16, 16" and not window.isWindowModified()
    settle(window)
    assert red_rows(window) == []
    window.undo.redo()
    assert window.doc.project.input.shape == (16, 16) and form.shape.text() == "16, 16"
    settle(window)


def test_bad_shape_text_is_refused_and_the_project_unchanged(window, qtbot):
    form = window.project_settings
    before = project_io.dumps(window.doc.project)
    shown = form.shape.text()
    for text in ("3, a, 4", "0, 16", str(10**12), "1, 2, 3, 4", ""):
        form.message.clear()
        enter(qtbot, form.shape, text)
        assert project_io.dumps(window.doc.project) == before, text
        assert form.message.text().startswith("Not applied"), text
        assert form.shape.text() == shown, text  # the box goes back to the project's value
    assert "65536" in _refusal(form, qtbot, str(10**12))
    assert window.undo.count() == 0 and not window.isWindowModified()
    enter(qtbot, form.shape, "100, 32")
    assert form.message.text() == "" and window.doc.project.input.shape == (100, 32)


def _refusal(form, qtbot, text: str) -> str:
    enter(qtbot, form.shape, text)
    return form.message.text()


def test_task_classes_mark_the_head_red_and_head_sync_fixes_it(make_window, settle, qtbot):
    window = make_window(project=project_io.loads(_digits_text()))
    form = window.project_settings
    before = project_io.dumps(window.doc.project)
    head = len(window.doc.blocks) - 1
    assert red_rows(window) == [] and not form.sync_head.isVisibleTo(form)
    form.classes.setValue(3)  # what a commit of the spin box (Enter / arrows) emits
    assert window.doc.project.task == TaskSpec("classification", 3, 1)
    settle(window)
    assert red_rows(window) == [head]
    assert window.validator.report.issue.kind == "task"
    assert form.sync_head.isVisibleTo(form) and "classes to 3" in form.sync_head.text()
    count = window.undo.count()
    qtbot.mouseClick(form.sync_head, Qt.LeftButton)
    assert window.undo.count() == count + 1  # one undoable step
    assert window.doc.blocks[head].params["classes"] == 3
    assert not form.sync_head.isVisibleTo(form)
    settle(window)
    assert red_rows(window) == []  # the head fits the task now; the data still has 5 classes:
    issue = window.validator.report.issue
    assert issue.kind == "data" and "has 5 classes" in issue.message
    window.undo.undo()
    assert window.doc.blocks[head].params["classes"] == 5
    window.undo.undo()
    assert project_io.dumps(window.doc.project) == before and form.classes.value() == 5
    settle(window)
    assert red_rows(window) == []


def test_task_kind_shows_the_right_count_and_undo_restores(window, settle):
    form = window.project_settings
    before = project_io.dumps(window.doc.project)
    kind = window.doc.project.task.kind
    assert form.classes.isVisibleTo(form) != (kind == "regression")
    form.kind.activated.emit(form.kind.findData("regression"))
    assert window.doc.project.task.kind == "regression"
    assert form.outputs.isVisibleTo(form) and not form.classes.isVisibleTo(form)
    form.outputs.setValue(4)
    assert window.doc.project.task.num_outputs == 4
    settle(window)
    assert not window.validator.report.ok  # the classifier head does not fit a regression
    window.undo.undo()
    window.undo.undo()
    assert project_io.dumps(window.doc.project) == before
    assert form.kind.currentData() == kind and form.classes.isVisibleTo(form)
    settle(window)


def test_data_source_fields_appear_only_for_their_source(window, tmp_path):
    form = window.project_settings.data
    window.dialogs.file_choice = str(tmp_path / "table.csv")
    window.dialogs.folder_choice = str(tmp_path / "images")
    expected = {
        "digits": {"classes"},
        "synthetic-sequence": {"samples"},
        "image-folder": {"path", "flip", "random_crop"},
        "csv": {"path", "label_column", "standardize"},
        "tensor-file": {"path", "standardize"},
    }
    keys = {"classes", "samples", "path", "flip", "random_crop", "label_column", "standardize"}
    for source, shown in expected.items():
        form.source.activated.emit(form.source.findData(source))
        assert window.doc.project.data["source"] == source
        assert {k for k in keys if form.field_visible(k)} == shown, source
        assert form.val_fraction.isVisibleTo(form) and form.seed.isVisibleTo(form)
    assert window.doc.project.data["path"] == str(tmp_path / "table.csv")
    assert window.dialogs.asked.count("folder") == 1


def test_data_edits_are_checked_and_undoable(make_window, qtbot):
    window = make_window(project=project_io.loads(_digits_text()))
    form = window.project_settings.data
    before = project_io.dumps(window.doc.project)
    assert form.classes.text() == "5-9" and form.val_fraction.value() == 20
    enter(qtbot, form.classes, "0,2,4")
    form.val_fraction.setValue(30)  # shown in per cent
    form.seed.setValue(7)
    assert window.doc.project.data == {
        "source": "digits",
        "classes": "0,2,4",
        "val_fraction": 0.3,
        "seed": 7,
        "standardize": True,  # the template's: new projects standardize tabular sources
    }
    # a file source asks for its path first; cancelling changes nothing
    window.dialogs.file_choice = None
    form.source.activated.emit(form.source.findData("csv"))
    assert window.doc.project.data["source"] == "digits" and form.source.currentData() == "digits"
    window.dialogs.file_choice = "train.csv"
    form.source.activated.emit(form.source.findData("csv"))
    data = window.doc.project.data
    assert data["source"] == "csv" and data["path"] == "train.csv" and "classes" not in data
    assert data["standardize"] is True and form.standardize.isChecked()
    enter(qtbot, form.path, "")  # the csv source needs a path: refused
    assert window.doc.project.data["path"] == "train.csv" and form.path.text() == "train.csv"
    assert "needs a path" in window.project_settings.message.text()
    enter(qtbot, form.label_column, "target")
    assert window.doc.project.data["label_column"] == "target"
    while window.undo.canUndo():
        window.undo.undo()
    assert project_io.dumps(window.doc.project) == before
    assert form.classes.text() == "5-9" and form.source.currentData() == "digits"


def test_first_backbone_weights_give_the_input_shape(make_window, qtbot):
    project = Project(name="tv", input=InputSpec((3, 64, 64)), task=TaskSpec(num_classes=10))
    project.blocks.append(
        make_block("torchvision_backbone", project, architecture="resnet18", weights="DEFAULT")
    )
    window = make_window(project=project)
    form = window.project_settings
    assert form.from_weights.isEnabled() and "3, 224, 224" in form.from_weights.text()
    qtbot.mouseClick(form.from_weights, Qt.LeftButton)
    assert window.doc.project.input.shape == (3, 224, 224)
    assert form.shape.text() == "3, 224, 224" and not form.from_weights.isEnabled()
    window.undo.undo()
    assert window.doc.project.input.shape == (3, 64, 64) and form.from_weights.isEnabled()


def test_form_shows_the_opened_project_and_name_edits(window, tmp_path, qtbot):
    form = window.project_settings
    other = project_io.loads(_digits_text())
    other.name = "opened"
    path = tmp_path / "opened.ftproj"
    project_io.save(other, path)
    window.dialogs.open_path = str(path)
    assert window.files.open()
    assert form.name.text() == "opened" and form.shape.text() == "1, 16, 16"
    assert form.classes.value() == 5 and form.data.classes.text() == "5-9"
    enter(qtbot, form.name, "renamed")
    assert window.doc.project.name == "renamed" and window.windowTitle().startswith("renamed")
    enter(qtbot, form.name, "   ")  # a blank name is refused
    assert window.doc.project.name == "renamed" and form.name.text() == "renamed"
    window.undo.undo()
    assert form.name.text() == "opened" and window.doc.project.name == "opened"


def test_menu_action_raises_the_project_tab(window, qtbot):
    window.show()
    qtbot.waitExposed(window)
    assert window.actions["project_settings"].text() == "&Project settings…"
    window.actions["project_settings"].trigger()
    assert not window.project_dock.visibleRegion().isEmpty()
    assert window.properties_dock.visibleRegion().isEmpty()  # the tab behind it


def _digits_text() -> str:
    from ftstudio.core.templates import TEMPLATES

    return (TEMPLATES / "digits-transfer.ftproj").read_text(encoding="utf-8")
