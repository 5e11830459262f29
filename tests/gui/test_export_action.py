"""File > Export: the dialog's defaults, a threaded export of the starter, trained weights
from the last run's best checkpoint, folder and weights errors, shape gating, closing
mid-export. Every export goes to a tmp folder; none may leave its thread running."""

from __future__ import annotations

import pytest
import torch
from PySide6.QtWidgets import QDialogButtonBox
from safetensors.torch import load_file

from ftstudio.core import project as project_io
from ftstudio.core.templates import load_template
from ftstudio.gui import qt_export
from ftstudio.gui.qt_commands import QtRemoveBlock
from ftstudio.gui.qt_export import CURRENT_WEIGHTS, default_export_dir
from ftstudio.gui.qt_export_dialog import (
    ExportOptions,
    QtExportDialog,
    WeightsChoice,
    result_html,
)

EXPORT_MS = 120_000  # generous: a failing export shows as a timeout, never as a flaky pass
CODE_FILES = {"model.py", "layers.py", "model.safetensors", "predict.py", "train.py", "README.md"}


@pytest.fixture(autouse=True)
def exports_and_runs_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("FTSTUDIO_EXPORT_DIR", str(tmp_path / "unsaved-exports"))
    monkeypatch.setenv("FTSTUDIO_RUNS_DIR", str(tmp_path / "unsaved-runs"))


@pytest.fixture
def starter(make_window):
    return make_window("digits-transfer")


def export_and_wait(qtbot, window) -> bool:
    """Trigger File > Export and wait for the background task to end (if it started)."""
    exporter = window.exporter
    started = []
    exporter.task.ended.connect(lambda: started.append("ended"))
    exporter.action.trigger()
    if exporter.running:
        assert not exporter.action.isEnabled()  # no second export while one is going
        qtbot.waitUntil(lambda: bool(started), timeout=EXPORT_MS)
    assert not exporter.running and exporter.task.thread is None
    return bool(started)


def test_export_of_the_starter_with_the_defaults_writes_code_and_weights(starter, qtbot, tmp_path):
    dialogs = starter.dialogs
    dialogs.export_answer = lambda options: options.request()  # the user just presses Export
    assert starter.exporter.action.isEnabled()
    assert export_and_wait(qtbot, starter)
    options = dialogs.export_options
    out = tmp_path / "unsaved-exports" / "digits-transfer"
    assert options.out_dir == out  # unsaved project: the app-data (here: tmp) export folder
    assert [c.label for c in options.weights] == [CURRENT_WEIGHTS]  # no run yet
    assert dialogs.errors == []
    [result] = dialogs.export_results
    assert result.out_dir == out
    assert CODE_FILES <= {p.name for p in result.files}
    for name in ("model.py", "model.safetensors", "predict.py"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0
    assert "initial weights" in result.weights_from
    message = starter.statusBar().currentMessage()
    assert message.startswith("Exported digits-transfer to") and str(out) in message
    assert starter.exporter.action.isEnabled()
    text = result_html(result, "digits-transfer")
    assert 'href="file://' in text and "model.safetensors" in text
    assert result.parity.ok and "Parity check passed" in text  # the export checked itself
    assert "model.py: max abs diff 0 (must be exactly 0) ok" in text


def test_default_folder_is_export_beside_a_saved_project(make_window, tmp_path):
    project = load_template("digits-transfer")
    project_io.save(project, tmp_path / "proj" / "digits.ftproj")
    window = make_window(project=project)
    assert window.exporter.options().out_dir == tmp_path / "proj" / "export"
    assert default_export_dir(load_template("digits-transfer")).name == "digits-transfer"


def test_after_training_the_default_weights_are_the_runs_best_checkpoint(starter, qtbot, tmp_path):
    panel = starter.training
    panel.settings.epochs.setValue(1)
    with qtbot.waitSignal(panel.runner.ended, timeout=EXPORT_MS):
        panel.buttons["train"].click()
        assert not starter.exporter.action.isEnabled()  # no export while training runs
    assert panel.summary["status"] == "finished" and starter.exporter.action.isEnabled()
    best = panel.summary["checkpoints"]["best"]
    out = tmp_path / "trained-export"
    starter.dialogs.export_answer = lambda options: options.request(out_dir=out)
    assert export_and_wait(qtbot, starter)
    weights = starter.dialogs.export_options.weights
    assert [str(c.checkpoint) for c in weights[:2]] == [best, panel.summary["checkpoints"]["last"]]
    assert weights[0].label.startswith("Best checkpoint") and weights[2].checkpoint is None
    [result] = starter.dialogs.export_results
    assert str(best) in result.weights_from
    exported = load_file(out / "model.safetensors")
    trained = torch.load(best, weights_only=True)["model"]
    assert exported.keys() == trained.keys()
    for key, value in trained.items():
        assert torch.equal(exported[key], value.cpu()), key
    starter.files.new()  # another project: the run's checkpoints are no longer offered
    assert [c.label for c in starter.exporter.options().weights] == [CURRENT_WEIGHTS]


def test_export_into_a_regular_file_shows_the_core_message(starter, qtbot, tmp_path):
    target = tmp_path / "not-a-folder"
    target.write_text("x")
    starter.dialogs.export_answer = lambda options: options.request(out_dir=target)
    assert export_and_wait(qtbot, starter)  # the core refuses it on the worker thread
    [(title, message)] = starter.dialogs.errors
    assert title == "Export failed" and "is a file" in message and str(target) in message
    assert "Traceback" not in message and starter.dialogs.export_results == []
    assert message in starter.statusBar().currentMessage()
    assert target.read_text() == "x" and starter.exporter.action.isEnabled()


def test_a_foreign_folder_asks_first_no_keeps_it_yes_writes_into_it(starter, qtbot, tmp_path):
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "holiday.txt").write_text("keep me")
    dialogs = starter.dialogs
    dialogs.export_answer = lambda options: options.request(out_dir=foreign)
    assert not export_and_wait(qtbot, starter)  # answered No: nothing was started
    assert dialogs.asked.count("overwrite") == 1
    [(title, message)] = dialogs.errors
    assert "not an earlier FT Studio export" in message and str(foreign) in message
    assert sorted(p.name for p in foreign.iterdir()) == ["holiday.txt"]
    dialogs.errors.clear()
    dialogs.overwrite_answer = True
    assert export_and_wait(qtbot, starter)
    assert dialogs.asked.count("overwrite") == 2
    assert dialogs.errors == [] and len(dialogs.export_results) == 1
    assert (foreign / "model.py").is_file() and (foreign / "holiday.txt").read_text() == "keep me"
    assert export_and_wait(qtbot, starter)  # now an earlier export: no second question
    assert dialogs.asked.count("overwrite") == 2 and len(dialogs.export_results) == 2
    assert (foreign / "holiday.txt").read_text() == "keep me"


