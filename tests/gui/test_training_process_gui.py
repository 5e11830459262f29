"""Training in a child process: the window's runs live in another process, and what goes wrong
there (a kill, a hang) ends the run with a message, never the window."""

from __future__ import annotations

import multiprocessing
import os

import pytest

from ftstudio.core import project as project_io
from ftstudio.core.blocks import custom
from ftstudio.core.templates import load_template
from ftstudio.gui import qt_training_worker

RUN_MS = 180_000

MISBEHAVING_BLOCKS = '''
"""Blocks that misbehave only inside FT Studio's training process (never in the window)."""

import multiprocessing
import os
import signal
import time

import torch
from torch import nn


def in_training_process() -> bool:
    return multiprocessing.current_process().name == "ftstudio-training"


class KilledAfter(nn.Module):
    """Kills its own process after some training batches, as an out-of-memory kill does."""

    def __init__(self, in_features: int, batches: int = 3):
        super().__init__()
        self.proj = nn.Linear(in_features, in_features)
        self.batches = batches
        self.seen = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if in_training_process() and self.training:
            self.seen += 1
            if self.seen > self.batches:
                os.kill(os.getpid(), signal.SIGKILL)
        return self.proj(x)


class Hangs(nn.Module):
    """Never returns from its first training batch."""

    def __init__(self, in_features: int):
        super().__init__()
        self.proj = nn.Linear(in_features, in_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if in_training_process() and self.training:
            marker = os.environ.get("FTSTUDIO_TEST_HANG_MARKER")
            if marker:
                open(marker, "w").close()  # the test knows the batch is under way
            time.sleep(3600)
        return self.proj(x)
'''


@pytest.fixture(autouse=True)
def process_backend(tmp_path, monkeypatch):
    monkeypatch.delenv(qt_training_worker.BACKEND_ENV, raising=False)
    monkeypatch.setenv("FTSTUDIO_RUNS_DIR", str(tmp_path / "runs"))


def project_with(block_type: str, tmp_path):
    blocks_file = tmp_path / "misbehaving.py"
    blocks_file.write_text(MISBEHAVING_BLOCKS)
    custom.load_blocks_file(blocks_file)
    seed = load_template("seed-sequence")
    seed.data["samples"] = 200
    seed.training["epochs"] = 2
    data = project_io.to_dict(seed)
    data["blocks"].insert(2, {"id": "odd", "type": block_type, "name": block_type, "params": {}})
    return project_io.from_dict(data)


def hang_marker(tmp_path, monkeypatch):
    """A file the Hangs block writes once its batch is under way (the child sees the env)."""
    marker = tmp_path / "hanging"
    monkeypatch.setenv("FTSTUDIO_TEST_HANG_MARKER", str(marker))
    return marker


def test_the_run_trains_in_a_child_process(make_window, qtbot):
    window = make_window("digits-transfer")
    panel = window.training
    panel.settings.epochs.setValue(1)
    pids = []
    panel.runner.started.connect(lambda info: pids.append(panel.runner.worker.process.process.pid))
    with qtbot.waitSignal(panel.runner.ended, timeout=RUN_MS):
        panel.buttons["train"].click()
    assert len(pids) == 1 and pids[0] != os.getpid()
    assert panel.last_error is None and panel.summary["status"] == "finished"
    assert not multiprocessing.active_children()


def test_a_killed_training_process_fails_the_run_and_the_window_lives_on(
    make_window, qtbot, tmp_path
):
    window = make_window(project=project_with("KilledAfter", tmp_path))
    panel = window.training
    assert panel.train_action.isEnabled(), panel.state.text()
    errors = []
    panel.runner.error.connect(errors.append)
    with qtbot.waitSignal(panel.runner.ended, timeout=RUN_MS):
        panel.buttons["train"].click()
    assert len(errors) == 1 and "killed (SIGKILL)" in errors[0] and "out of memory" in errors[0]
    assert errors[0] == panel.error.text() and "The run failed" in panel.state.text()
    assert panel.runner.thread is None and panel.train_action.isEnabled()
    assert panel.summary is None


def test_closing_kills_a_training_process_that_cannot_stop(
    make_window, qtbot, tmp_path, monkeypatch
):
    monkeypatch.setattr(qt_training_worker, "SHUTDOWN_GRACE_MS", 1000)
    window = make_window(project=project_with("Hangs", tmp_path))
    panel = window.training
    marker = hang_marker(tmp_path, monkeypatch)
    panel.buttons["train"].click()
    qtbot.waitUntil(marker.exists, timeout=RUN_MS)  # inside the batch that never ends
    child = panel.runner.worker.process.process
    thread = panel.runner.thread
    window.dialogs.save_answer = "discard"
    assert window.close()  # asks, requests a stop the hung batch never sees, then kills
    assert thread.isFinished() and panel.runner.thread is None
    assert not child.is_alive() and child.exitcode == -9


def test_a_standby_process_is_warm_before_the_click_and_runs_the_run(
    make_window, qtbot, monkeypatch
):
    monkeypatch.setenv(qt_training_worker.STANDBY_ENV, "1")
    monkeypatch.setattr(qt_training_worker, "STANDBY_DELAY_MS", 0)
    window = make_window("digits-transfer")
    runner = window.training.runner
    qtbot.waitUntil(lambda: runner.standby is not None, timeout=20_000)
    standby_pid = runner.standby.process.pid
    window.training.settings.epochs.setValue(1)
    pids = []
    runner.started.connect(lambda info: pids.append(runner.worker.process.process.pid))
    with qtbot.waitSignal(runner.ended, timeout=RUN_MS):
        window.training.buttons["train"].click()
    assert pids == [standby_pid] and window.training.summary["status"] == "finished"
    qtbot.waitUntil(lambda: runner.standby is not None, timeout=20_000)  # one for the next
    assert runner.standby.process.pid != standby_pid
    standby = runner.standby.process
    window.dialogs.save_answer = "discard"
    assert window.close()
    assert not standby.is_alive() and runner.standby is None  # closing ends it


def test_stop_pressed_again_ends_a_hung_run_at_once(make_window, qtbot, tmp_path, monkeypatch):
    window = make_window(project=project_with("Hangs", tmp_path))
    panel = window.training
    marker = hang_marker(tmp_path, monkeypatch)
    panel.buttons["train"].click()
    qtbot.waitUntil(marker.exists, timeout=RUN_MS)
    panel.buttons["stop"].click()  # asks for a stop the hung batch never reaches
    assert panel.runner.running and panel.stop_action.isEnabled()
    assert panel.stop_action.text() == "End &now" and "End now" in panel.state.text()
    errors = []
    panel.runner.error.connect(errors.append)
    with qtbot.waitSignal(panel.runner.ended, timeout=RUN_MS):
        panel.buttons["stop"].click()
    assert len(errors) == 1 and "ended at once" in errors[0] and "memory" not in errors[0]
    assert panel.stop_action.text() == "&Stop" and panel.train_action.isEnabled()


@pytest.mark.parametrize(
    ("env", "value"),
    [(qt_training_worker.STANDBY_ENV, "0"), (qt_training_worker.BACKEND_ENV, "thread")],
)
def test_no_standby_when_turned_off_or_training_on_a_thread(qtbot, monkeypatch, env, value):
    monkeypatch.setenv(qt_training_worker.STANDBY_ENV, "1")
    monkeypatch.setenv(env, value)
    runner = qt_training_worker.QtTrainingRunner()
    runner.schedule_standby()
    assert not runner.standby_timer.isActive() and runner.standby is None
    runner.shutdown()
