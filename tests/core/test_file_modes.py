"""Saved files keep normal permissions: a new file gets open()'s mode under the umask, a
replaced file keeps its mode (projects, checkpoints, exports, run files)."""

from __future__ import annotations

import os
import stat

import pytest
import torch
from train_helpers import tiny_project

from ftstudio.core import project as project_io
from ftstudio.core import tempfiles
from ftstudio.core.export import export_project
from ftstudio.core.training.checkpoint import save_checkpoint
from ftstudio.core.training.run import train_project

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


@pytest.fixture
def umask():
    """Set the process umask for one test; the old one comes back afterwards."""
    old = os.umask(0o022)
    os.umask(old)
    yield os.umask
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mask", [0o022, 0o002], ids=["umask022", "umask002"])
def test_every_kind_of_saved_file_gets_the_mode_open_would_give(tmp_path, umask, mask):
    umask(mask)
    path = tiny_project(tmp_path / "p.ftproj", epochs=1)  # saved by project_io.save
    project = project_io.load(path)
    run = tmp_path / "run"
    train_project(project, run_dir=run)
    export = export_project(project, tmp_path / "export", run / "checkpoints" / "best.pt")
    files = [path, run / "metrics.csv", run / "summary.json", *export.files]
    files += sorted((run / "checkpoints").glob("*.pt"))
    assert len(files) > 6 and (run / "checkpoints" / "last.pt") in files
    assert {p.name: oct(mode(p)) for p in files} == {p.name: oct(0o666 & ~mask) for p in files}


def test_a_replaced_file_keeps_its_mode(tmp_path, umask):
    umask(0o022)
    path = tiny_project(tmp_path / "p.ftproj", epochs=1)
    project = project_io.load(path)
    checkpoint = save_checkpoint(tmp_path / "c.pt", {"w": torch.zeros(2)})
    export = export_project(project, tmp_path / "export")
    files = [path, checkpoint, *export.files]
    for file in files:
        os.chmod(file, 0o640)
    project_io.save(project, path)
    save_checkpoint(checkpoint, {"w": torch.ones(2)})
    again = export_project(project, tmp_path / "export")
    assert sorted(again.files) == sorted(export.files)
    assert {p.name: oct(mode(p)) for p in files} == {p.name: "0o640" for p in files}
    assert torch.load(checkpoint, weights_only=True)["w"].sum() == 2  # really rewritten


def test_a_read_only_file_is_replaced_and_stays_read_only(tmp_path, umask):
    umask(0o002)
    path = tmp_path / "notes.json"
    tempfiles.atomic_write_text(path, "one")
    assert mode(path) == 0o664
    os.chmod(path, 0o444)
    tempfiles.atomic_write_text(path, "two")
    assert path.read_text() == "two" and mode(path) == 0o444
    assert [p.name for p in tmp_path.iterdir()] == ["notes.json"]  # no temporary file left


def test_the_temporary_names_are_the_ones_the_cleaner_removes(tmp_path, monkeypatch):
    made = []
    create = tempfiles._create_temp

    def spy(folder, name):
        fd, tmp = create(folder, name)
        made.append(tmp.name)
        return fd, tmp

    monkeypatch.setattr(tempfiles, "_create_temp", spy)
    tempfiles.atomic_write_bytes(tmp_path / "a.pt", b"x")
    [name] = made
    assert tempfiles.is_temp_of(name, "a.pt") and not (tmp_path / name).exists()
