"""Issue 11 item 7: only pretrained weights imply their image size and normalisation."""

from __future__ import annotations

import numpy as np
import pytest
from train_helpers import epoch_rows, write_project

from ftstudio.cli import main
from ftstudio.core import project as project_io
from ftstudio.core.data import load_data
from ftstudio.core.shapes import validate


def _images(root, size=20, per_class=3):
    from PIL import Image

    rng = np.random.default_rng(0)
    for label, name in enumerate(("blue", "red")):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 80, (size, size, 3), dtype=np.uint8)
            pixels[..., 2 if label == 0 else 0] += 170
            Image.fromarray(pixels).save(root / name / f"{i}.png")


def _resnet_project(tmp_path, weights: str, shape: list[int]):
    _images(tmp_path / "images")
    blocks = [
        {"id": "bb", "type": "torchvision_backbone",
         "params": {"architecture": "resnet18", "weights": weights}},
        {"id": "head", "type": "linear_classifier", "params": {"classes": 2}},
    ]  # fmt: skip
    return write_project(
        tmp_path / "r.ftproj",
        blocks,
        shape,
        {"kind": "classification", "num_classes": 2},
        {"source": "image-folder", "path": "images", "val_fraction": 0.34, "num_workers": 0},
        {"epochs": 1, "batch_size": 4},
    )


def test_from_scratch_resnet_at_64px_validates_and_trains(tmp_path, capsys):
    path = _resnet_project(tmp_path, "none", [3, 64, 64])
    assert main(["validate", str(path)]) == 0
    assert "Valid" in capsys.readouterr().out
    run = tmp_path / "run"
    assert main(["train", str(path), "--out", str(run), "--quiet", "--device", "cpu"]) == 0
    assert len(epoch_rows(run)) == 1
    bundle = load_data(project_io.load(path))
    x, _ = bundle.train[0]
    assert tuple(x.shape) == (3, 64, 64)
    assert bundle.info["preprocessing"]["mean"] == pytest.approx([0.5, 0.5, 0.5])


def test_pretrained_weights_keep_their_preprocessing(tmp_path):
    path = _resnet_project(tmp_path, "DEFAULT", [3, 224, 224])
    bundle = load_data(project_io.load(path))  # reads no weights: only their metadata
    x, _ = bundle.val[0]
    assert tuple(x.shape) == (3, 224, 224)
    assert bundle.info["preprocessing"]["mean"] == pytest.approx([0.485, 0.456, 0.406])
    assert bundle.info["preprocessing"]["resize"] == 256


def test_pretrained_weights_at_another_size_fail_in_validate_as_in_train(tmp_path, capsys):
    path = _resnet_project(tmp_path, "DEFAULT", [3, 64, 64])
    report = validate(project_io.load(path))
    assert not report.ok
    assert report.issue.index == 0
    assert "[3, 224, 224]" in report.issue.message and "[3, 64, 64]" in report.issue.message
    run = tmp_path / "run"
    assert main(["train", str(path), "--out", str(run), "--quiet", "--device", "cpu"]) == 1
    assert "[3, 224, 224]" in capsys.readouterr().err
