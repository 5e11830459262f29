"""The export result dialog shows the parity check's figures, in red when it failed; a window
export whose check fails reports the failure with the result dialog, not as a success
(issue 9)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftstudio.core.export import ExportResult, api
from ftstudio.core.export.parity import FileParity, ParityReport
from ftstudio.gui.qt_export_dialog import FAIL_COLOUR, PASS_COLOUR, QtExportResultDialog

LOADED = "    model.load_state_dict(state)\n"
BROKEN = LOADED + "    next(model.parameters()).data.mul_(1.01)  # broken on purpose\n"


def result_with(*files: FileParity) -> ExportResult:
    out = Path("/tmp/ftstudio-export-dialog-test")
    return ExportResult(out_dir=out, files=[out / "model.py"], parity=ParityReport(list(files)))


def test_a_passing_check_shows_each_files_difference(qtbot):
    result = result_with(FileParity("model.py", 0.0, 0.0), FileParity("model.ts", 1e-5, 2.5e-7))
    dialog = QtExportResultDialog(result, "digits")
    qtbot.addWidget(dialog)
    text = dialog.text.text()
    assert "Parity check passed" in text
    assert "model.py: max abs diff 0 (must be exactly 0) ok" in text
    assert "model.ts: max abs diff 2.5e-07 (limit 1e-05) ok" in text
    assert PASS_COLOUR in text and FAIL_COLOUR not in text
    assert dialog.windowTitle() == "Export finished"


def test_a_failed_check_is_red_and_names_the_file(qtbot):
    result = result_with(
        FileParity("model.py", 0.0, 0.031),
        FileParity("model.onnx", 1e-4, None, "InvalidArgument: Got invalid dimensions"),
    )
    dialog = QtExportResultDialog(result, "digits")
    qtbot.addWidget(dialog)
    text = dialog.text.text()
    assert "Parity check FAILED" in text and "kept for inspection" in text
    for line in ("model.py: max abs diff 0.031 (must be exactly 0) FAILED", "model.onnx: FAILED"):
        start = text.index(line)
        assert f'<li style="color:{FAIL_COLOUR};">' in text[start - 40 : start]
    assert dialog.windowTitle() == "Export failed its check"


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_a_window_export_whose_check_fails_shows_it_in_the_result_dialog(
    make_window, qtbot, tmp_path, monkeypatch
):
    monkeypatch.setenv("FTSTUDIO_RUNS_DIR", str(tmp_path / "runs"))
    real = api.model_source
    monkeypatch.setattr(api, "model_source", lambda *a, **k: real(*a, **k).replace(LOADED, BROKEN))
    window = make_window("digits-transfer")
    out = tmp_path / "out"
    window.dialogs.export_answer = lambda options: options.request(out_dir=out)
    with qtbot.waitSignal(window.exporter.task.ended, timeout=120_000):
        window.exporter.action.trigger()
    assert not window.exporter.running and window.exporter.task.thread is None
    [result] = window.dialogs.export_results  # the result dialog, with the figures in red
    assert window.dialogs.errors == []
    assert result.parity is not None and not result.parity.ok
    assert (out / "model.py").is_file()  # kept for inspection
    message = window.statusBar().currentMessage()
    assert message.startswith("Export failed: The parity check failed: model.py")
    assert window.exporter.last_error == result.failure_message()
