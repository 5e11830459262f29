"""Start-up: ``--help`` and argument errors import neither torch nor Qt; the headless
commands ``blocks``, ``new`` and ``validate`` import no Qt. Each case runs in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "torchvision", "numpy", "PySide6", "shiboken6", "pyqtgraph", "tqdm")

RUN = """
import contextlib, io, json, sys
from ftstudio.cli import main
codes = []
for argv in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            codes.append(main(argv))
        except SystemExit as exc:
            codes.append(exc.code)
    if codes[-1] not in (0, None):
        print(err.getvalue(), file=sys.stderr)
loaded = sorted({name.split(".")[0] for name in sys.modules} & set(json.loads(sys.argv[2])))
print(json.dumps({"codes": codes, "loaded": loaded}))
"""


def run_fresh(tmp_path: Path, *argvs: list[str]) -> dict:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "FTSTUDIO_BLOCKS_DIR": str(tmp_path / "no_blocks"),
    }
    result = subprocess.run(
        [sys.executable, "-c", RUN, json.dumps(list(argvs)), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["-h"],
        ["train", "--help"],
        ["new", "--help"],
        ["export", "--help"],
        ["train"],  # missing PROJECT: an argument error
        ["validate", "p.ftproj", "--no-such-flag"],
        ["new", "--template", "no-such-template", "x.ftproj"],
        ["--no-such-flag"],  # the window's own parser
    ],
    ids=lambda argv: " ".join(argv),
)
def test_help_and_argument_errors_import_neither_torch_nor_qt(tmp_path, argv):
    result = run_fresh(tmp_path, argv)
    expected = 0 if any(a in ("-h", "--help") for a in argv) else 2
    assert result == {"codes": [expected], "loaded": []}


def test_blocks_new_and_validate_import_no_qt(tmp_path):
    project = str(tmp_path / "p.ftproj")
    result = run_fresh(
        tmp_path, ["blocks"], ["new", "--template", "seed-sequence", project], ["validate", project]
    )
    assert result["codes"] == [0, 0, 0]
    assert "torch" in result["loaded"]  # they did run
    assert not {"PySide6", "shiboken6", "pyqtgraph"} & set(result["loaded"])


def test_torchvision_is_imported_only_when_a_torchvision_block_needs_it(tmp_path):
    code = """
import sys
from ftstudio.core.blocks import get as get_type
from ftstudio.core.shapes import validate
from ftstudio.core.templates import load_template
report = validate(load_template("digits-transfer"))
assert report.ok, report
before = "torchvision" in sys.modules
choices = dict((p.name, p.choices) for p in get_type("torchvision_backbone").params)
print(before, "resnet18" in choices["architecture"], "torchvision" in sys.modules)
"""
    env = {**os.environ, "PYTHONPATH": str(REPO), "FTSTUDIO_BLOCKS_DIR": str(tmp_path / "none")}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True"]
