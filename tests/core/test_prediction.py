"""Issue 8, Try a sample (core): top-k of a checkpoint for one file equals the exported
predict.py's on the same file (run in a subprocess without ftstudio)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from export_helpers import run_script
from PIL import Image
from train_helpers import write_project

from ftstudio.cli import main
from ftstudio.core import project as project_io
from ftstudio.core.errors import DataError
from ftstudio.core.export import export_project
from ftstudio.core.prediction import Predictor


def image_project(tmp_path):
    rng = np.random.default_rng(0)
    for c, name in enumerate(("cats", "dogs", "owls")):
        folder = tmp_path / "images" / name
        folder.mkdir(parents=True)
        for i in range(5):
            pixels = rng.integers(0, 256, size=(10 + i, 12, 3)) // (c + 1)
            Image.fromarray(pixels.astype("uint8")).save(folder / f"{i}.png")
    blocks = [
        {"id": "cnn", "type": "small_cnn", "params": {"width": 4, "stages": 1}},
        {"id": "head", "type": "linear_classifier", "params": {"classes": 3}},
    ]
    return write_project(
        tmp_path / "img.ftproj",
        blocks,
        [3, 8, 8],
        {"kind": "classification", "num_classes": 3},
        {"source": "image-folder", "path": "images", "num_workers": 0, "val_fraction": 0.2},
        {"epochs": 1, "batch_size": 8, "device": "cpu"},
    )


def table_project(tmp_path):
    rng = np.random.default_rng(1)
    x = (rng.normal(size=(40, 5)) * [1, 10, 100, 1000, 0.1]).astype("float32")
    y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 5).astype("int64")
    np.savez(tmp_path / "table.npz", X=x, y=y)
    blocks = [
        {"id": "enc", "type": "mlp", "params": {"hidden": 8, "layers": 1}},
        {"id": "head", "type": "linear_classifier", "params": {"classes": 3}},
    ]
    path = write_project(
        tmp_path / "table.ftproj",
        blocks,
        [5],
        {"kind": "classification", "num_classes": 3},
        {"source": "tensor-file", "path": "table.npz", "standardize": True},
        {"epochs": 1, "batch_size": 8, "device": "cpu"},
    )
    return path, x


def trained_export(path, tmp_path):
    assert main(["train", str(path), "--out", str(tmp_path / "run"), "--quiet"]) == 0
    ckpt = tmp_path / "run" / "checkpoints" / "last.pt"
    project = project_io.load(path)
    export_project(project, tmp_path / "export", ckpt)
    return project, ckpt, tmp_path / "export"


def exported_predictions(export_dir, *files, k=3):
    """``predict.py FILES --top-k K --json`` of the export, run without ftstudio."""
    result = run_script(export_dir, "predict.py", *map(str, files), "--top-k", str(k), "--json")
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def assert_same(ours: list[dict], theirs: list[dict]) -> None:
    assert [r["input"] for r in ours] == [r["input"] for r in theirs]
    for a, b in zip(ours, theirs, strict=True):
        assert [(c["class"], c["index"]) for c in a["top_k"]] == [
            (c["class"], c["index"]) for c in b["top_k"]
        ]
        assert [c["p"] for c in a["top_k"]] == pytest.approx([c["p"] for c in b["top_k"]], abs=2e-6)


def assert_same_top(predictor, file, row, record):
    """The window's top-k (Predictor.predict) is predict.py's."""
    ours = predictor.predict(file, row, k=3).top
    assert [name for name, _ in ours] == [c["class"] for c in record["top_k"]]
    assert [p for _, p in ours] == pytest.approx([c["p"] for c in record["top_k"]], abs=2e-6)


def test_image_top_k_equals_exported_predict_py(tmp_path):
    project, ckpt, export_dir = trained_export(image_project(tmp_path), tmp_path)
    photo = tmp_path / "photo.jpg"  # another size and format than the training images
    pixels = np.random.default_rng(5).integers(0, 256, size=(30, 20, 3)).astype("uint8")
    Image.fromarray(pixels).save(photo)
    predictor = Predictor(project, ckpt)
    assert predictor.class_names == ["cats", "dogs", "owls"]
    exported = exported_predictions(export_dir, photo)
    assert_same(predictor.records(photo, 3), exported)
    assert_same_top(predictor, photo, 0, exported[0])


def test_npz_and_csv_rows_are_standardized_as_predict_py(tmp_path):
    path, x = table_project(tmp_path)
    project, ckpt, export_dir = trained_export(path, tmp_path)
    sample = tmp_path / "one.npz"
    np.savez(sample, X=x[3])
    rows = tmp_path / "rows.csv"
    header = "a,b,label,c,d,e\n"  # a label column is skipped, as predict.py skips it
    lines = [f"{r[0]},{r[1]},7,{r[2]},{r[3]},{r[4]}\n" for r in x[:4].tolist()]
    rows.write_text(header + "".join(lines))
    predictor = Predictor(project, ckpt)
    assert predictor.standardizer is not None  # the raw features differ by 10^4 in scale
    exported = exported_predictions(export_dir, sample, rows)
    assert_same(predictor.records(sample, 3) + predictor.records(rows, 3), exported)
    assert_same_top(predictor, sample, 0, exported[0])
    for row in range(4):
        assert_same_top(predictor, rows, row, exported[1 + row])
    assert predictor.predict(rows, 3).top == predictor.predict(sample).top
    with pytest.raises(DataError, match="no row 4"):
        predictor.predict(rows, 4)


def test_cli_predict_prints_what_predict_py_prints(tmp_path, capsys):
    path, x = table_project(tmp_path)
    project, ckpt, export_dir = trained_export(path, tmp_path)
    np.savez(tmp_path / "two.npz", X=x[:2])
    capsys.readouterr()
    args = ["predict", str(path), str(tmp_path / "two.npz"), "--checkpoint", str(ckpt)]
    assert main([*args, "--json", "--top-k", "2"]) == 0
    ours = json.loads(capsys.readouterr().out)
    assert_same(ours, exported_predictions(export_dir, tmp_path / "two.npz", k=2))
    assert main([*args, "--row", "1", "--top-k", "1"]) == 0
    line = capsys.readouterr().out.strip()
    (only,) = Predictor(project, ckpt).records(tmp_path / "two.npz", 1, row=1)
    assert (
        line
        == f"{tmp_path / 'two.npz'}[1]: {only['top_k'][0]['class']} (p={only['top_k'][0]['p']:.3f})"
    )
    assert main([*args[:2], str(tmp_path / "none.npz"), *args[3:]]) == 1
    assert "No file" in capsys.readouterr().err
