"""Training > Profile (issue 14): the window's ``ftstudio train --profile`` through core; the
result names the trace and the top operators; no thread is left behind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QPlainTextEdit

from ftstudio.core.templates import load_template

RUN_MS = 180_000  # generous: a failing run shows as a timeout, never as a flaky pass


@pytest.fixture(autouse=True)
def runs_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("FTSTUDIO_RUNS_DIR", str(tmp_path / "unsaved-runs"))


def test_profile_action_shows_the_trace_and_the_top_operators(make_window, qtbot, tmp_path):
    project = load_template("seed-sequence")
    project.data["samples"] = 480  # 12 training batches: warm-up and 10 recorded steps fit
    window = make_window(project=project)
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Training")
    profiler = window.profiler
    assert profiler.action in menu.actions() and profiler.action.isEnabled()
    with qtbot.waitSignal(profiler.task.ended, timeout=RUN_MS):
        profiler.action.trigger()
        assert not profiler.action.isEnabled()  # one at a time
        panel = window.training
        assert not panel.train_action.isEnabled()  # and never beside a training run
        assert panel.state.text() == "Train is off while a profiling run is going."
    assert profiler.dialog is not None and profiler.dialog.isVisible()
    shown = profiler.dialog.findChild(QPlainTextEdit, "profileText").toPlainText()
    trace = Path(shown.split("Chrome trace: ")[1].split(" (open it")[0])
    assert trace.parent.parent == tmp_path / "unsaved-runs"  # a run folder of its own
    assert json.loads(trace.read_text())["traceEvents"]
    assert "aten::" in shown and "Profiled 10 training steps" in shown
    assert profiler.task.thread is None and profiler.action.isEnabled()
    assert window.training.train_action.isEnabled() and "Ready" in window.training.state.text()
