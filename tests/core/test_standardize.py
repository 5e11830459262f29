"""Issue 11 item 9: tabular features standardised (data.standardize), fitted on the training
split only, kept with the run and the checkpoint, and applied by the export to raw rows."""

from __future__ import annotations

import csv

import pytest
import torch
from export_helpers import run_script
from sklearn.datasets import load_wine
from train_helpers import mlp_classifier, summary, write_project

from ftstudio.cli import main
from ftstudio.core import project as project_io
from ftstudio.core import templates
from ftstudio.core.builder import build_model
from ftstudio.core.data import load_data, parse_data_config, split_indices
from ftstudio.core.data.scaling import apply
from ftstudio.core.errors import DataError
from ftstudio.core.training import evaluate_project, load_checkpoint

TRAINING = {"epochs": 4, "batch_size": 16, "lr": 0.01, "schedule": "none"}


def _write_wine(path, rows=None):
    """scikit-learn's wine: 13 features from ~0.1 (hue) to ~1680 (proline)."""
    wine = load_wine()
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*wine.feature_names, "label"])
        for x, y in list(zip(wine.data, wine.target, strict=True))[rows or slice(None)]:
            writer.writerow([*x, int(y)])


def _wine_project(folder, standardize: bool, **data):
    folder.mkdir(exist_ok=True)
    if not (folder / "wine.csv").exists():
        _write_wine(folder / "wine.csv")
    return write_project(
        folder / f"wine-{standardize}.ftproj",
        mlp_classifier(3, hidden=32),
        [13],
        {"kind": "classification", "num_classes": 3},
        {"source": "csv", "path": "wine.csv", "val_fraction": 0.3, "standardize": standardize,
         **data},
        TRAINING,
    )  # fmt: skip


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Wine trained with standardize on and off, once for the module."""
    root = tmp_path_factory.mktemp("wine")
    out = {}
    for flag in (True, False):
        path = _wine_project(root, flag)
        run = root / f"run-{flag}"
        assert main(["train", str(path), "--out", str(run), "--quiet", "--device", "cpu"]) == 0
        out[flag] = (path, run)
    return out


def test_standardize_on_beats_raw_wine_features(runs):
    on = summary(runs[True][1])["final"]["val_accuracy"]
    off = summary(runs[False][1])["final"]["val_accuracy"]
    assert on >= 0.9 and on - off >= 0.1, (on, off)


def test_raw_scales_warn_in_train_and_validate_when_off(tmp_path, capsys):
    path = _wine_project(tmp_path, False)
    assert main(["validate", str(path), "--data"]) == 0
    out = capsys.readouterr().out
    warning = next(line for line in out.splitlines() if "feature scales differ" in line)
    assert "'proline'" in warning and "standardize" in warning
    on = _wine_project(tmp_path, True)
    assert main(["validate", str(on), "--data"]) == 0
    assert "feature scales differ" not in capsys.readouterr().out
    data = load_data(project_io.load(path))
    assert any("feature scales differ" in w for w in data.warnings)  # train prints these


def test_statistics_come_from_the_training_split_only(tmp_path):
    project = project_io.load(_wine_project(tmp_path, True))
    bundle = load_data(project)
    stats = bundle.info["standardize"]
    wine = load_wine()
    x = torch.tensor(wine.data, dtype=torch.float32)
    config = parse_data_config(project.data)
    train, val = split_indices(len(x), config.val_fraction, config.seed, wine.target.tolist())
    assert torch.allclose(torch.tensor(stats["mean"]), x[train].double().mean(0).float(), rtol=1e-5)
    assert not torch.allclose(torch.tensor(stats["mean"]), x.double().mean(0).float(), rtol=1e-5)
    train_x = bundle.train.tensors[0]
    assert torch.allclose(train_x.mean(0), torch.zeros(13), atol=1e-4)
    assert torch.allclose(train_x.std(0, unbiased=False), torch.ones(13), atol=1e-4)
    assert torch.equal(bundle.val.tensors[0], apply(x[val], stats))


def test_run_and_checkpoint_keep_the_statistics_and_evaluate_uses_them(tmp_path, capsys):
    folder = tmp_path / "p"
    folder.mkdir()
    _write_wine(folder / "wine.csv", slice(0, 178, 2))
    _write_wine(folder / "val.csv", slice(1, 178, 2))
    path = _wine_project(folder, True, validation={"path": "val.csv"})
    run = tmp_path / "run"
    assert main(["train", str(path), "--out", str(run), "--quiet", "--device", "cpu"]) == 0
    saved = summary(run)["standardize"]
    assert saved is not None and len(saved["mean"]) == 13
    last = run / "checkpoints" / "last.pt"
    assert load_checkpoint(last)["standardize"] == saved
    final = summary(run)["final"]
    # the training file changes afterwards: a refit would scale validation rows differently
    rows = (folder / "wine.csv").read_text().splitlines()
    doubled = [rows[0]] + [
        ",".join([*(str(float(v) * 2) for v in r.split(",")[:-1]), r.split(",")[-1]])
        for r in rows[1:]
    ]
    (folder / "wine.csv").write_text("\n".join(doubled) + "\n")
    result = evaluate_project(project_io.load(path), last, device="cpu")
    assert result["loss"] == pytest.approx(final["val_loss"], rel=1e-5)
    resume = ["train", str(path), "--out", str(run), "--resume", str(last), "--quiet"]
    assert main([*resume, "--device", "cpu"]) == 0
    assert summary(run)["standardize"] == saved  # resume keeps the checkpoint's statistics

    off = project_io.load(path)
    off.data["standardize"] = False
    with pytest.raises(DataError, match="trained with data.standardize on"):
        evaluate_project(off, last, device="cpu")


def test_export_standardizes_raw_rows_like_the_app(runs, tmp_path):
    path, run = runs[True]
    project = project_io.load(path)
    export = tmp_path / "export"
    checkpoint = run / "checkpoints" / "best.pt"
    assert main(["export", str(path), "--out", str(export), "--checkpoint", str(checkpoint)]) == 0
    wine = load_wine()
    raw = tmp_path / "raw.csv"
    with raw.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*wine.feature_names, "label"])
        for x, y in zip(wine.data[:40], wine.target[:40], strict=True):
            writer.writerow([*x, int(y)])
    done = run_script(export, "predict.py", str(raw))
    assert done.returncode == 0, done.stderr[-2000:]
    exported = [line.split(": ", 1)[1] for line in done.stdout.splitlines()]

    model = build_model(project, load_weights=False)
    model.load_state_dict(load_checkpoint(checkpoint)["model"])
    stats = load_checkpoint(checkpoint)["standardize"]
    x = apply(torch.tensor(wine.data[:40], dtype=torch.float32), stats)
    with torch.no_grad():
        probs = model.eval()(x).softmax(-1)
    p, index = probs.max(-1)
    app = [f"{int(i)} (p={float(q):.3f})" for i, q in zip(index, p, strict=True)]
    assert exported == app
    assert sum(int(i) == t for i, t in zip(index, wine.target[:40], strict=True)) >= 36
    source = (export / "model.py").read_text()
    assert "STANDARDIZE = {'mean': [" in source


def test_new_projects_standardize_and_old_ones_keep_their_behaviour(tmp_path):
    assert parse_data_config({"source": "csv", "path": "t.csv"}).standardize is False
    for name in templates.list_templates():
        assert templates.load_template(name).data.get("standardize") is True, name
    path = tmp_path / "new.ftproj"
    assert main(["new", "--template", "digits-transfer", str(path)]) == 0
    assert project_io.load(path).data["standardize"] is True


def test_train_prints_the_scale_warning(tmp_path, capsys):
    path = _wine_project(tmp_path, False)
    run = tmp_path / "run"
    assert main(["train", str(path), "--out", str(run), "--quiet", "--epochs", "1"]) == 0
    assert "feature scales differ" in capsys.readouterr().err


def test_tensor_files_standardize_too_and_warn_when_off(tmp_path):
    import numpy as np

    gen = np.random.default_rng(0)
    x = gen.normal(size=(60, 3)) * np.array([1.0, 100.0, 10000.0])
    np.savez(tmp_path / "t.npz", X=x.astype(np.float32), y=(x[:, 0] > 0).astype(np.int64))
    for flag in (True, False):
        path = write_project(
            tmp_path / f"t-{flag}.ftproj",
            mlp_classifier(2),
            [3],
            {"kind": "classification", "num_classes": 2},
            {"source": "tensor-file", "path": "t.npz", "standardize": flag},
        )
        bundle = load_data(project_io.load(path))
        train_x = bundle.train.tensors[0]
        scaled = torch.allclose(train_x.std(0, unbiased=False), torch.ones(3), atol=1e-4)
        assert scaled is flag and ("standardize" in bundle.info) is flag
        warned = any("feature 2" in w and "feature 0" in w for w in bundle.warnings)
        assert warned is not flag
