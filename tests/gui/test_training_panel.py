"""The Training dock: one-click training of the starter, stop/pause, errors, shape gating,
closing mid-run. Every run goes to a tmp folder; none may leave its thread or timer running."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from ftstudio.core import project as project_io
from ftstudio.core.errors import TrainingError
from ftstudio.core.templates import load_template
from ftstudio.core.training import relay
from ftstudio.gui.qt_commands import QtRemoveBlock, QtSetProjectField
from ftstudio.gui.qt_plots import QtTrainingPlots
from ftstudio.gui.qt_training_worker import QtTrainingRunner

RUN_MS = 180_000  # generous: a failing run shows as a timeout, never as a flaky pass
FOREVER = 100_000  # epochs: a run that can only end by Stop / close


@pytest.fixture(autouse=True)
def runs_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("FTSTUDIO_RUNS_DIR", str(tmp_path / "unsaved-runs"))


@pytest.fixture
def starter(make_window):
    return make_window("digits-transfer")


def start_and_wait_for_epoch(qtbot, panel) -> None:
    with qtbot.waitSignal(panel.runner.epoch, timeout=RUN_MS):
        panel.buttons["train"].click()


def test_train_on_the_starter_learns_and_draws_live_curves(make_window, qtbot, tmp_path):
    project = load_template("digits-transfer")
    project_io.save(project, tmp_path / "digits.ftproj")
    window = make_window(project=project)
    panel = window.training
    assert panel.train_action.isEnabled()
    panel.settings.epochs.setValue(2)  # an edit of the document: dirty and undoable
    assert window.doc.project.training["epochs"] == 2 and window.isWindowModified()
    epochs = []
    batches = []
    panel.runner.steps.connect(batches.append)
    panel.runner.epoch.connect(epochs.append)
    with qtbot.waitSignal(panel.runner.ended, timeout=RUN_MS):
        panel.buttons["train"].click()
        assert not panel.train_action.isEnabled()  # no second run while one is going
        assert panel.stop_action.isEnabled() and panel.plots.timer.isActive()
        assert panel.progress_timer.isActive()  # the bar and labels: once a second
    assert [row["epoch"] for row in epochs] == [1, 2]
    assert panel.last_error is None and panel.summary["status"] == "finished"
    steps = [point for batch in batches for point in batch]  # (step, loss, lr), in batches
    assert len(batches) < len(steps)  # points travel in batches, not a signal per point
    x, y = panel.plots.curves["step_loss"].getOriginalDataset()
    assert len(steps) > 0 and len(x) == len(steps)
    assert list(y) == pytest.approx([loss for _, loss, _ in steps])
    lr_x, lr_y = panel.plots.curves["lr"].getOriginalDataset()
    assert list(lr_y) == pytest.approx([lr for _, _, lr in steps]) and lr_y[0] > lr_y[-1]
    for key in ("train_loss", "val_loss", "train_metric", "val_metric"):
        assert len(panel.plots.curves[key].getOriginalDataset()[0]) == len(epochs)
    shown = re.search(r"Validation: accuracy ([\d.]+)%", panel.metrics.text())
    assert shown is not None and float(shown.group(1)) > 90
    assert panel.run_dir.parent == tmp_path / "runs"  # next to the project file
    assert (panel.run_dir / "metrics.csv").is_file()
    assert panel.folder.toolTip() == str(panel.run_dir)  # the name shown, the path here
    assert f">{panel.run_dir.name}</a>" in panel.folder.text()
    # after the run, its summary stands alone: room for the settings above it
    assert re.search(r"^Finished 2 epochs in .* · [\d,]+ samples/s\n", panel.metrics.text())
    assert panel.speed.isHidden() and panel.state.isHidden()
    panel.busy_elsewhere = lambda: "a profiling run is going"
    panel._update_state()  # what keeps Train off is said again
    assert not panel.state.isHidden() and "Train is off" in panel.state.text()
    panel.busy_elsewhere = lambda: ""
    panel._update_state()
    assert panel.train_action.isEnabled() and not panel.stop_action.isEnabled()
    assert not panel.plots.timer.isActive() and not panel.progress_timer.isActive()
    assert panel.progress.value() == panel.progress.maximum()  # the last progress shown
    window.undo.undo()
    assert window.doc.project.training["epochs"] == 15 and panel.settings.epochs.value() == 15


def test_the_run_uses_a_copy_so_edits_during_training_do_not_change_it(starter, qtbot):
    panel = starter.training
    panel.settings.epochs.setValue(1)
    with qtbot.waitSignal(panel.runner.ended, timeout=RUN_MS):
        panel.buttons["train"].click()
        panel.settings.epochs.setValue(7)  # applies to the next run
    assert panel.summary["epochs"] == 1 and panel.summary["epochs_completed"] == 1
    assert starter.doc.project.training["epochs"] == 7


def test_stop_ends_the_run_and_its_thread(starter, qtbot):
    panel = starter.training
    panel.settings.epochs.setValue(FOREVER)
    start_and_wait_for_epoch(qtbot, panel)
    thread = panel.runner.thread
    assert thread.isRunning()
    with qtbot.waitSignal(panel.runner.ended, timeout=RUN_MS):
        panel.buttons["stop"].click()
    assert thread.isFinished() and panel.runner.thread is None
    assert panel.summary["status"] == "stopped"
    assert 1 <= panel.summary["epochs_completed"] < FOREVER
    assert "Stopped after" in panel.metrics.text()
    assert (panel.run_dir / "checkpoints" / "last.pt").is_file()
    assert panel.train_action.isEnabled()


def test_pause_holds_the_run_resume_continues_and_stop_ends_a_paused_run(starter, qtbot):
    panel = starter.training
    panel.settings.epochs.setValue(FOREVER)
    start_and_wait_for_epoch(qtbot, panel)
    panel.buttons["pause"].click()
    assert panel.runner.paused and panel.pause_action.text() == "&Resume"
    panel.buttons["pause"].click()
    assert not panel.runner.paused and panel.pause_action.text() == "&Pause"
    with qtbot.waitSignal(panel.runner.epoch, timeout=RUN_MS):
        pass  # resumed: epochs keep coming
    panel.buttons["pause"].click()
    with qtbot.waitSignal(panel.runner.ended, timeout=RUN_MS):
        panel.buttons["stop"].click()  # a paused loop wakes up to stop
    assert panel.summary["status"] == "stopped"


def test_a_missing_data_folder_shows_the_message_and_leaves_no_thread(starter, qtbot, tmp_path):
    missing = tmp_path / "no-such-folder"
    data = {"source": "image-folder", "path": str(missing)}
    starter.undo.push(QtSetProjectField(starter.doc, "data", data, "Use a missing folder"))
    panel = starter.training
    errors = []
    panel.runner.error.connect(errors.append)
    with qtbot.waitSignal(panel.runner.ended, timeout=RUN_MS):
        panel.buttons["train"].click()
    assert len(errors) == 1 and str(missing) in errors[0] and "does not exist" in errors[0]
    assert not panel.error.isHidden() and panel.error.text() == errors[0]
    assert "#b00020" in panel.error.styleSheet()  # red
    assert errors[0] in starter.statusBar().currentMessage()
    assert panel.summary is None and panel.progress.format() == "Failed"
    assert panel.runner.thread is None  # Train itself now waits for the data check's report


def test_train_is_disabled_while_the_shapes_do_not_fit(starter, qtbot, settle):
    panel = starter.training
    assert panel.train_action.isEnabled()
    starter.undo.push(QtRemoveBlock(starter.doc, 1))  # Flatten: the head gets a feature map
    settle(starter)
    assert not starter.validator.report.ok
    assert not panel.train_action.isEnabled() and not panel.buttons["train"].isEnabled()
    assert "shape error at block 2" in panel.state.text()
    assert panel.train() is False and panel.runner.thread is None
    starter.undo.undo()
    settle(starter)
    assert panel.train_action.isEnabled() and "Ready" in panel.state.text()


def test_closing_the_window_mid_run_stops_and_joins_the_thread(starter, qtbot):
    panel = starter.training
    panel.settings.epochs.setValue(FOREVER)
    start_and_wait_for_epoch(qtbot, panel)
    thread, run_dir = panel.runner.thread, panel.run_dir
    starter.dialogs.save_answer = "discard"
    assert starter.close()
    assert "stop_training" in starter.dialogs.asked  # it asked first
    assert thread.isFinished() and panel.runner.thread is None
    assert not panel.plots.timer.isActive()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "stopped"  # a cooperative stop, not a killed thread


def test_closing_mid_run_asks_and_no_keeps_it_training(starter, qtbot):
    panel = starter.training
    panel.settings.epochs.setValue(FOREVER)
    start_and_wait_for_epoch(qtbot, panel)
    thread = panel.runner.thread
    starter.dialogs.stop_training_answer = False
    starter.dialogs.save_answer = "discard"
    for close in (starter.close, starter.actions["quit"].trigger):  # close button, Ctrl+Q
        starter.dialogs.asked.clear()
        close()
        assert starter.dialogs.asked == ["stop_training"]  # asked, and nothing after a No
        assert thread.isRunning() and panel.runner.running
    with qtbot.waitSignal(panel.runner.epoch, timeout=RUN_MS):  # still learning
        pass
    starter.dialogs.stop_training_answer = True
    assert starter.close()
    assert thread.isFinished() and panel.runner.thread is None


def test_runner_reports_a_bad_setting_once(qtbot):
    project = load_template("digits-transfer")
    project.training["epochs"] = "many"
    runner = QtTrainingRunner()
    errors = []
    runner.error.connect(errors.append)
    with qtbot.waitSignal(runner.ended, timeout=RUN_MS):
        runner.start(project, run_dir=None)
    assert len(errors) == 1 and "training.epochs" in errors[0]
    assert not runner.running


def test_an_unexpected_exception_becomes_an_error_signal(qtbot, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setenv("FTSTUDIO_TRAINING", "thread")  # the patch reaches this process only
    monkeypatch.setattr(relay, "train_project", boom)
    runner = QtTrainingRunner()
    errors = []
    runner.error.connect(errors.append)
    with qtbot.waitSignal(runner.ended, timeout=RUN_MS):
        runner.start(load_template("digits-transfer"))
    assert errors == ["Training failed unexpectedly: RuntimeError: boom"]


def test_curves_take_nan_and_update_on_the_timer_tick_not_per_point(qtbot):
    plots = QtTrainingPlots()
    qtbot.addWidget(plots)
    plots.reset()
    for step, loss in ((1, 0.5), (2, float("nan")), (3, 0.0), (4, float("inf"))):
        plots.add_step(step, loss)
    x, _ = plots.curves["step_loss"].getOriginalDataset()
    assert x is None or len(x) == 0  # buffered until the next tick
    plots.refresh()  # what the timer calls
    x, y = plots.curves["step_loss"].getOriginalDataset()
    assert list(x) == [1, 2, 3, 4] and np.isnan(y[1]) and np.isinf(y[3])
    plots.grab()  # drawing non-finite and zero values (log axis) must not raise


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (MemoryError(), "ran out of memory"),
        (ValueError(), "ValueError"),
        (TrainingError(""), "TrainingError"),
        (OSError(28, "No space left on device"), "No space left"),
    ],
)
def test_the_run_failed_never_shows_an_empty_message(starter, qtbot, monkeypatch, raised, expected):
    def fail(*args, callbacks=(), **kwargs):
        for cb in callbacks:  # as the training loop did: str(exc) or the type's name
            cb.on_error(str(raised) or type(raised).__name__)
        raise raised

    monkeypatch.setenv("FTSTUDIO_TRAINING", "thread")  # the patch reaches this process only
    monkeypatch.setattr(relay, "train_project", fail)
    panel = starter.training
    with qtbot.waitSignal(panel.runner.ended, timeout=RUN_MS):
        panel.buttons["train"].click()
    assert "The run failed" in panel.state.text()
    assert expected in panel.error.text() and len(panel.error.text()) > 25
    assert panel.error.text() in starter.statusBar().currentMessage()


def test_seconds_left_is_the_runs_batches_left_at_its_pace(starter, monkeypatch):
    from ftstudio.gui import qt_training_panel

    panel = starter.training
    clock = {"now": 500.0}
    monkeypatch.setattr(qt_training_panel.time, "monotonic", lambda: clock["now"])
    assert panel.plots.seconds_left == panel.seconds_left  # the curves ask the panel
    assert panel.seconds_left() is None  # no run
    panel.info = {"epochs": 3, "start_epoch": 1, "batches_per_epoch": 100}  # resumed at 1
    panel.pace.start(panel.info, 500.0)
    clock["now"] = 502.0
    panel._progress(1, 49, 50)  # 50 batches in 2 s, 150 left
    assert panel.seconds_left() == pytest.approx(6.0)
    clock["now"] = 503.0
    assert panel.seconds_left() == pytest.approx(5.0)
    panel._progress(2, -1, 200)  # every batch done (the last validation may still run)
    assert panel.seconds_left() == 0.0
    panel._ended()
    assert panel.seconds_left() is None


def test_the_finished_runs_curves_are_drawn_after_its_labels_not_in_the_same_stall(
    starter, qtbot, tmp_path
):
    panel = starter.training
    plots = panel.plots
    plots.add_steps([(s, 1.0 / s, 0.01) for s in range(1, 40)])
    summary = {"epochs_completed": 2, "epochs": 2, "status": "finished", "time_s": 3.0,
               "final": {"val_accuracy": 0.9, "samples_per_s": 1000.0},
               "run_dir": str(tmp_path / "run")}  # fmt: skip
    panel._finished(summary)
    assert "Finished 2 epochs" in panel.metrics.text()
    assert plots.curves["step_loss"].getOriginalDataset()[0] is None  # not in this stall
    qtbot.waitUntil(lambda: plots.curves["step_loss"].getOriginalDataset()[0] is not None)
    assert len(plots.curves["step_loss"].getOriginalDataset()[0]) == 39
