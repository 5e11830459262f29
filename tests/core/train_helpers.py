"""Helpers for the training tests: small projects written to disk, run-folder readers."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from ftstudio.core import project as project_io


def write_project(
    path: Path,
    blocks: list[dict[str, Any]],
    input_shape: list[int] | None,
    task: dict[str, Any],
    data: dict[str, Any],
    training: dict[str, Any] | None = None,
) -> Path:
    raw = {
        "format": "ftstudio-project",
        "version": 1,
        "name": path.stem,
        "input": {"shape": input_shape, "dtype": "float32"},
        "task": task,
        "blocks": blocks,
        "data": data,
        "training": {"epochs": 2, "batch_size": 16, "lr": 0.01, "seed": 0, **(training or {})},
    }
    project = project_io.from_dict(raw, path.name)
    project_io.save(project, path)
    return path


def mlp_classifier(classes: int, hidden: int = 16) -> list[dict[str, Any]]:
    return [
        {"id": "encoder", "type": "mlp", "params": {"hidden": hidden, "layers": 1}},
        {"id": "head", "type": "linear_classifier", "name": "Head", "params": {"classes": classes}},
    ]


def digits_project(path: Path, **training: Any) -> Path:
    """A small, quick digits project (Small CNN, 5 classes, 8x8 input)."""
    blocks = [
        {"id": "cnn", "type": "small_cnn", "params": {"width": 8, "stages": 1}},
        {"id": "drop", "type": "dropout", "params": {"p": 0.2}},
        {"id": "head", "type": "linear_classifier", "name": "Head", "params": {"classes": 5}},
    ]
    return write_project(
        path,
        blocks,
        [1, 8, 8],
        {"kind": "classification", "num_classes": 5},
        {"source": "digits", "classes": "0-4"},
        {"epochs": 2, "batch_size": 64, **training},
    )


def summary(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "summary.json").read_text())


def epoch_rows(run_dir: Path, kind: str = "epoch") -> list[dict[str, str]]:
    """The rows of ``kind`` ("epoch" or "step") in a run's ``metrics.csv``."""
    with (run_dir / "metrics.csv").open() as handle:
        return [r for r in csv.DictReader(handle) if r["kind"] == kind]


def tiny_project(path: Path, samples: int = 48, **training: Any) -> Path:
    """A very small and quick project: random 1x4x4 images of 3 classes in a tensor file,
    a Small CNN (with BatchNorm) and a classifier; 3 training batches per epoch."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(samples, 1, 4, 4)).astype("float32")
    y = (x[:, 0, 0, 0] > 0).astype("int64") + (x[:, 0, 1, 1] > 0.5).astype("int64")
    np.savez(path.with_suffix(".npz"), X=x, y=y)
    blocks = [
        {"id": "cnn", "type": "small_cnn", "params": {"width": 4, "stages": 1}},
        {"id": "head", "type": "linear_classifier", "name": "Head", "params": {"classes": 3}},
    ]
    return write_project(
        path,
        blocks,
        [1, 4, 4],
        {"kind": "classification", "num_classes": 3},
        {"source": "tensor-file", "path": path.with_suffix(".npz").name, "val_fraction": 0.25},
        {"epochs": 2, "batch_size": 12, "lr": 0.05, "device": "cpu", **training},
    )
