"""A run whose memory estimate is over the free memory starts only after a confirmation."""

from __future__ import annotations

import pytest

from ftstudio.core import memory

RUN_MS = 180_000


@pytest.fixture(autouse=True)
def runs_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("FTSTUDIO_RUNS_DIR", str(tmp_path / "unsaved-runs"))


def test_over_the_free_memory_the_window_asks_and_no_means_no_run(make_window, monkeypatch):
    starter = make_window("digits-transfer")
    monkeypatch.setattr(memory, "available_bytes", lambda device: 1024)
    panel = starter.training
    assert not panel.train()
    assert starter.dialogs.asked == ["memory"] and panel.runner.thread is None
    assert "Not started: Training needs about" in panel.error.text()
    assert "1.0 KiB free" in panel.error.text() and not panel.error.isHidden()


def test_yes_starts_the_run_past_the_core_refusal(make_window, monkeypatch, qtbot):
    starter = make_window("digits-transfer")
    monkeypatch.setattr(memory, "available_bytes", lambda device: 1024)
    starter.dialogs.memory_answer = True
    panel = starter.training
    panel.settings.boxes["epochs"].setValue(1)
    with qtbot.waitSignal(panel.runner.ended, timeout=RUN_MS):
        assert panel.train()
    assert starter.dialogs.asked == ["memory"]
    assert panel.last_error is None and panel.summary["status"] == "finished"


def test_enough_memory_asks_nothing(make_window):
    starter = make_window("digits-transfer")
    assert starter.training.memory_shortfall() is None
