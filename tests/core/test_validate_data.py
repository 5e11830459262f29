"""Issue 11 item 10: `validate` says what `train` would refuse: data that does not fit the
project (`--data`), and pretrained weights missing from the local cache (a warning)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch
import torchvision
from train_helpers import mlp_classifier, write_project

from ftstudio.cli import main
from ftstudio.core import project as project_io
from ftstudio.core.data import peek
from ftstudio.core.shapes import validate

RESNET18_URL = torchvision.models.ResNet18_Weights.DEFAULT.url


@pytest.fixture
def empty_torch_home(tmp_path, monkeypatch):
    """TORCH_HOME at an empty folder: nothing is cached, and nothing here downloads."""
    home = tmp_path / "torch-home"
    home.mkdir()
    monkeypatch.setenv("TORCH_HOME", str(home))
    monkeypatch.setattr(torch.hub, "_hub_dir", None)
    return home


def _resnet_project(tmp_path):
    blocks = [
        {"id": "bb", "type": "torchvision_backbone",
         "params": {"architecture": "resnet18", "weights": "DEFAULT"}},
        {"id": "head", "type": "linear_classifier", "params": {"classes": 2}},
    ]  # fmt: skip
    return write_project(
        tmp_path / "r.ftproj",
        blocks,
        [3, 224, 224],
        {"kind": "classification", "num_classes": 2},
        {"source": "synthetic-sequence"},
    )


def test_uncached_pretrained_weights_are_a_warning_with_the_remedies(
    tmp_path, empty_torch_home, capsys
):
    path = _resnet_project(tmp_path)
    assert main(["validate", str(path)]) == 0  # a warning, not an error
    out = capsys.readouterr().out
    cached = empty_torch_home / "hub" / "checkpoints" / RESNET18_URL.rsplit("/", 1)[1]
    warning = next(line for line in out.splitlines() if line.startswith("Warning:"))
    assert "resnet18" in warning and "not in the local cache" in warning
    assert str(cached) in warning
    assert "'file'" in warning and "'none'" in warning and "copy the file" in warning
    assert "weights_only" not in out

    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"")  # cached now: nothing to warn about
    assert validate(project_io.load(path)).warnings == []
    assert main(["validate", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["warnings"] == []


def _csv(path, features: int, labels: list[int]):
    rng = np.random.default_rng(0)
    names = [f"f{i}" for i in range(features)]
    lines = [",".join([*names, "label"])]
    for label in labels:
        lines.append(",".join([*(f"{v:.3f}" for v in rng.normal(size=features)), str(label)]))
    path.write_text("\n".join(lines) + "\n")


def _csv_project(tmp_path, features_in_project: int, classes: int, labels: list[int]):
    _csv(tmp_path / "table.csv", 4, labels)
    return write_project(
        tmp_path / "t.ftproj",
        mlp_classifier(classes),
        [features_in_project],
        {"kind": "classification", "num_classes": classes},
        {"source": "csv", "path": "table.csv"},
    )


def test_data_check_names_both_shapes_when_a_sample_does_not_fit(tmp_path, capsys):
    path = _csv_project(tmp_path, 3, 2, [0, 1] * 10)
    assert main(["validate", str(path)]) == 0  # the stack alone is fine
    capsys.readouterr()
    assert main(["validate", str(path), "--data"]) == 1
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.startswith("Invalid data:"))
    assert "[4]" in line and "[3]" in line and "table.csv" in line


def test_data_check_names_both_class_counts_and_the_label_range(tmp_path, capsys):
    path = _csv_project(tmp_path, 4, 3, [0, 1, 2, 4] * 5)
    report = validate(project_io.load(path), check_data=True)
    assert not report.ok and report.issue.kind == "data"
    assert "label 4" in report.issue.message and "3 classes" in report.issue.message

    from PIL import Image

    for name in ("a", "b", "c"):
        (tmp_path / "images" / name).mkdir(parents=True)
        Image.new("RGB", (8, 8)).save(tmp_path / "images" / name / "0.png")
    blocks = [
        {"id": "cnn", "type": "small_cnn", "params": {"width": 4, "stages": 1}},
        {"id": "head", "type": "linear_classifier", "params": {"classes": 2}},
    ]
    folder = write_project(
        tmp_path / "img.ftproj",
        blocks,
        [3, 8, 8],
        {"kind": "classification", "num_classes": 2},
        {"source": "image-folder", "path": "images", "val_fraction": 0.0},
    )
    assert main(["validate", str(folder), "--data"]) == 1
    out = capsys.readouterr().out
    assert "has 3 classes" in out and "have 2" in out


def test_data_check_passes_and_reports_what_it_read(tmp_path, capsys):
    path = _csv_project(tmp_path, 4, 3, [0, 1, 2] * 10)
    assert main(["validate", str(path), "--data"]) == 0
    out = capsys.readouterr().out
    assert "shape [4]" in out and "3 classes" in out and "labels 0..2" in out
    assert "Valid: the shapes fit from input to output and the data fits." in out
    assert main(["validate", str(path), "--data", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["data"]
    assert data["ok"] and data["sample_shape"] == [4] and data["label_range"] == [0, 2]


def test_only_local_small_sources_are_cheap_to_peek(tmp_path, monkeypatch):
    path = _csv_project(tmp_path, 4, 3, [0, 1, 2] * 10)
    project = project_io.load(path)
    assert peek.cheap_to_peek(project)
    monkeypatch.setattr(peek, "PEEK_LIMIT_BYTES", 10)
    assert not peek.cheap_to_peek(project)
    project.data["path"] = "missing.csv"  # cheap: the check names it at once
    monkeypatch.setattr(peek, "PEEK_LIMIT_BYTES", 1 << 20)
    assert peek.cheap_to_peek(project)
    check = peek.check_data(project)
    assert not check.ok and "missing.csv" in check.error and "does not exist" in check.error
    os.mkfifo(tmp_path / "pipe.csv")
    project.data["path"] = "pipe.csv"  # exists but is no regular file: never read here
    assert not peek.cheap_to_peek(project)
    project.data = {"source": "digits"}
    assert peek.cheap_to_peek(project)
