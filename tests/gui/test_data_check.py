"""Issue 11 item 10 in the window: a local, small data source is checked after edits."""

from __future__ import annotations

from PySide6.QtCore import Qt

from ftstudio.core import project as project_io
from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block


def _csv_project(tmp_path, features_in_project: int) -> Project:
    rows = ["a,b,c,d,label"] + [f"{i},{i % 3},{i * 2},{-i},{i % 2}" for i in range(20)]
    (tmp_path / "table.csv").write_text("\n".join(rows) + "\n")
    project = Project(
        name="table", input=InputSpec((features_in_project,)), task=TaskSpec(num_classes=2)
    )
    project.blocks.append(make_block("mlp", project))
    project.blocks.append(make_block("linear_classifier", project, classes=2))
    project.data = {"source": "csv", "path": "table.csv"}
    path = tmp_path / "table.ftproj"
    project_io.save(project, path)
    return project_io.load(path)


def test_window_says_when_the_data_does_not_fit_and_turns_train_off(
    make_window, settle, tmp_path, qtbot
):
    window = make_window(project=_csv_project(tmp_path, 3))
    settle(window)
    report = window.validator.report
    assert report.issue is not None and report.issue.kind == "data"
    assert "Data problem" in window.status.validity.text()
    tip = window.status.validity.toolTip()
    assert "[4]" in tip and "[3]" in tip
    assert not window.training.train_action.isEnabled()
    assert "[4]" in window.training.state.text()

    form = window.project_settings
    form.shape.selectAll()
    qtbot.keyClick(form.shape, Qt.Key_Backspace)
    qtbot.keyClicks(form.shape, "4")
    qtbot.keyClick(form.shape, Qt.Key_Return)
    settle(window)
    assert window.doc.project.input.shape == (4,)
    assert window.validator.report.ok and window.validator.report.data is not None
    assert "Shapes and data OK" in window.status.validity.text()
    assert window.training.train_action.isEnabled()


def test_a_missing_data_folder_is_said_before_train(make_window, settle, tmp_path):
    project = Project(name="pics", input=InputSpec((3, 16, 16)), task=TaskSpec(num_classes=2))
    project.blocks.append(make_block("small_cnn", project))
    project.blocks.append(make_block("linear_classifier", project, classes=2))
    project.data = {"source": "image-folder", "path": "images"}  # a folder never made
    project_io.save(project, tmp_path / "pics.ftproj")
    window = make_window(project=project_io.load(tmp_path / "pics.ftproj"))
    settle(window)
    report = window.validator.report
    assert report.issue is not None and report.issue.kind == "data"
    assert "Data problem" in window.status.validity.text()
    assert "does not exist" in window.status.validity.toolTip()
    assert not window.training.train_action.isEnabled()


def _scaled_csv(tmp_path) -> Project:
    """Two features 1000x apart in scale; the label depends on both."""
    rows = ["small,big,label"]
    for i in range(40):
        small, big = (i % 7) / 10, (i % 5) * 1000.0
        rows.append(f"{small},{big},{int(small * 10 + big / 1000 > 5)}")
    (tmp_path / "scaled.csv").write_text("\n".join(rows) + "\n")
    project = Project(name="scaled", input=InputSpec((2,)), task=TaskSpec(num_classes=2))
    project.blocks.append(make_block("mlp", project))
    project.blocks.append(make_block("linear_classifier", project, classes=2))
    project.data = {"source": "csv", "path": "scaled.csv"}  # an older project: no standardize
    path = tmp_path / "scaled.ftproj"
    project_io.save(project, path)
    return project_io.load(path)


def test_data_panel_warns_about_raw_scales_and_standardize_clears_it(
    make_window, settle, tmp_path, qtbot
):
    window = make_window(project=_scaled_csv(tmp_path))
    settle(window)
    form = window.project_settings.data
    assert form.field_visible("standardize") and not form.standardize.isChecked()
    assert form.warning.isVisibleTo(form)
    assert "feature scales differ" in form.warning.text() and "'big'" in form.warning.text()
    form.standardize.click()  # the dock may be hidden offscreen: click() as a user would
    assert window.doc.project.data["standardize"] is True
    settle(window)
    assert not form.warning.isVisibleTo(form) and window.validator.report.ok
    window.undo.undo()
    assert "standardize" not in window.doc.project.data


def test_a_new_tabular_source_in_the_window_standardizes(make_window, settle, tmp_path):
    (tmp_path / "t.csv").write_text("a,label\n1,0\n2,1\n")
    window = make_window(template="digits-transfer")
    window.dialogs.file_choice = str(tmp_path / "t.csv")
    data = window.project_settings.data
    data.doc.project.data.pop("standardize", None)
    assert data.set_source("csv")
    assert window.doc.project.data["standardize"] is True and data.standardize.isChecked()
