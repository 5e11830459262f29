"""Issue 12, acceptance 2 (timm half): without timm the timm backbone block is listed with its
install hint, and a project that uses it gets a validation issue saying so, never a crash."""

from __future__ import annotations

import subprocess
import sys

from ftstudio.core import project as project_io
from ftstudio.core.blocks import get
from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block
from ftstudio.core.shapes import validate

HINT = "install ftstudio[timm]"


def _without_timm(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "timm", None)  # `import timm` raises ImportError


def _project() -> Project:
    project = Project(name="timm", input=InputSpec(shape=(3, 32, 32)), task=TaskSpec())
    project.blocks = [
        make_block("timm_backbone", project, architecture="resnet10t"),
        make_block("linear_classifier", project, classes=2),
    ]
    return project


def test_a_project_using_the_block_says_what_to_install(monkeypatch, tmp_path):
    path = project_io.save(_project(), tmp_path / "timm.ftproj")
    _without_timm(monkeypatch)
    project = project_io.load(path)  # any model name is accepted without timm to check it
    report = validate(project)
    assert report.issue is not None and report.issue.index == 0
    assert HINT in report.issue.message


def test_the_block_offers_no_names_and_no_preprocessing_without_timm(monkeypatch):
    _without_timm(monkeypatch)
    block = get("timm_backbone")
    names = next(p for p in block.params if p.name == "architecture").choices
    assert len(names) == 0 and "resnet10t" in names  # none listed, any accepted
    params = block.resolve({"architecture": "resnet10t"})
    assert block.preprocessing(params) is None and block.warnings(params) == []


def test_the_catalog_lists_the_block_with_the_install_hint():
    code = (
        "import sys; sys.modules['timm'] = None\n"
        "from ftstudio.core.blocks import get\n"
        "print(get('timm_backbone').description)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert HINT in done.stdout
