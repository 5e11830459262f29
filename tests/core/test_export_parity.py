"""The parity check can fail (issue 9, acceptance 1): an export whose model.py was edited, one
that imports FT Studio, and an ONNX file without a dynamic batch axis all fail the checker
that every export runs; the CLI then exits 1 and keeps the folder. (That every template and
every block type passes it: test_export_templates.py, test_export_blocks.py.)"""

from __future__ import annotations

import json
import math
import shutil

import pytest
import torch
from export_helpers import in_app_model

from ftstudio.cli import main
from ftstudio.core.export import api, check_export, export_project, parity
from ftstudio.core.export.folder import MANIFEST
from ftstudio.core.export.parity import max_abs_diff
from ftstudio.core.templates import load_template

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

SHAPE = (1, 16, 16)  # digits-transfer's input
LOADED = "    model.load_state_dict(state)\n"
BROKEN = LOADED + "    next(model.parameters()).data.mul_(1.01)  # broken on purpose\n"


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    """digits-transfer exported with TorchScript; its own check passed."""
    project = load_template("digits-transfer")
    out = tmp_path_factory.mktemp("digits") / "out"
    result = export_project(project, out, formats=["torchscript"])
    assert result.parity.ok, [f.line() for f in result.parity.files]
    return project, result.out_dir


@pytest.fixture
def copy(digits, tmp_path):
    """A copy of the export to edit, and the app's model with its weights."""
    project, out = digits
    folder = shutil.copytree(out, tmp_path / "copy")
    return folder, in_app_model(project, folder)


def edit(path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_editing_model_py_after_export_fails_the_check(copy):
    folder, app = copy
    edit(folder / "model.py", LOADED, BROKEN)
    report = check_export(folder, app, SHAPE)
    assert not report.ok
    by_file = {item.file: item for item in report.files}
    assert list(by_file) == ["model.py", "model.ts"]
    assert by_file["model.py"].error is None and by_file["model.py"].max_abs_diff > 1e-4
    assert by_file["model.ts"].ok and by_file["model.ts"].max_abs_diff <= 1e-5  # untouched
    message = report.failure_message(folder)
    assert "model.py: max abs diff" in message and "model.ts" not in message
    assert str(folder) in message and "kept for inspection" in message


def test_the_check_runs_where_ftstudio_cannot_be_imported(copy):
    import ftstudio  # noqa: F401 - importable here, so only the check's process blocks it

    folder, app = copy
    edit(folder / "model.py", "import torch\n", "import ftstudio  # noqa: F401\nimport torch\n")
    [item] = check_export(folder, app, SHAPE, ["model.py"]).files
    assert not item.ok and item.max_abs_diff is None
    assert "ftstudio" in item.error and "without FT Studio" in item.error
    assert "\n" not in item.error


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_an_onnx_file_without_a_dynamic_batch_axis_fails_the_check(copy):
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    from ftstudio.core.export.formats import example_input

    folder, app = copy
    with torch.no_grad():  # traced for batches of 2 only, as before a dynamic axis
        torch.onnx.export(app, (example_input(SHAPE),), str(folder / "model.onnx"), dynamo=False)
    [item] = check_export(folder, app, SHAPE, ["model.onnx"]).files
    assert not item.ok and item.error is not None and item.max_abs_diff is None


def test_cli_prints_the_figures_and_exits_1_when_the_check_fails(tmp_path, monkeypatch, capsys):
    project_file = tmp_path / "p.ftproj"
    assert main(["new", "--template", "digits-transfer", str(project_file)]) == 0
    good = tmp_path / "good"
    assert main(["export", str(project_file), "--out", str(good)]) == 0
    out = capsys.readouterr().out
    assert "Parity check passed" in out and "model.py: max abs diff 0 (must be exactly 0) ok" in out

    real = api.model_source
    monkeypatch.setattr(api, "model_source", lambda *a, **k: real(*a, **k).replace(LOADED, BROKEN))
    bad = tmp_path / "bad"
    assert main(["export", str(project_file), "--out", str(bad)]) == 1
    captured = capsys.readouterr()
    [line] = captured.err.strip().splitlines()
    assert line.startswith("error: The parity check failed: model.py: max abs diff")
    assert "Traceback" not in captured.err and str(bad) in line
    assert "Parity check FAILED" in captured.out and "FAILED" in captured.out.splitlines()[-1]
    assert "# broken on purpose" in (bad / "model.py").read_text()  # kept for inspection
    parity = json.loads((bad / MANIFEST).read_text())["parity"]
    assert parity["ok"] is False and parity["files"]["model.py"]["max_abs_diff"] > 0


def test_max_abs_diff_counts_equal_specials_as_equal():
    inf, nan = math.inf, math.nan
    a = torch.tensor([1.0, inf, nan, -2.0])
    assert max_abs_diff(a, a.clone()) == 0.0
    assert max_abs_diff(a, torch.tensor([1.0, inf, nan, -2.5])) == 0.5
    assert max_abs_diff(a, torch.tensor([1.0, inf, 0.0, -2.0])) == inf  # a lone NaN
    assert max_abs_diff(a, torch.tensor([1.0, -inf, nan, -2.0])) == inf
    assert max_abs_diff(a, a[:3]) == inf  # another shape


def test_a_frozen_app_without_a_python_says_what_to_set(copy, monkeypatch):
    folder, app = copy
    monkeypatch.setattr(parity.sys, "frozen", True, raising=False)
    monkeypatch.delenv(parity.PYTHON_ENV, raising=False)
    [item] = check_export(folder, app, SHAPE, ["model.py"]).files
    assert not item.ok and parity.PYTHON_ENV in item.error
