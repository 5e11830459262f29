"""Acceptance 1 and 2: each data source trains a project end to end through `ftstudio train`."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch
from train_helpers import epoch_rows, mlp_classifier, summary, write_project

from ftstudio.cli import main
from ftstudio.core import templates
from ftstudio.core.data import load_data


def train_cli(project, run_dir, *extra: str) -> int:
    return main(["train", str(project), "--out", str(run_dir), "--quiet", *extra])


def test_digits_transfer_template_reaches_97_percent(tmp_path, capsys):
    path = tmp_path / "starter.ftproj"
    project = templates.create_from_template("digits-transfer", path)
    assert project.blocks[0].frozen  # the pretrained backbone is frozen
    assert train_cli(path, tmp_path / "run") == 0
    final = summary(tmp_path / "run")["final"]
    assert final["val_accuracy"] >= 0.97, final
    rows = epoch_rows(tmp_path / "run")
    assert len(rows) == project.training["epochs"]
    assert "val_accuracy" in capsys.readouterr().out


def _seed_sequence_accuracy(tmp_path, attention: bool) -> float:
    project = templates.load_template("seed-sequence")
    project.data.update({"samples": 400})
    project.training.update({"epochs": 4})
    if not attention:
        project.blocks = [b for b in project.blocks if b.type != "self_attention"]
    name = "with" if attention else "without"
    path = tmp_path / f"{name}.ftproj"
    from ftstudio.core import project as project_io

    project_io.save(project, path)
    assert train_cli(path, tmp_path / name) == 0
    return summary(tmp_path / name)["final"]["val_accuracy"]


def test_seed_sequence_attention_beats_no_attention_by_10_points(tmp_path):
    with_attention = _seed_sequence_accuracy(tmp_path, True)
    without = _seed_sequence_accuracy(tmp_path, False)
    assert with_attention - without >= 0.10, (with_attention, without)


def _write_images(root, classes=("blue", "red"), per_class=10, size=20):
    from PIL import Image

    rng = np.random.default_rng(0)
    for label, name in enumerate(classes):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = rng.integers(0, 80, (size, size, 3), dtype=np.uint8)
            pixels[..., 2 if label == 0 else 0] += 170
            Image.fromarray(pixels).save(root / name / f"{i}.png")


def test_image_folder_trains_with_workers_and_augmentation(tmp_path):
    _write_images(tmp_path / "images")
    blocks = [
        {"id": "cnn", "type": "small_cnn", "params": {"width": 8, "stages": 2}},
        {"id": "head", "type": "linear_classifier", "name": "Head", "params": {"classes": 2}},
    ]
    path = write_project(
        tmp_path / "img.ftproj",
        blocks,
        [3, 16, 16],
        {"kind": "classification", "num_classes": 2},
        {"source": "image-folder", "path": "images", "flip": True, "random_crop": True,
         "num_workers": 2, "val_fraction": 0.25},
        {"epochs": 3, "batch_size": 5},
    )  # fmt: skip
    assert train_cli(path, tmp_path / "run") == 0
    assert len(epoch_rows(tmp_path / "run")) == 3


def test_image_folder_applies_the_backbones_preprocessing(tmp_path):
    _write_images(tmp_path / "images", per_class=2)
    blocks = [
        {"id": "bb", "type": "torchvision_backbone",
         "params": {"architecture": "resnet18", "weights": "DEFAULT"}},
        {"id": "head", "type": "linear_classifier", "params": {"classes": 2}},
    ]  # fmt: skip
    path = write_project(
        tmp_path / "r.ftproj",
        blocks,
        [3, 224, 224],
        {"kind": "classification", "num_classes": 2},
        {"source": "image-folder", "path": "images", "val_fraction": 0.5},
    )
    from ftstudio.core import project as project_io

    bundle = load_data(project_io.load(path))
    x, _ = bundle.val[0]
    assert tuple(x.shape) == (3, 224, 224)
    assert bundle.info["preprocessing"]["mean"] == pytest.approx([0.485, 0.456, 0.406])
    assert float(x.min()) < 0  # ImageNet normalisation, not plain [0, 1] pixels


def test_csv_trains(tmp_path):
    rng = np.random.default_rng(0)
    with (tmp_path / "table.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["a", "b", "c", "label"])
        for _ in range(120):
            a, b, c = rng.normal(size=3)
            writer.writerow([a, b, c, int(a + b > 0) + int(c > 1)])
    path = write_project(
        tmp_path / "csv.ftproj",
        mlp_classifier(3),
        [3],
        {"kind": "classification", "num_classes": 3},
        {"source": "csv", "path": "table.csv", "label_column": "label"},
        {"epochs": 8},
    )
    assert train_cli(path, tmp_path / "run") == 0
    assert summary(tmp_path / "run")["final"]["val_accuracy"] > 0.6


def _save_tensors(path, x, y):
    if path.suffix == ".npz":
        np.savez(path, X=x.numpy(), y=y.numpy())
    elif path.suffix == ".safetensors":
        from safetensors.torch import save_file

        save_file({"X": x.contiguous(), "y": y.contiguous()}, str(path))
    else:
        torch.save({"X": x, "y": y}, path)


@pytest.mark.parametrize(
    "suffix, task",
    [(".npz", "classification"), (".safetensors", "regression"), (".pt", "token_classification")],
)
def test_tensor_file_trains(tmp_path, suffix, task):
    g = torch.Generator().manual_seed(0)
    if task == "token_classification":
        x = torch.randn(64, 6, 4, generator=g)
        y = (x[..., 0] > 0).long()
        blocks = [{"id": "head", "type": "token_classifier", "params": {"classes": 2}}]
        shape, task_spec = [6, 4], {"kind": task, "num_classes": 2}
    elif task == "regression":
        x = torch.randn(64, 5, generator=g)
        y = x.sum(1, keepdim=True)
        blocks = [{"id": "head", "type": "regression_head", "params": {"outputs": 1}}]
        shape, task_spec = [5], {"kind": task, "num_outputs": 1}
    else:
        x = torch.randn(64, 5, generator=g)
        y = (x[:, 0] > 0).long()
        blocks, shape, task_spec = mlp_classifier(2), [5], {"kind": task, "num_classes": 2}
    _save_tensors(tmp_path / f"data{suffix}", x, y)
    path = write_project(
        tmp_path / "t.ftproj", blocks, shape, task_spec,
        {"source": "tensor-file", "path": f"data{suffix}"},
    )  # fmt: skip
    assert train_cli(path, tmp_path / "run") == 0
    final = summary(tmp_path / "run")["final"]
    assert ("val_mae" if task == "regression" else "val_accuracy") in final


def test_explicit_validation_source(tmp_path):
    for name, n in (("train.npz", 48), ("val.npz", 16)):
        x = torch.randn(n, 5)
        np.savez(tmp_path / name, X=x.numpy(), y=(x[:, 0] > 0).long().numpy())
    path = write_project(
        tmp_path / "v.ftproj", mlp_classifier(2), [5], {"kind": "classification", "num_classes": 2},
        {"source": "tensor-file", "path": "train.npz", "validation": {"path": "val.npz"}},
    )  # fmt: skip
    from ftstudio.core import project as project_io

    bundle = load_data(project_io.load(path))
    assert (len(bundle.train), len(bundle.val)) == (48, 16)
