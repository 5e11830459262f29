"""The CLI's promise: every failure is one line and a non-zero exit, never a traceback.

`--out` under a file, a read-only folder or a full disk (for new, export and train); devices
FT Studio cannot train on; running out of memory; Ctrl-C."""

from __future__ import annotations

import errno
import os

import pytest
from train_helpers import digits_project

from ftstudio import cli
from ftstudio.cli import main


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def project(tmp_path):
    return digits_project(tmp_path / "p.ftproj", epochs=1)


@pytest.fixture
def a_file(tmp_path):
    path = tmp_path / "afile"
    path.write_text("keep")
    return path


def commands(project, out):
    return {
        "new": ["new", str(out / "x.ftproj")],
        "export": ["export", str(project), "--out", str(out)],
        "train": ["train", str(project), "--out", str(out), "--quiet"],
    }


@pytest.mark.parametrize("command", ["new", "export", "train"])
def test_out_below_an_existing_file_is_one_line(project, a_file, capsys, command):
    argv = commands(project, a_file / "sub")[command]
    assert main(argv) == 1
    line = one_line_error(capsys)
    assert "afile" in line
    assert a_file.read_text() == "keep"


@pytest.mark.parametrize("command", ["export", "train"])
def test_out_that_is_a_file_is_one_line(project, a_file, capsys, command):
    argv = commands(project, a_file)[command]
    if command == "train":
        argv += ["--overwrite"]
    assert main(argv) == 1
    assert "afile" in one_line_error(capsys)
    assert a_file.read_text() == "keep"


def failing(code: int):
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code), str(args[0]) if args else None)

    return fail


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES])
@pytest.mark.parametrize("command", ["new", "export", "train"])
def test_a_full_disk_or_read_only_folder_is_one_line(
    project, tmp_path, capsys, monkeypatch, command, code
):
    from ftstudio.core import tempfiles

    argv = commands(project, tmp_path / "out")[command]
    # Every save in FT Studio goes through the atomic write: its temporary file fails.
    monkeypatch.setattr(tempfiles, "_create_temp", failing(code))
    if command == "train":  # the run folder's own files fail the same way
        monkeypatch.setattr(os, "mkdir", failing(code))
    assert main(argv) == 1
    line = one_line_error(capsys)
    assert (
        os.strerror(code) in line
        or {errno.ENOSPC: "full", errno.EROFS: "read-only", errno.EACCES: "ermission"}[code] in line
    )


@pytest.mark.parametrize("device", ["meta", "xpu", "hpu", "cpu:3", "tpu", "cuda:99x"])
def test_devices_that_cannot_train_are_one_line(project, tmp_path, capsys, device):
    argv = ["train", str(project), "--device", device, "--out", str(tmp_path / "r"), "--quiet"]
    assert main(argv) == 1
    line = one_line_error(capsys)
    assert device in line and "cpu" in line


def test_memory_error_anywhere_is_one_line(project, capsys, monkeypatch):
    from ftstudio.core import project as project_io

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(project_io, "load", exhausted)
    assert main(["validate", str(project)]) == 1
    assert "out of memory" in one_line_error(capsys)


def test_ctrl_c_is_exit_130_without_traceback(project, capsys, monkeypatch):
    from ftstudio.core import project as project_io

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(project_io, "load", interrupted)
    assert main(["validate", str(project)]) == 130
    monkeypatch.setattr(cli, "build_parser", interrupted)  # still importing torch
    assert main(["validate", str(project)]) == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("interrupted") == 2


def test_a_disk_that_fills_during_training_is_one_line(project, tmp_path, capsys, monkeypatch):
    from ftstudio.core import tempfiles

    monkeypatch.setattr(tempfiles, "_create_temp", failing(errno.ENOSPC))
    argv = ["train", str(project), "--out", str(tmp_path / "run"), "--quiet"]
    assert main(argv) == 1  # the run folder is made; its first checkpoint cannot be written
    line = one_line_error(capsys)
    assert "No space left" in line
