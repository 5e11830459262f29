"""A block whose module runs too long (a TorchScript loop) is reported, and the window goes on."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block
from ftstudio.gui.qt_commands import QtUpdateBlock

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


class SlowLoop(nn.Module):
    """Loops a few million times (about a second) before it answers."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        i = 0
        while i < 3000000:
            i += 1
        return x.mean(dim=(2, 3))


def test_a_stuck_validation_is_reported_and_the_window_stays_usable(
    make_window, tmp_path, monkeypatch, settle
):
    monkeypatch.setenv("FTSTUDIO_USER_CODE_TIME_LIMIT_S", "0.2")
    script = tmp_path / "slow.pt"
    torch.jit.save(torch.jit.script(SlowLoop()), str(script))
    project = Project(input=InputSpec(shape=(3, 8, 8)), task=TaskSpec(num_classes=2))
    project.blocks.append(make_block("backbone_from_file", project, path=str(script)))
    project.blocks.append(make_block("linear_classifier", project, classes=2))
    window = make_window(project=project)
    report = window.validator.report
    assert not report.ok and "did not finish" in report.issue.message
    assert "error" in window.status.validity.text()
    window.undo.push(QtUpdateBlock(window.doc, 1, "Rename", name="still editable"))
    settle(window)
    assert window.doc.blocks[1].name == "still editable"
    assert window.validator.report is not report  # validated again after the edit


def test_closing_never_waits_for_a_stuck_validation(make_window, monkeypatch, qtbot):
    import threading

    from ftstudio.core import block_analysis as shapes  # where the analysis lives

    window = make_window("digits-transfer")
    monkeypatch.setenv("FTSTUDIO_USER_CODE_TIME_LIMIT_S", "600")
    release, started = threading.Event(), threading.Event()
    real = shapes._analyze

    def stuck(*args):
        started.set()
        release.wait()  # a block whose code never returns (until the test lets it)
        return real(*args)

    monkeypatch.setattr(shapes, "_analyze", stuck)
    shapes._CACHE.clear()
    window.validator.request()
    qtbot.waitUntil(started.is_set, timeout=20000)
    try:
        window.validator.shutdown()  # returns although the block is still running
        assert not window.validator._thread.isRunning()
    finally:
        release.set()
