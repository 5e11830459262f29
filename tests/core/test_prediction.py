"""Issue 8, Try a sample (core): top-k of a checkpoint for one file equals the exported
predict.py's on the same file (run in a subprocess without ftstudio)."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest
from export_helpers import BLOCKER, run_python
from PIL import Image
from train_helpers import write_project

from ftstudio.cli import main
from ftstudio.core import project as project_io
from ftstudio.core.errors import DataError
from ftstudio.core.export import export_project
from ftstudio.core.prediction import Predictor

EXPORTED_TOP_K = BLOCKER + textwrap.dedent(
    """
    import json
    from pathlib import Path
    import torch

    sys.path.insert(0, ".")
    import predict

    model = predict.load_model("model.safetensors", "cpu")
    out = {}
    for name in sys.argv[1:]:
        with torch.no_grad():
            probs = model(predict.read(Path(name))).float().softmax(-1)
        values, index = probs.topk(min(3, probs.shape[-1]))
        out[name] = [[index.tolist(), values.tolist()] for index, values in zip(index, values)]
    print(json.dumps(out))
    predict.main(sys.argv[1:])  # its own printed lines follow the JSON line
    """
)


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


def exported_top_k(export_dir, files):
    """(top-3 per file and row from predict.py's own reading, predict.py's printed lines)."""
    result = run_python(EXPORTED_TOP_K, *map(str, files), cwd=export_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    first, *printed = result.stdout.splitlines()
    return json.loads(first), printed


def assert_same_top(predictor, file, row, exported):
    ours = predictor.predict(file, row, k=3).top
    indices, probs = exported
    assert [name for name, _ in ours] == [predictor.class_names[i] for i in indices]
    assert [p for _, p in ours] == pytest.approx(probs, abs=1e-5)


def test_image_top_k_equals_exported_predict_py(tmp_path):
    project, ckpt, export_dir = trained_export(image_project(tmp_path), tmp_path)
    photo = tmp_path / "photo.jpg"  # another size and format than the training images
    pixels = np.random.default_rng(5).integers(0, 256, size=(30, 20, 3)).astype("uint8")
    Image.fromarray(pixels).save(photo)
    predictor = Predictor(project, ckpt)
    assert predictor.class_names == ["cats", "dogs", "owls"]
    exported, printed = exported_top_k(export_dir, [photo])
    assert_same_top(predictor, photo, 0, exported[str(photo)][0])
    name, p = predictor.predict(photo).top[0]
    assert printed == [f"{photo}: {name} (p={p:.3f})"]


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
    exported, _ = exported_top_k(export_dir, [sample, rows])
    assert_same_top(predictor, sample, 0, exported[str(sample)][0])
    for row in range(4):
        assert_same_top(predictor, rows, row, exported[str(rows)][row])
    assert predictor.predict(rows, 3).top == predictor.predict(sample).top
    with pytest.raises(DataError, match="no row 4"):
        predictor.predict(rows, 4)


def test_cli_predict_prints_the_top_k(tmp_path, capsys):
    path, x = table_project(tmp_path)
    project, ckpt, _ = trained_export(path, tmp_path)
    np.savez(tmp_path / "one.npz", X=x[0])
    capsys.readouterr()
    args = ["predict", str(path), str(tmp_path / "one.npz"), "--checkpoint", str(ckpt)]
    assert main([*args, "--json", "--top-k", "2"]) == 0
    top = json.loads(capsys.readouterr().out)["top"]
    expected = Predictor(project, ckpt).predict(tmp_path / "one.npz", k=2).top
    assert [tuple(t) for t in top] == expected
    assert main([*args[:2], str(tmp_path / "none.npz"), *args[3:]]) == 1
    assert "No file" in capsys.readouterr().err
