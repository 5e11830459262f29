"""Freeze toggles update counts; shape errors mark exactly the failing row; the fix works."""

import html

from PySide6.QtCore import Qt

from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block
from ftstudio.gui.qt_icons import ERROR_BG
from ftstudio.gui.qt_stack_model import COL_FROZEN, COL_OUT, COL_PARAMS, COL_STATUS


def test_freeze_toggle_changes_row_and_status_bar(window, settle):
    row = 1  # self-attention, trainable in the template
    params_before = window.model.index(row, COL_PARAMS).data()
    status_before = window.status.params.text()
    trainable_before = window.validator.report.trainable
    assert window.model.index(row, COL_FROZEN).data(Qt.CheckStateRole) == Qt.Unchecked
    assert window.model.setData(window.model.index(row, COL_FROZEN), Qt.Checked, Qt.CheckStateRole)
    settle(window)
    attention = window.validator.report.blocks[row]
    assert window.doc.blocks[row].frozen
    assert attention.trainable == 0 and attention.frozen > 0
    assert window.model.index(row, COL_PARAMS).data() != params_before
    assert window.model.index(row, COL_PARAMS).data().startswith("0 / ")
    assert window.validator.report.trainable == trainable_before - attention.frozen
    assert window.status.params.text() != status_before


def cnn_project() -> Project:
    project = Project(name="cnn", input=InputSpec((3, 32, 32)), task=TaskSpec(num_classes=10))
    project.blocks.append(make_block("small_cnn", project))
    project.blocks.append(make_block("linear_classifier", project, classes=10))
    return project


def test_backbone_row_expands_to_stages_with_tristate_freeze(make_window, settle):
    window = make_window(project=cnn_project())
    model = window.model
    backbone = model.index(0, 0)
    assert model.rowCount(backbone) == 3
    stage2 = model.index(1, COL_FROZEN, backbone)
    assert model.index(1, 1, backbone).data() == "stage2"
    assert model.setData(stage2, Qt.Checked, Qt.CheckStateRole)
    settle(window)
    assert window.doc.blocks[0].frozen_stages == ["stage2"]
    assert model.index(0, COL_FROZEN).data(Qt.CheckStateRole) == Qt.PartiallyChecked
    report = window.validator.report.blocks[0]
    assert report.frozen == report.stage_params["stage2"]
    model.setData(model.index(0, COL_FROZEN), Qt.Checked, Qt.CheckStateRole)
    settle(window)
    assert model.index(0, COL_FROZEN).data(Qt.CheckStateRole) == Qt.Checked
    assert model.index(0, COL_FROZEN, backbone).data(Qt.CheckStateRole) == Qt.Checked
    window.undo.undo()
    window.undo.undo()
    assert window.doc.blocks[0].frozen_stages == [] and not window.doc.blocks[0].frozen
    settle(window)


def red_rows(window) -> list[int]:
    return [
        r
        for r in range(window.model.rowCount())
        if window.model.index(r, COL_STATUS).data(Qt.BackgroundRole) == ERROR_BG
    ]


def test_shape_error_marks_exact_row_and_fix_repairs_it(window, settle, qtbot):
    assert red_rows(window) == []
    window.model.insert_type(1, "sequence_pool")  # attention now gets a pooled vector
    settle(window)
    report = window.validator.report
    assert not report.ok and report.issue.index == 2
    assert red_rows(window) == [2]
    tooltip = window.model.index(2, COL_OUT).data(Qt.ToolTipRole)
    assert html.escape(report.issue.message) in tooltip and "(B, 64)" in tooltip
    assert window.model.index(3, COL_STATUS).data() == "…"  # after the error: unknown
    window.stack_view.select_row(2)
    props = window.properties
    assert props.issue_box.isVisibleTo(props) and props.issue_label.text() == report.issue.message
    assert props.fix_button.isVisibleTo(props)
    qtbot.mouseClick(props.fix_button, Qt.LeftButton)
    assert window.doc.blocks[2].type == report.issue.fix == "sequence_from_vector"
    settle(window)
    assert window.validator.report.ok
    assert red_rows(window) == []
    assert "OK" in window.status.validity.text()


def test_param_edit_that_breaks_shapes(window, settle):
    window.stack_view.select_row(1)
    assert window.properties.apply_param("heads", 3)  # 64 is not divisible by 3
    settle(window)
    assert red_rows(window) == [1]
    window.undo.undo()
    settle(window)
    assert red_rows(window) == []


def test_torchscript_backbone_row_shows_its_stages(make_window, settle, tmp_path):
    import torch
    from torch import nn

    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 5, 3), nn.Flatten())
    path = tmp_path / "net.pt"
    torch.jit.save(torch.jit.script(net), str(path))
    project = Project(name="ts", input=InputSpec((3, 6, 6)), task=TaskSpec(num_classes=2))
    project.blocks.append(
        make_block("backbone_from_file", project, path=str(path), architecture="torchscript")
    )
    project.blocks.append(make_block("linear_classifier", project, classes=2))
    window = make_window(project=project)
    model, backbone = window.model, window.model.index(0, 0)
    assert [model.index(r, 1, backbone).data() for r in range(model.rowCount(backbone))] == [
        "0",
        "2",
    ]
    assert model.setData(model.index(0, COL_FROZEN, backbone), Qt.Checked, Qt.CheckStateRole)
    settle(window)
    assert window.doc.blocks[0].frozen_stages == ["0"]
    assert window.validator.report.blocks[0].frozen == 3 * 4 * 9 + 4


def test_a_scripted_classifier_backbone_is_warned_about(make_window, settle, tmp_path):
    import torch
    from torch import nn

    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(4 * 4 * 4, 10))
    path = tmp_path / "classifier.pt"
    torch.jit.save(torch.jit.script(net), str(path))
    project = Project(name="ts", input=InputSpec((3, 6, 6)), task=TaskSpec(num_classes=2))
    project.blocks.append(
        make_block("backbone_from_file", project, path=str(path), architecture="torchscript")
    )
    project.blocks.append(make_block("linear_classifier", project, classes=2))
    data = tmp_path / "data.pt"
    torch.save({"X": torch.randn(8, 3, 6, 6), "y": torch.arange(8) % 2}, data)
    project.data = {"source": "tensor-file", "path": str(data)}
    window = make_window(project=project)
    assert window.validator.report.ok, window.validator.report.issue
    assert window.status.validity.text().endswith("OK · ⚠ 1 warning(s)")
    assert "Block 1 'Backbone from file': Outputs (B, 10)" in window.status.validity.toolTip()
    properties = window.properties
    window.stack_view.select_row(0)
    assert properties.warning_box.isVisibleTo(properties)
    assert "class logits" in properties.warning_label.text()
    window.stack_view.select_row(1)
    assert not properties.warning_box.isVisibleTo(properties)
