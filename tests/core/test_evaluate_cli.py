"""`ftstudio evaluate`: metrics, per-class table and confusion matrix of a checkpoint."""

from __future__ import annotations

import json

from train_helpers import digits_project

from ftstudio.cli import main


def test_evaluate_json_and_table(tmp_path, capsys):
    path = digits_project(tmp_path / "d.ftproj", epochs=1)
    assert main(["train", str(path), "--out", str(tmp_path / "run"), "--quiet"]) == 0
    ckpt = tmp_path / "run" / "checkpoints" / "best.pt"
    capsys.readouterr()
    assert main(["evaluate", str(path), "--checkpoint", str(ckpt), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["split"] == "validation"
    assert sum(map(sum, result["confusion"])) == result["samples"]
    assert len(result["per_class"]) == 5
    correct = sum(result["confusion"][i][i] for i in range(5))
    assert abs(correct / result["samples"] - result["accuracy"]) < 1e-9
    assert main(["evaluate", str(path), "--checkpoint", str(ckpt)]) == 0
    text = capsys.readouterr().out
    assert "precision" in text and "confusion matrix" in text


def test_evaluate_missing_checkpoint_is_a_clear_error(tmp_path, capsys):
    path = digits_project(tmp_path / "d.ftproj")
    assert main(["evaluate", str(path), "--checkpoint", str(tmp_path / "nope.pt")]) == 1
    assert "No checkpoint at" in capsys.readouterr().err
