"""The Runs dock (issue 8, run history): runs listed after a reopen, export from a reopened
project's best checkpoint, two runs overlaid and toggled with their best epochs marked, and
Resume continuing a stopped run from its last epoch."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt
from safetensors.torch import load_file

from ftstudio.core import project as project_io
from ftstudio.core.run_history import read_run
from ftstudio.core.training import Callback, TrainControl, train_project
from ftstudio.gui.qt_export import CURRENT_WEIGHTS
from ftstudio.gui.qt_runs import run_label

RUN_MS = 120_000  # generous: a failing run shows as a timeout, never as a flaky pass


class StopAfter(Callback):
    def __init__(self, control: TrainControl, epochs: int):
        self.control, self.epochs = control, epochs

    def on_epoch_end(self, metrics):
        if metrics["epoch"] >= self.epochs:
            self.control.request_stop()


@pytest.fixture
def tiny_path(tmp_path):
    """A saved, very small project: random 1x4x4 samples of 3 classes, a Small CNN."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 1, 4, 4)).astype("float32")
    y = (x[:, 0, 0, 0] > 0).astype("int64") + (x[:, 0, 1, 1] > 0.5).astype("int64")
    np.savez(tmp_path / "tiny.npz", X=x, y=y)
    raw = {
        "format": "ftstudio-project",
        "version": 1,
        "name": "tiny",
        "input": {"shape": [1, 4, 4], "dtype": "float32"},
        "task": {"kind": "classification", "num_classes": 3},
        "blocks": [
            {"id": "cnn", "type": "small_cnn", "params": {"width": 4, "stages": 1}},
            {"id": "head", "type": "linear_classifier", "params": {"classes": 3}},
        ],
        "data": {"source": "tensor-file", "path": "tiny.npz", "val_fraction": 0.25},
        "training": {"epochs": 2, "batch_size": 12, "lr": 0.05, "seed": 0, "device": "cpu"},
    }
    path = tmp_path / "tiny.ftproj"
    project_io.save(project_io.from_dict(raw, path.name), path)
    return path


def val_losses(run_dir) -> list[float]:
    with (run_dir / "metrics.csv").open() as handle:
        return [float(r["val_loss"]) for r in csv.DictReader(handle) if r["kind"] == "epoch"]


def test_runs_are_listed_after_save_close_and_reopen(make_window, tiny_path, qtbot):
    window = make_window(project=project_io.load(tiny_path))
    assert window.runs.runs == [] and window.runs.table.topLevelItemCount() == 0
    panel = window.training
    panel.settings.epochs.setValue(1)
    with qtbot.waitSignal(panel.runner.ended, timeout=RUN_MS):
        panel.buttons["train"].click()
    assert panel.summary["status"] == "finished"
    assert [r.path for r in window.runs.runs] == [panel.run_dir]  # listed as it ends
    assert window.files.save()
    window.close()
    reopened = make_window(project=project_io.load(tiny_path))
    (run,) = reopened.runs.runs
    assert run.path == panel.run_dir and run.status == "finished"
    assert (run.epochs_done, run.epochs_planned) == (1, 1)
    item = reopened.runs.table.topLevelItem(0)
    assert item.text(0) == run_label(run) and run.name in item.toolTip(0)
    assert (item.text(1), item.text(2)) == ("finished", "1/1")
    assert reopened.runs.table.headerItem().text(3) == "Best val_loss"
    assert item.text(3) == f"{run.best:.4g} (epoch 1)"
    assert reopened.runs_dock.windowTitle() == "Runs"


def test_export_from_a_reopened_projects_best_checkpoint(make_window, tiny_path, qtbot, tmp_path):
    result = train_project(project_io.load(tiny_path), {"epochs": 2})
    best = result.summary["checkpoints"]["best"]
    window = make_window(project=project_io.load(tiny_path))
    weights = window.exporter.options().weights
    assert [str(c.checkpoint) for c in weights[:2]] == [best, result.summary["checkpoints"]["last"]]
    assert weights[0].label.startswith("Best of run ") and weights[-1].label == CURRENT_WEIGHTS
    out = tmp_path / "exported"
    window.dialogs.export_answer = lambda options: options.request(out_dir=out)
    ended = []
    window.exporter.task.ended.connect(lambda: ended.append(True))
    window.exporter.action.trigger()
    qtbot.waitUntil(lambda: bool(ended), timeout=RUN_MS)
    assert window.dialogs.errors == []
    exported = load_file(out / "model.safetensors")
    trained = torch.load(best, weights_only=True)["model"]
    assert exported.keys() == trained.keys()
    for key, value in trained.items():
        assert torch.equal(exported[key], value), key


