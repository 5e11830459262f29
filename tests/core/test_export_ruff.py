"""Every Python file an export writes passes ``ruff check`` with the project's own rules
(issue 9, acceptance 4), for every template."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import ftstudio
from ftstudio.core.export import export_project
from ftstudio.core.templates import load_template, offline_templates

CONFIG = Path(ftstudio.__file__).resolve().parent.parent / "pyproject.toml"


def ruff_command() -> list[str]:
    if importlib.util.find_spec("ruff") is not None:
        return [sys.executable, "-m", "ruff"]
    if shutil.which("ruff"):
        return [shutil.which("ruff")]
    pytest.skip("ruff is not installed (pip install -e '.[test]' installs it)")


@pytest.mark.parametrize("name", offline_templates())
def test_every_exported_python_file_passes_ruff_check(tmp_path, name):
    ruff = ruff_command()
    project = load_template(name)
    if name == "image-resnet18":
        project.blocks[0].params["weights"] = "none"  # no download in tests
    result = export_project(project, tmp_path / name, check=False)
    files = [str(p) for p in result.files if p.suffix == ".py"]
    assert {"model.py", "layers.py", "predict.py", "train.py"} <= {Path(f).name for f in files}
    done = subprocess.run(
        [*ruff, "check", "--no-cache", "--config", str(CONFIG), *files],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
