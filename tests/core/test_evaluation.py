"""Issue 8, Evaluate view (core): per-sample records, the CLI's counts, tokens, regression."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from train_helpers import tiny_project, write_project

from ftstudio.cli import main
from ftstudio.core import project as project_io
from ftstudio.core.training import evaluate_checkpoint
from ftstudio.core.training.evaluation import Evaluation, _fill_classification


def train(path, tmp_path, name="run"):
    out = tmp_path / name
    assert main(["train", str(path), "--out", str(out), "--quiet"]) == 0
    return out / "checkpoints" / "best.pt"


def test_counts_equal_the_cli_and_each_cell_lists_exactly_its_samples(tmp_path, capsys):
    path = tiny_project(tmp_path / "tiny.ftproj", samples=60, epochs=1)
    ckpt = train(path, tmp_path)
    capsys.readouterr()
    assert main(["evaluate", str(path), "--checkpoint", str(ckpt), "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    result = evaluate_checkpoint(project_io.load(path), ckpt, device="cpu")
    assert result.confusion == cli["confusion"]
    assert result.to_dict()["per_class"] == cli["per_class"]
    assert result.samples == cli["samples"] == len(result.true) == len(result.dataset) > 0
    n = len(result.classes)
    listed = []
    for t in range(n):
        for p in range(n):
            cell = result.cell(t, p)
            assert len(cell) == result.confusion[t][p]
            assert set(result.true[cell]) <= {t} and set(result.predicted[cell]) <= {p}
            listed += result.index[cell].tolist()
    assert sorted(listed) == list(range(result.samples))  # every sample in exactly one cell
    # each record's probability is its predicted class's softmax, from the same model
    x = torch.stack([result.dataset[i][0] for i in range(result.samples)])
    from ftstudio.core.training.evaluation import load_trained_model

    probs = load_trained_model(project_io.load(path), ckpt)(x).softmax(-1).detach()
    assert torch.equal(probs.argmax(-1), torch.as_tensor(result.predicted))
    assert np.allclose(probs.max(-1).values.numpy(), result.probability, atol=1e-6)
    assert result.accuracy == pytest.approx(cli["accuracy"])


def test_ignored_token_positions_are_left_out():
    result = Evaluation(task="token_classification", split="validation", samples=2, loss=0.0)
    out = torch.tensor([[[2.0, 0.0], [0.0, 2.0], [2.0, 0.0]], [[0.0, 2.0], [0.0, 2.0], [2.0, 0.0]]])
    y = torch.tensor([[0, 0, -100], [1, -100, 0]])  # -100: padding (cross_entropy's ignore)
    _fill_classification(result, out, y, 2)
    assert result.confusion == [[2, 1], [0, 1]]
    assert result.accuracy == pytest.approx(3 / 4)
    assert result.index.tolist() == [0, 0, 1, 1]
    assert result.position.tolist() == [0, 1, 0, 2]
    assert result.cell(0, 1).tolist() == [1]  # sample 0, token 1: true 0, predicted 1


def test_token_classification_counts_every_token(tmp_path):
    blocks = [
        {"id": "enc", "type": "mlp", "params": {"hidden": 8, "layers": 1}},
        {"id": "head", "type": "token_classifier", "params": {"classes": 10}},
    ]
    path = write_project(
        tmp_path / "seq.ftproj",
        blocks,
        [100, 128],
        {"kind": "token_classification", "num_classes": 10},
        {"source": "synthetic-sequence", "samples": 40, "val_fraction": 0.25},
        {"epochs": 1, "batch_size": 16, "device": "cpu"},
    )
    ckpt = train(path, tmp_path)
    result = evaluate_checkpoint(project_io.load(path), ckpt, device="cpu")
    assert sum(map(sum, result.confusion)) == len(result.true) == 10 * 100
    diagonal = sum(result.confusion[i][i] for i in range(10))
    assert result.accuracy == pytest.approx(diagonal / 1000)
    assert set(result.position.tolist()) == set(range(100))


def test_regression_pairs_mae_and_rmse(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4)).astype("float32")
    np.savez(tmp_path / "reg.npz", X=x, y=x.sum(1).astype("float32"))
    blocks = [
        {"id": "enc", "type": "mlp", "params": {"hidden": 8, "layers": 1}},
        {"id": "head", "type": "regression_head", "params": {"outputs": 1}},
    ]
    path = write_project(
        tmp_path / "reg.ftproj",
        blocks,
        [4],
        {"kind": "regression", "num_outputs": 1},
        {"source": "tensor-file", "path": "reg.npz", "val_fraction": 0.25},
        {"epochs": 1, "batch_size": 8, "device": "cpu"},
    )
    ckpt = train(path, tmp_path)
    result = evaluate_checkpoint(project_io.load(path), ckpt, device="cpu")
    error = result.predictions - result.targets
    assert result.predictions.shape == (10, 1)
    assert result.mae == pytest.approx(np.abs(error).mean())
    assert result.rmse == pytest.approx(np.sqrt((error**2).mean()))
    assert result.rmse >= result.mae > 0
    capsys.readouterr()
    assert main(["evaluate", str(path), "--checkpoint", str(ckpt)]) == 0
    assert f"RMSE      {result.rmse:.4f}" in capsys.readouterr().out