def test_a_checkpoint_of_another_model_shows_the_message(starter, qtbot, tmp_path):
    other = tmp_path / "other.pt"
    torch.save(torch.nn.Linear(3, 2).state_dict(), other)
    choice = WeightsChoice("Another model", other)
    out = tmp_path / "out"
    starter.dialogs.export_answer = lambda options: options.request(out_dir=out, weights=choice)
    assert export_and_wait(qtbot, starter)
    [(title, message)] = starter.dialogs.errors
    assert str(other) in message and "Traceback" not in message
    assert not (out / "model.py").exists() and starter.dialogs.export_results == []


def test_an_unexpected_exception_becomes_one_line(starter, qtbot, tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(qt_export, "export_project", boom)
    starter.dialogs.export_answer = lambda options: options.request(out_dir=tmp_path / "o")
    assert export_and_wait(qtbot, starter)
    assert starter.dialogs.errors == [
        ("Export failed", "The export failed unexpectedly: RuntimeError: boom")
    ]


def test_cancel_exports_nothing(starter, qtbot):
    starter.dialogs.export_answer = None
    assert starter.exporter.export() is False
    assert starter.dialogs.asked == ["export"] and not starter.exporter.running


def test_export_is_disabled_while_the_shapes_do_not_fit(starter, settle):
    exporter = starter.exporter
    assert exporter.action.isEnabled()
    starter.undo.push(QtRemoveBlock(starter.doc, 1))  # Flatten: the head gets a feature map
    settle(starter)
    assert not starter.validator.report.ok and not exporter.action.isEnabled()
    assert exporter.export() is False and "export" not in starter.dialogs.asked
    starter.undo.undo()
    settle(starter)
    assert exporter.action.isEnabled()


def test_closing_the_window_mid_export_waits_for_it(starter, tmp_path):
    out = tmp_path / "closing"
    starter.dialogs.export_answer = lambda options: options.request(out_dir=out)
    starter.exporter.action.trigger()
    thread = starter.exporter.task.thread
    assert thread is not None and starter.exporter.running
    starter.dialogs.save_answer = "discard"
    assert starter.close()
    assert thread.isFinished() and starter.exporter.task.thread is None
    assert (out / "model.safetensors").is_file()  # the export ran to its end
    assert starter.dialogs.export_results == []  # no result dialog over a closed window


def test_the_export_dialog_returns_its_defaults_and_edits(qtbot, tmp_path):
    options = ExportOptions(
        "p", tmp_path / "e", [WeightsChoice("Best", tmp_path / "b.pt"), WeightsChoice("Cur")]
    )
    dialog = QtExportDialog(options)
    qtbot.addWidget(dialog)
    assert dialog.request() == options.request()
    assert dialog.request().weights.checkpoint == tmp_path / "b.pt"
    dialog.weights.setCurrentIndex(1)
    dialog.formats["torchscript"].setChecked(True)
    dialog.folder.setText(str(tmp_path / "x"))
    request = dialog.request()
    assert request.weights.checkpoint is None and request.formats == ("torchscript",)
    assert request.out_dir == tmp_path / "x"
    dialog.folder.setText("  ")
    assert not dialog.buttons.button(QDialogButtonBox.Ok).isEnabled()


def test_an_edited_file_of_an_earlier_export_asks_naming_it_and_no_keeps_it(
    starter, qtbot, tmp_path
):
    out = tmp_path / "export"
    dialogs = starter.dialogs
    dialogs.export_answer = lambda options: options.request(out_dir=out)
    assert export_and_wait(qtbot, starter) and dialogs.asked.count("overwrite") == 0
    (out / "predict.py").write_text("# my edits\n")
    assert not export_and_wait(qtbot, starter)  # asked, answered No
    [reason] = dialogs.overwrite_reasons
    assert "predict.py" in reason and "changed since" in reason
    assert (out / "predict.py").read_text() == "# my edits\n"