def test_two_runs_overlaid_toggled_and_best_epochs_marked(make_window, tiny_path):
    first = train_project(project_io.load(tiny_path), {"epochs": 3, "lr": 0.05})
    second = train_project(project_io.load(tiny_path), {"epochs": 3, "lr": 0.5})
    window = make_window(project=project_io.load(tiny_path))
    runs = window.runs
    assert len(runs.runs) == 2
    for run in runs.runs:
        runs.set_ticked(run, True)
    overlay = window.training.plots.overlay()
    assert set(overlay.runs) == {first.summary["run_dir"], second.summary["run_dir"]}
    loss_items = window.training.plots.loss_plot.getPlotItem().items
    for key, overlaid in overlay.runs.items():
        run = read_run(key)
        losses = val_losses(run.path)
        x, y = overlaid.loss.getOriginalDataset()
        assert list(y) == pytest.approx(losses) and overlaid.loss in loss_items
        assert list(overlaid.metric.getOriginalDataset()[0]) == [1, 2, 3]
        best = losses.index(min(losses)) + 1  # the epoch whose best.pt the run kept
        loss_marker, metric_marker = overlaid.markers
        assert list(metric_marker.getOriginalDataset()[0]) == [best]
        assert list(loss_marker.getOriginalDataset()[0]) == [x[best - 1]]
        assert overlaid.loss.isVisible() and metric_marker.isVisible()
        assert overlaid.color == runs.colors[key]  # the colour its row shows
    assert len(overlay.legend.items) == 2
    first_items = overlay.runs[first.summary["run_dir"]].items
    runs.set_ticked(first.summary["run_dir"], False)  # toggle one off
    assert set(overlay.runs) == {second.summary["run_dir"]}
    items = loss_items + window.training.plots.metric_plot.getPlotItem().items
    assert not any(item in items for item in first_items)
    assert overlay.runs[second.summary["run_dir"]].loss.isVisible()
    assert [label.text for _, label in overlay.legend.items] == [
        overlay.runs[second.summary["run_dir"]].label
    ]
    runs.set_ticked(first.summary["run_dir"], True)  # and on again, in its own colour
    assert len(overlay.runs) == 2
    assert len({o.color for o in overlay.runs.values()}) == 2


def test_resume_from_the_window_continues_from_the_last_epoch(make_window, tiny_path, qtbot):
    control = TrainControl()
    stopped = train_project(
        project_io.load(tiny_path), {"epochs": 3, "log_every": 1}, [StopAfter(control, 1)], control
    )
    folder = read_run(stopped.summary["run_dir"]).path
    first_row = (folder / "metrics.csv").read_text().splitlines()[:2]
    window = make_window(project=project_io.load(tiny_path))
    window.training.settings.epochs.setValue(3)
    runs = window.runs
    (run,) = runs.runs
    assert run.status == "stopped" and run.can_resume
    runs.select(run)
    assert runs.resume_button.isEnabled()
    panel = window.training
    starts = []
    panel.runner.started.connect(starts.append)
    with qtbot.waitSignal(panel.runner.ended, timeout=RUN_MS):
        runs.resume_button.click()
        assert not runs.resume_button.isEnabled()  # no second run while it goes
        plots = panel.plots  # the earlier epoch, drawn before the run's first message
        assert plots.best_epoch == run.best_epoch == 1
        assert plots.series["lr"].size == len(run.curves.steps) > 0
        assert list(plots.series["lr"].y) == run.curves.step_lrs
    assert panel.last_error is None and starts[0]["start_epoch"] == 1
    assert panel.run_dir == folder
    assert panel.summary["resumed"]["checkpoint"] == str(run.last_checkpoint)
    assert panel.summary["epochs_completed"] == 3 and panel.summary["status"] == "finished"
    lines = (folder / "metrics.csv").read_text().splitlines()
    assert lines[:2] == first_row  # epoch 1 was not trained again
    again = read_run(folder)
    assert [int(r["epoch"]) for r in again.curves.epochs] == [1, 2, 3]
    (listed,) = runs.runs
    assert listed.status == "finished" and not listed.can_resume
    assert runs.selected_run().path == folder  # still selected after the list was read again
    x, _ = panel.plots.curves["val_loss"].getOriginalDataset()
    assert len(x) == 3  # the earlier epoch is drawn with the new ones
    assert runs.table.topLevelItem(0).checkState(0) == Qt.Unchecked
