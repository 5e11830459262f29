"""Issue 8, "Training settings: all of them, in the window": every training setting is an
undoable project field checked by the core (a refused value is said and never applied), the
image augmentations and each block's lr_scale too, the device selector lists what is really
there, and the values survive save and reopen."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit

from ftstudio.core import project as project_io
from ftstudio.core.templates import load_template
from ftstudio.core.training import config as core_config
from ftstudio.core.training.config import TrainConfig
from ftstudio.gui.qt_properties import QtProperties
from ftstudio.gui.qt_training_panel import QtTrainingPanel
from ftstudio.gui.qt_training_settings import QtTrainingSettings
from ftstudio.gui.stack_document import StackDocument
from ftstudio.gui.training_fields import BY_KEY, FIELDS

GIB = 2**30
# key -> (a new value, what the project must hold first for the field to apply)
EDITS: dict[str, tuple[object, dict]] = {
    "optimizer": ("sgd", {}),
    "weight_decay": (0.05, {}),
    "momentum": (0.8, {"optimizer": "sgd"}),
    "grad_accumulation": (4, {}),
    "schedule": ("cosine", {}),
    "warmup_epochs": (1.5, {}),
    "step_epochs": (3, {"schedule": "step"}),
    "step_gamma": (0.5, {"schedule": "step"}),
    "label_smoothing": (0.1, {}),
    "grad_clip": (1.0, {}),
    "flip": (True, {}),
    "random_crop": (True, {}),
    "amp": ("bf16", {}),
    "compile": (True, {}),
    "channels_last": (True, {}),
    "early_stopping_patience": (3, {}),
    "monitor": ("val_accuracy", {}),
    "seed": (7, {}),
    "log_every": (2, {}),
}
# key -> typed text the core refuses, and a word the message must hold
BAD_TEXT: dict[str, tuple[str, str]] = {
    "weight_decay": ("-1", "from 0 to 10"),
    "momentum": ("1.5", "from 0 to 0.999"),
    "grad_accumulation": ("0", "from 1 to 1024"),
    "warmup_epochs": ("abc", "not a number"),
    "step_epochs": ("2.5", "whole number"),
    "step_gamma": ("nan", "from 0 to 1"),
    "label_smoothing": ("1", "from 0 to 0.99"),
    "grad_clip": ("-0.5", "from 0 to"),
    "early_stopping_patience": ("-2", "from 0 to"),
    "seed": ("", "enter a whole number"),
    "log_every": ("0", "from 1 to"),
}


def image_project():
    """The seed-sequence starter with an image-folder data section (augmentations apply)."""
    project = load_template("seed-sequence")
    project.data = {"source": "image-folder", "path": "images"}
    return project


def make_form(qtbot, project=None, **training):
    project = project or image_project()
    project.training.update(training)
    doc, undo = StackDocument(project), QUndoStack()
    form = QtTrainingSettings(doc, undo)
    qtbot.addWidget(form)
    return form, doc, undo


def enter(qtbot, line: QLineEdit, text: str) -> None:
    line.selectAll()
    qtbot.keyClick(line, Qt.Key_Backspace)
    qtbot.keyClicks(line, text)
    qtbot.keyClick(line, Qt.Key_Return)


def edit(qtbot, form: QtTrainingSettings, key: str, value) -> None:
    """Change ``key`` through its editor, as a user does."""
    editor = form.editors[key]
    assert editor.isEnabled(), f"{key} is disabled"
    if isinstance(editor, QComboBox):
        index = editor.findData(value)
        editor.setCurrentIndex(index)
        editor.activated.emit(index)
    elif isinstance(editor, QCheckBox):
        assert editor.isChecked() != value
        editor.click()
    else:
        enter(qtbot, editor, str(value))


def shown_value(form: QtTrainingSettings, key: str):
    editor = form.editors[key]
    if isinstance(editor, QComboBox):
        return editor.currentData()
    if isinstance(editor, QCheckBox):
        return editor.isChecked()
    return float(editor.text())


def test_the_form_covers_every_training_setting_and_the_cores_choices():
    shown = {f.key for f in FIELDS if f.section == "training"}
    always = {"epochs", "batch_size", "lr", "device"}  # the rows above the sections
    assert shown | always == {f.name for f in dataclasses.fields(TrainConfig)}
    assert set(EDITS) == {f.key for f in FIELDS}
    for key, core in (
        ("optimizer", core_config.OPTIMIZERS),
        ("schedule", core_config.SCHEDULES),
        ("amp", core_config.AMP_MODES),
        ("monitor", core_config.MONITORS),
    ):
        assert {value for value, _ in BY_KEY[key].choices} == set(core), key


@pytest.mark.parametrize("key", list(EDITS))
def test_each_field_edits_the_project_undo_restores_it_redo_reapplies(qtbot, key):
    value, first = EDITS[key]
    form, doc, undo = make_form(qtbot, **first)
    section = BY_KEY[key].section
    before = dict(getattr(doc.project, section))
    old = shown_value(form, key)
    assert old != value
    edit(qtbot, form, key, value)
    assert getattr(doc.project, section)[key] == value
    assert undo.count() == 1 and shown_value(form, key) == value
    assert form.message(key) == ""
    undo.undo()
    assert getattr(doc.project, section) == before and shown_value(form, key) == old
    undo.redo()
    assert getattr(doc.project, section)[key] == value and shown_value(form, key) == value


def test_the_first_rows_and_the_device_are_undoable_too(qtbot):
    form, doc, undo = make_form(qtbot)
    form.epochs.setValue(3)
    form.lr.setValue(0.02)
    form.device.activated.emit(form.device.findData("cpu"))
    assert (doc.project.training["epochs"], doc.project.training["lr"]) == (3, 0.02)
    assert doc.project.training["device"] == "cpu" and undo.count() == 3
    undo.undo()
    assert "device" not in doc.project.training and form.device.currentData() == "auto"
    undo.redo()
    assert form.device.currentData() == "cpu"


@pytest.mark.parametrize("key", list(BAD_TEXT))
def test_a_refused_value_is_said_and_never_reaches_the_project(qtbot, key):
    form, doc, undo = make_form(qtbot, optimizer="sgd", schedule="step")
    text, said = BAD_TEXT[key]
    before = project_io.dumps(doc.project)
    enter(qtbot, form.editors[key], text)
    assert project_io.dumps(doc.project) == before and undo.count() == 0
    message = form.message(key)
    assert message.startswith("Not applied") and said in message, message
    assert "Fix the project" not in message  # the file-format hint is not for the form
    assert form.sections[BY_KEY[key].group].expanded  # the message is in view
    edit(qtbot, form, key, EDITS[key][0])  # a good value then applies and clears it
    assert undo.count() == 1 and form.message(key) == ""


def test_the_same_value_typed_again_is_no_edit(qtbot):
    form, doc, undo = make_form(qtbot)
    enter(qtbot, form.editors["weight_decay"], "0.010")
    assert undo.count() == 0 and "weight_decay" not in doc.project.training
    assert form.editors["weight_decay"].text() == "0.01"


def test_fields_that_do_not_apply_are_disabled_and_follow_the_project(qtbot):
    project = load_template("seed-sequence")  # built-in sequences: no image augmentation
    form, doc, undo = make_form(qtbot, project)
    editors = form.editors
    assert not editors["momentum"].isEnabled()  # AdamW has no momentum
    assert not editors["step_gamma"].isEnabled() and not editors["flip"].isEnabled()
    assert "SGD only" in editors["momentum"].toolTip()
    edit(qtbot, form, "optimizer", "sgd")
    assert editors["momentum"].isEnabled()
    undo.undo()
    assert not editors["momentum"].isEnabled()
    doc.set_project_field("data", {"source": "image-folder", "path": "x"})
    assert editors["flip"].isEnabled()


def test_monitor_offers_the_metrics_the_task_reports(qtbot):
    project = load_template("seed-sequence")
    form, doc, _ = make_form(qtbot, project)
    box = form.editors["monitor"]
    items = lambda: [box.itemData(i) for i in range(box.count())]  # noqa: E731
    assert items() == ["val_loss", "val_accuracy"]
    doc.set_project_field("task", dataclasses.replace(project.task, kind="regression"))
    assert items() == ["val_loss", "val_mae"]
    assert not form.editors["label_smoothing"].isEnabled()


def test_folded_sections_sum_up_what_differs_from_the_defaults(qtbot):
    form, _, _ = make_form(qtbot, optimizer="sgd", weight_decay=0.05, amp="bf16")
    assert form.sections["Optimizer"].summary.text() == "SGD, wd 0.05"
    assert form.sections["Performance"].summary.text() == "bfloat16"
    assert form.sections["Schedule"].summary.text() == ""
    form.sections["Schedule"].set_expanded(True)
    form.sections["Optimizer"].header.click()  # one open at a time: the dock is short
    assert form.sections["Optimizer"].expanded and not form.sections["Schedule"].expanded


def test_new_values_survive_save_and_reopen(qtbot, tmp_path):
    values = {key: value for key, (value, _) in EDITS.items()} | {"schedule": "step"}
    form, doc, _ = make_form(qtbot, optimizer="sgd", schedule="step")
    for key, value in values.items():
        if shown_value(form, key) != value:
            edit(qtbot, form, key, value)
    path = project_io.save(doc.project, tmp_path / "p.ftproj")
    reopened = project_io.load(path)
    for key, value in values.items():
        assert getattr(reopened, BY_KEY[key].section)[key] == value, key
    again, _, _ = make_form(qtbot, reopened)
    assert {key: shown_value(again, key) for key in values} == values


@pytest.fixture
def two_gpus(monkeypatch):
    cards = [
        SimpleNamespace(name="NVIDIA H200", total_memory=140 * GIB),
        SimpleNamespace(name="Tesla T4", total_memory=15 * GIB),
    ]
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: len(cards))
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda i: cards[i])
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)


def test_device_selector_lists_each_gpu_with_name_and_memory(qtbot, two_gpus):
    form, doc, undo = make_form(qtbot)
    box = form.device
    titles = [box.itemText(i) for i in range(box.count())]
    assert [box.itemData(i) for i in range(box.count())] == ["auto", "cuda:0", "cuda:1", "cpu"]
    assert titles[0] == "auto → cuda:0"
    assert titles[1] == "cuda:0 · NVIDIA H200 · 140.0 GiB"
    assert titles[2] == "cuda:1 · Tesla T4 · 15.0 GiB"
    box.activated.emit(2)
    assert doc.project.training["device"] == "cuda:1"
    undo.undo()
    assert "device" not in doc.project.training


def test_a_device_this_machine_lacks_is_shown_and_said(qtbot, two_gpus):
    form, doc, _ = make_form(qtbot, device="cuda:5")
    assert form.device.currentText() == "cuda:5 (not on this machine)"
    assert "2 CUDA GPUs" in form.device_message.text()
    assert form.device_message.isVisibleTo(form)
    form.device.activated.emit(form.device.findData("cpu"))
    assert doc.project.training["device"] == "cpu" and not form.device_message.isVisibleTo(form)


def test_training_uses_the_device_chosen_in_the_window(qtbot, monkeypatch, tmp_path):
    monkeypatch.setenv("FTSTUDIO_RUNS_DIR", str(tmp_path))
    doc, undo = StackDocument(load_template("seed-sequence")), QUndoStack()
    panel = QtTrainingPanel(doc, undo)
    qtbot.addWidget(panel)
    panel.set_report(SimpleNamespace(ok=True, issue=None))  # shapes fit
    monkeypatch.setattr(panel, "memory_shortfall", lambda: None)
    started = []
    monkeypatch.setattr(panel.runner, "start", lambda project, *a: started.append(project))
    settings = panel.settings
    settings.device.activated.emit(settings.device.findData("cpu"))
    assert panel.train()
    panel.shutdown()
    assert started[0].training["device"] == "cpu"


def test_block_lr_scale_is_edited_in_properties_undoable_and_checked(qtbot):
    doc, undo = StackDocument(load_template("seed-sequence")), QUndoStack()
    panel = QtProperties(doc, undo, lambda title: None)
    qtbot.addWidget(panel)
    panel.show_block(0)
    enter(qtbot, panel.editor("lr_scale"), "0.1")
    assert doc.blocks[0].lr_scale == 0.1 and undo.count() == 1
    assert panel.editor("lr_scale").text() == "0.1"
    undo.undo()
    assert doc.blocks[0].lr_scale == 1.0 and panel.editor("lr_scale").text() == "1"
    enter(qtbot, panel.editor("lr_scale"), "2000")
    assert doc.blocks[0].lr_scale == 1.0 and undo.count() == 1
    assert "from 0 to 1000" in panel.message.text()


def test_the_log_interval_shown_when_unset_is_the_one_window_runs_use():
    from ftstudio.gui.qt_training_panel import GUI_LOG_EVERY
    from ftstudio.gui.training_fields import WINDOW_DEFAULTS

    assert WINDOW_DEFAULTS["log_every"] == GUI_LOG_EVERY


def test_opening_a_low_section_scrolls_it_into_view(qtbot):
    form, _, _ = make_form(qtbot)
    form.resize(340, 190)  # the sections get about 130 px: the last one opened overflows
    form.show()
    qtbot.waitExposed(form)
    section = form.sections["Run"]
    section.header.click()
    bar, view = form.scroll.verticalScrollBar(), form.scroll.viewport().height()
    qtbot.waitUntil(lambda: bar.value() > 0)
    assert section.y() >= bar.value() and section.y() + section.height() <= bar.value() + view
