"""Run folders (issue 13, items 8 and 9): unique default names, no two runs in one folder,
leftover temporary files cleared."""

from __future__ import annotations

import os
import time

import pytest
from train_helpers import epoch_rows, tiny_project

from ftstudio.cli import main
from ftstudio.core import project as project_io
from ftstudio.core.errors import TrainingError
from ftstudio.core.training import run_dir as run_dir_module
from ftstudio.core.training import train_project
from ftstudio.core.training.run import default_run_dir
from ftstudio.core.training.run_dir import new_run_dir, prepare_run_dir

FROZEN = time.struct_time((2026, 11, 28, 23, 59, 59, 5, 333, 0))


@pytest.fixture
def tiny(tmp_path):
    return project_io.load(tiny_project(tmp_path / "tiny.ftproj"))


def test_two_runs_in_the_same_second_get_different_new_folders(tmp_path):
    first = new_run_dir(tmp_path / "runs", "my net", now=FROZEN)
    second = new_run_dir(tmp_path / "runs", "my net", now=FROZEN)
    assert first != second
    assert first.name == "my_net-20261128-235959"
    assert second.name == "my_net-20261128-235959-2"
    assert first.is_dir() and second.is_dir()
    assert not any(first.iterdir()) and not any(second.iterdir())


def test_default_run_folder_is_created_unique_with_a_frozen_clock(tiny, monkeypatch):
    monkeypatch.setattr(run_dir_module.time, "localtime", lambda *a: FROZEN)
    a, b = default_run_dir(tiny), default_run_dir(tiny)
    assert a != b and a.parent == b.parent == tiny.path.parent / "runs"
    assert a.is_dir() and b.is_dir()


def test_a_name_cannot_leave_the_runs_folder(tmp_path):
    path = new_run_dir(tmp_path / "runs", "../../etc/x", now=FROZEN)
    assert path.parent == tmp_path / "runs"


def test_a_second_run_into_a_used_folder_is_refused_and_keeps_the_first(tiny, tmp_path):
    run = tmp_path / "run"
    train_project(tiny, {"epochs": 1}, run_dir=run)
    before = (run / "checkpoints/last.pt").read_bytes()
    with pytest.raises(TrainingError) as info:
        train_project(tiny, {"epochs": 1}, run_dir=run)
    message = str(info.value)
    assert "already holds files" in message and "--overwrite" in message
    assert f"--resume {run / 'checkpoints' / 'last.pt'}" in message
    assert (run / "checkpoints/last.pt").read_bytes() == before
    assert len(epoch_rows(run)) == 1


def test_overwrite_replaces_the_run_and_keeps_other_files(tiny, tmp_path):
    run = tmp_path / "run"
    train_project(tiny, {"epochs": 2}, run_dir=run)
    (run / "notes.txt").write_text("mine")
    train_project(tiny, {"epochs": 1}, run_dir=run, overwrite=True)
    assert [r["epoch"] for r in epoch_rows(run)] == ["1"]  # no rows of the first run
    assert (run / "notes.txt").read_text() == "mine"


def test_resume_from_another_folder_into_a_used_one_is_refused(tiny, tmp_path):
    train_project(tiny, {"epochs": 1}, run_dir=tmp_path / "a")
    train_project(tiny, {"epochs": 1}, run_dir=tmp_path / "b")
    with pytest.raises(TrainingError, match="already holds files"):
        prepare_run_dir(tmp_path / "b", resume=tmp_path / "a/checkpoints/last.pt")
    assert prepare_run_dir(tmp_path / "b", resume=tmp_path / "b/checkpoints/last.pt")


def test_an_empty_or_new_folder_is_accepted_and_a_file_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    assert prepare_run_dir(tmp_path / "empty") == tmp_path / "empty"
    assert prepare_run_dir(tmp_path / "new") == tmp_path / "new"
    (tmp_path / "file").write_text("x")
    with pytest.raises(TrainingError, match="is a file"):
        prepare_run_dir(tmp_path / "file")


def test_stale_temporary_files_are_removed_and_only_ours(tmp_path):
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    ours = [
        run / "checkpoints/.last.pt.ab3_z9k1.tmp",
        run / "checkpoints/.best.pt.00000000.tmp",
        run / ".summary.json.q1w2e3r4.tmp",
    ]
    theirs = [run / "checkpoints/.last.pt.keep.tmp", run / "data.tmp", run / ".x.pt.abcdefgh.tmp"]
    for path in ours + theirs:
        path.write_bytes(b"x")
    with pytest.raises(TrainingError):  # someone else's files: refused, but ours are gone
        prepare_run_dir(run)
    assert not any(p.exists() for p in ours)
    assert all(p.exists() for p in theirs)
    for path in theirs:
        path.unlink()
    assert prepare_run_dir(run) == run  # only leftovers of ours: an empty run folder


def test_a_save_removes_old_leftovers_of_that_file_and_keeps_a_fresh_one(tiny, tmp_path):
    """A killed save's temporary file goes at the next save of the same file; one written
    in the last minutes may be another process's save in progress and stays."""
    stale = tmp_path / ".tiny.ftproj.k1ll3d00.tmp"
    fresh = tmp_path / ".tiny.ftproj.wr1t1ng0.tmp"
    other = tmp_path / ".other.ftproj.k1ll3d00.tmp"
    for path in (stale, fresh, other):
        path.write_text("half")
    hour_ago = time.time() - 3600
    for path in (stale, other):
        os.utime(path, (hour_ago, hour_ago))
    project_io.save(tiny)
    assert not stale.exists()
    assert fresh.exists() and other.exists()


def test_cli_refuses_a_used_out_folder_in_one_line(tiny, tmp_path, capsys):
    run = tmp_path / "run"
    args = ["train", str(tiny.path), "--epochs", "1", "--out", str(run), "--quiet"]
    assert main(args) == 0
    capsys.readouterr()
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: The run folder") and err.count("\n") == 1
    assert main([*args, "--overwrite"]) == 0
