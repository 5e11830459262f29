"""A project's custom code: stored as path + SHA-256, never run before consent (CLI)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ftstudio.core import project as project_io
from ftstudio.core.blocks import custom
from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block
from ftstudio.core.project_code import CustomCodeConsentError

REPO = Path(__file__).resolve().parents[2]

BLOCKS = """
from pathlib import Path

from torch import nn

Path(__file__).with_name("imported.marker").write_text("ran")


class Widen(nn.Module):
    \"\"\"A Linear to a wider vector.\"\"\"

    def __init__(self, in_features: int, out: int = 3):
        super().__init__()
        self.linear = nn.Linear(in_features, out)

    def forward(self, x):
        return self.linear(x)
"""


def project_file(tmp_path: Path) -> tuple[Path, Path]:
    """A saved project whose block is Widen from ``code/widen_blocks.py`` (hash of that file),
    written as text so that nothing runs the file here."""
    blocks_file = tmp_path / "code" / "widen_blocks.py"
    blocks_file.parent.mkdir()
    blocks_file.write_text(textwrap.dedent(BLOCKS), encoding="utf-8")
    raw = {
        "format": "ftstudio-project",
        "version": 1,
        "name": "custom",
        "input": {"shape": [4], "dtype": "float32"},
        "task": {"kind": "classification", "num_classes": 3, "num_outputs": 1},
        "blocks": [{"id": "widen", "type": "Widen", "params": {"out": 3}}],
        "custom_blocks": [
            {
                "path": "code/widen_blocks.py",
                "sha256": hashlib.sha256(blocks_file.read_bytes()).hexdigest(),
            }
        ],
    }
    path = tmp_path / "p.ftproj"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path, blocks_file


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "FTSTUDIO_BLOCKS_DIR": str(cwd / "no_dir")}
    return subprocess.run(
        [sys.executable, "-m", "ftstudio", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def test_cli_runs_no_project_code_before_consent(tmp_path):
    path, blocks_file = project_file(tmp_path)
    marker = blocks_file.with_name("imported.marker")
    refused = cli("validate", str(path), cwd=tmp_path)
    assert refused.returncode == 2
    assert "code/widen_blocks.py (unchanged since the project was saved)" in refused.stderr
    assert "--blocks" in refused.stderr and "Traceback" not in refused.stderr
    assert not marker.exists()  # the file was never imported
    blocks_file.write_text(blocks_file.read_text() + "\n# edited\n")
    changed = cli("train", str(path), cwd=tmp_path)
    assert changed.returncode != 0 and "CHANGED since the project was saved" in changed.stderr
    assert not marker.exists()
    given = cli("validate", str(path), "--blocks", str(blocks_file), cwd=tmp_path)
    assert given.returncode == 0, given.stderr
    assert "Widen" in given.stdout and marker.exists()


def test_trust_loads_the_named_file_and_a_missing_one_is_named(tmp_path):
    path, blocks_file = project_file(tmp_path)
    with pytest.raises(CustomCodeConsentError, match="unchanged since"):
        project_io.load(path, trust=False)
    assert not blocks_file.with_name("imported.marker").exists()
    try:
        project = project_io.load(path, trust=True)
        assert project.blocks[0].block_type.origin == str(blocks_file.resolve())
        assert custom.loaded(blocks_file) is not None
    finally:
        custom.unload_blocks_file(blocks_file)
    blocks_file.unlink()
    with pytest.raises(CustomCodeConsentError, match=r"widen_blocks.py, but that file is missing"):
        project_io.load(path, trust=True)


def test_save_stores_relative_path_and_hash(tmp_path, custom_blocks):
    blocks_file = tmp_path / "lib" / "my_blocks.py"
    blocks_file.parent.mkdir()
    blocks_file.write_text(
        "from torch import nn\n\n\nclass Wide(nn.Module):\n"
        "    def __init__(self, in_features: int, out: int = 3):\n"
        "        super().__init__()\n        self.f = nn.Linear(in_features, out)\n\n"
        "    def forward(self, x):\n        return self.f(x)\n"
    )
    custom_blocks(blocks_file)
    project = Project(input=InputSpec((4,)), task=TaskSpec("classification", 3))
    project.blocks.append(make_block("Wide", project))
    target = tmp_path / "proj" / "p.ftproj"
    project_io.save(project, target)
    raw = json.loads(target.read_text())
    sha = hashlib.sha256(blocks_file.read_bytes()).hexdigest()
    assert raw["custom_blocks"] == [{"path": "../lib/my_blocks.py", "sha256": sha}]
    again = project_io.load(target, trust=False)  # the file is loaded already: no question
    assert again.custom_blocks == raw["custom_blocks"]
    project_io.save(again)
    assert json.loads(target.read_text()) == raw


def test_custom_blocks_section_is_checked(tmp_path):
    path, _ = project_file(tmp_path)
    raw = json.loads(path.read_text())
    raw["custom_blocks"][0]["sha256"] = "abc"
    path.write_text(json.dumps(raw))
    with pytest.raises(project_io.ProjectFileError, match=r"sha256: must be 64 lowercase hex"):
        project_io.load(path, trust=True)


def test_blocks_command_lists_the_user_folder(tmp_path):
    folder = tmp_path / "user_blocks"
    folder.mkdir()
    (folder / "mine.py").write_text(
        'from torch import nn\n\n\nclass Mine(nn.Module):\n    """Mine."""\n'
    )
    env_cwd = tmp_path
    result = subprocess.run(
        [sys.executable, "-m", "ftstudio", "blocks"],
        capture_output=True,
        text=True,
        cwd=env_cwd,
        env={**os.environ, "PYTHONPATH": str(REPO), "FTSTUDIO_BLOCKS_DIR": str(folder)},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert f"User blocks folder: {folder} (1 file(s)" in result.stdout
    assert "Custom:" in result.stdout and "Mine [mine.py]: Mine." in result.stdout


def test_custom_template_trains_through_the_cli_with_blocks(tmp_path):
    from ftstudio.core.project_spec import RESOURCES

    example = RESOURCES / "examples" / "custom_blocks.py"
    template = json.loads((RESOURCES / "templates" / "seed-sequence-custom.ftproj").read_text())
    ref = template["custom_blocks"][0]
    assert ref["sha256"] == hashlib.sha256(example.read_bytes()).hexdigest()  # kept in step
    project = tmp_path / "seq.ftproj"
    made = cli("new", str(project), "--template", "seed-sequence-custom", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    raw = json.loads(project.read_text())
    raw["data"]["samples"] = 40
    project.write_text(json.dumps(raw))
    trained = cli(
        "train",
        str(project),
        "--blocks",
        str(example),
        "--epochs",
        "1",
        "--device",
        "cpu",
        "--out",
        str(tmp_path / "run"),
        "--quiet",
        cwd=tmp_path,
    )
    assert trained.returncode == 0, trained.stderr
    assert (tmp_path / "run" / "checkpoints" / "last.pt").is_file()
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["epochs_completed"] == 1
