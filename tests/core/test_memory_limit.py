"""Sizes that pass validation but exhaust memory: validate warns, train refuses with the
estimate (unless --ignore-memory-limit), and validation itself allocates nothing big."""

from __future__ import annotations

import resource

import pytest
import torch
from train_helpers import digits_project, write_project

from ftstudio.cli import main
from ftstudio.core import memory
from ftstudio.core import project as project_io
from ftstudio.core.shapes import validate

HEAD = {"id": "head", "type": "linear_classifier", "params": {"classes": 5}}
TASK = {"kind": "classification", "num_classes": 5}
DATA = {"source": "digits", "classes": "0-4"}


@pytest.fixture
def big_input(tmp_path):
    cnn = {"id": "cnn", "type": "small_cnn", "params": {"width": 8, "stages": 1}}
    return write_project(tmp_path / "big_input.ftproj", [cnn, HEAD], [1, 8192, 8192], TASK, DATA)


@pytest.fixture
def big_mlp(tmp_path):
    mlp = {"id": "enc", "type": "mlp", "params": {"hidden": 65536, "layers": 32}}
    return write_project(tmp_path / "big_mlp.ftproj", [mlp, HEAD], [64], TASK, DATA)


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@pytest.mark.parametrize("name", ["big_input", "big_mlp"])
def test_validate_warns_and_train_refuses_with_the_estimate(name, request, tmp_path, capsys):
    path = request.getfixturevalue(name)
    before = peak_rss_bytes()
    assert main(["validate", str(path)]) == 0  # the shapes are fine...
    out = capsys.readouterr().out
    assert "Warning: Training needs about" in out and "--ignore-memory-limit" in out
    assert main(["train", str(path), "--out", str(tmp_path / "run"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "Training needs about" in err and "GiB free" in err and "--ignore-memory-limit" in err
    assert ("TiB" if name == "big_mlp" else "GiB at batch size") in err
    assert peak_rss_bytes() - before < 1 << 30  # neither allocated the big tensors


def test_validation_runs_on_the_meta_device(big_mlp):
    before = peak_rss_bytes()
    report = validate(project_io.load(big_mlp), batch_size=64)
    assert report.ok and report.memory.total > 1 << 40  # about 2 TiB
    assert peak_rss_bytes() - before < 1 << 30


def test_the_override_trains_anyway(tmp_path, monkeypatch, capsys):
    project = digits_project(tmp_path / "p.ftproj", epochs=1)
    monkeypatch.setattr(memory, "available_bytes", lambda device: 1024)
    argv = ["train", str(project), "--device", "cpu", "--quiet"]
    assert main([*argv, "--out", str(tmp_path / "a")]) == 1
    assert "but cpu has only 1.0 KiB free" in capsys.readouterr().err
    assert not (tmp_path / "a" / "checkpoints" / "last.pt").exists()
    assert main([*argv, "--out", str(tmp_path / "b"), "--ignore-memory-limit"]) == 0
    assert (tmp_path / "b" / "checkpoints" / "last.pt").is_file()


def test_unknown_free_memory_never_refuses(tmp_path, monkeypatch):
    project = digits_project(tmp_path / "p.ftproj", epochs=1)
    monkeypatch.setattr(memory, "available_bytes", lambda device: None)
    assert main(["train", str(project), "--out", str(tmp_path / "r"), "--quiet"]) == 0


def test_free_memory_per_device(monkeypatch):
    assert memory.available_bytes(torch.device("cpu")) > 0
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (123, 456))
    assert memory.available_bytes(torch.device("cuda", 0)) == 123
    assert memory.available_bytes(torch.device("mps")) is None


@pytest.mark.parametrize("shape", [[1, 8, 8], None], ids=["shape-known", "shape-from-data"])
def test_a_refused_run_leaves_no_folder_behind(tmp_path, monkeypatch, capsys, shape):
    cnn = {"id": "cnn", "type": "small_cnn", "params": {"width": 8, "stages": 1}}
    project = write_project(tmp_path / "p.ftproj", [cnn, HEAD], shape, TASK, DATA)
    monkeypatch.setattr(memory, "available_bytes", lambda device: 1024)
    argv = ["train", str(project), "--device", "cpu", "--quiet"]
    assert main([*argv, "--out", str(tmp_path / "new" / "run")]) == 1
    assert "but cpu has only 1.0 KiB free" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()  # neither --out nor its parents were created
    assert main(argv) == 1
    assert not (tmp_path / "runs").exists()  # nor the default runs/NAME-TIME folder
