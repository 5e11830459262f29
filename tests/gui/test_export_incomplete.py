"""File > Export: a requested format that was not written shows as an error, like the CLI's
non-zero exit (issue 9): ONNX without the package names the install command and writes
nothing; a format that could not be traced shows what is missing, not the result dialog."""

from __future__ import annotations

import sys

import pytest

from ftstudio.core.export import formats as extra

EXPORT_MS = 120_000  # generous: a failing export shows as a timeout, never as a flaky pass


@pytest.fixture
def window(make_window, tmp_path, monkeypatch):
    monkeypatch.setenv("FTSTUDIO_EXPORT_DIR", str(tmp_path / "unsaved-exports"))
    monkeypatch.setenv("FTSTUDIO_RUNS_DIR", str(tmp_path / "unsaved-runs"))
    return make_window("seed-sequence")


def export_and_wait(qtbot, window, out, formats) -> None:
    window.dialogs.export_answer = lambda options: options.request(out_dir=out, formats=formats)
    ended = []
    window.exporter.task.ended.connect(lambda: ended.append(True))
    window.exporter.action.trigger()
    qtbot.waitUntil(lambda: bool(ended), timeout=EXPORT_MS)
    assert not window.exporter.running and window.exporter.task.thread is None


def test_onnx_without_the_package_shows_the_install_command(window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    out = tmp_path / "out"
    export_and_wait(qtbot, window, out, ("onnx",))
    [(title, message)] = window.dialogs.errors
    assert title == "Export failed" and "pip install 'ftstudio[onnx]'" in message
    assert window.dialogs.export_results == [] and not out.exists()


def test_a_format_that_was_not_written_is_an_error_not_a_result(
    window, qtbot, tmp_path, monkeypatch
):
    def fail(model, shape):
        raise RuntimeError("cannot trace this")

    monkeypatch.setattr(extra, "torchscript_bytes", fail)
    out = tmp_path / "out"
    export_and_wait(qtbot, window, out, ("torchscript",))
    [(title, message)] = window.dialogs.errors
    assert "torchscript was asked for but not written" in message
    assert "cannot trace this" in message and str(out) in message
    assert window.dialogs.export_results == []
    assert (out / "model.py").is_file() and not (out / "model.ts").exists()
    assert message in window.statusBar().currentMessage()
