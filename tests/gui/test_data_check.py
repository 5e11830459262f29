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
    assert "The data does not fit" in window.status.validity.text()
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
