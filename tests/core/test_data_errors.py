"""Acceptance 4: every bad-data case gives its own clear message before any training step."""

from __future__ import annotations

import numpy as np
import pytest
from train_helpers import mlp_classifier, write_project

from ftstudio.cli import main
from ftstudio.core import project as project_io
from ftstudio.core.errors import DataError, TrainingError
from ftstudio.core.training import Callback, parse_training_config, train_project

CLS3 = {"kind": "classification", "num_classes": 3}


class NoSteps(Callback):
    def __init__(self):
        self.started = False

    def on_train_start(self, info):
        self.started = True


def fails_with(path, *fragments: str) -> str:
    spy = NoSteps()
    with pytest.raises(DataError) as info:
        train_project(project_io.load(path), callbacks=[spy], run_dir=path.parent / "run")
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    assert not spy.started  # raised before any training step
    assert "Traceback" not in message
    return message


def csv_project(tmp_path, rows: str, blocks=None, task=CLS3, shape=(2,), **data):
    (tmp_path / "t.csv").write_text(rows)
    return write_project(
        tmp_path / "p.ftproj",
        blocks or mlp_classifier(3),
        list(shape),
        task,
        {"source": "csv", "path": "t.csv", **data},
    )


ROWS = "a,b,label\n" + "".join(f"{i},{i % 3},{i % 3}\n" for i in range(12))


def test_missing_file(tmp_path):
    path = write_project(
        tmp_path / "p.ftproj", mlp_classifier(3), [2], CLS3, {"source": "csv", "path": "no.csv"}
    )
    fails_with(path, "data source 'csv'", "no.csv", "does not exist")


def test_missing_image_folder(tmp_path):
    path = write_project(
        tmp_path / "p.ftproj", mlp_classifier(3), [3, 8, 8], CLS3,
        {"source": "image-folder", "path": "nowhere"},
    )  # fmt: skip
    fails_with(path, "image-folder", "nowhere", "folder")


def test_missing_label_column(tmp_path):
    path = csv_project(tmp_path, ROWS, label_column="target")
    fails_with(path, "no column 'target'", "a, b, label")


def test_missing_feature_column(tmp_path):
    path = csv_project(tmp_path, ROWS, feature_columns=["a", "zz"])
    fails_with(path, "feature column(s) zz")


def test_label_out_of_range(tmp_path):
    path = csv_project(tmp_path, ROWS + "1,1,7\n")
    fails_with(path, "label 7", "out of range", "block 2 'Head'", "3 classes")


def test_class_count_mismatch_with_head(tmp_path):
    blocks = [
        {"id": "cnn", "type": "small_cnn", "params": {"width": 8, "stages": 1}},
        {"id": "head", "type": "linear_classifier", "name": "Head", "params": {"classes": 3}},
    ]
    path = write_project(
        tmp_path / "p.ftproj", blocks, [1, 8, 8], CLS3, {"source": "digits", "classes": "5-9"}
    )
    fails_with(path, "data source 'digits' has 5 classes", "block 2 'Head'", "have 3")


def test_sample_shape_does_not_fit_model_input(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.zeros((10, 7), np.float32), y=np.zeros(10, np.int64))
    path = write_project(
        tmp_path / "p.ftproj", mlp_classifier(3), [4], CLS3,
        {"source": "tensor-file", "path": "d.npz"},
    )  # fmt: skip
    fails_with(path, "tensor-file", "shape [7]", "block 1", "[4]")


def test_per_token_labels_shape(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.zeros((10, 5, 4), np.float32), y=np.zeros(10, np.int64))
    blocks = [{"id": "head", "type": "token_classifier", "params": {"classes": 3}}]
    path = write_project(
        tmp_path / "p.ftproj", blocks, [5, 4], {"kind": "token_classification", "num_classes": 3},
        {"source": "tensor-file", "path": "d.npz"},
    )  # fmt: skip
    fails_with(path, "one label per token")


def test_tensor_file_without_x_and_y(tmp_path):
    np.savez(tmp_path / "d.npz", features=np.zeros((4, 2), np.float32))
    path = write_project(
        tmp_path / "p.ftproj", mlp_classifier(3), [2], CLS3,
        {"source": "tensor-file", "path": "d.npz"},
    )  # fmt: skip
    fails_with(path, "'X' and 'y'", "features")


def test_cli_prints_the_message_and_exits_1(tmp_path, capsys):
    path = csv_project(tmp_path, ROWS + "1,1,9\n")
    assert main(["train", str(path), "--quiet", "--out", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: data source 'csv'") and "Traceback" not in err
    assert not (tmp_path / "r" / "checkpoints").exists()


@pytest.mark.parametrize(
    "raw, fragment",
    [
        ({"epochs": 0}, "training.epochs"),
        ({"lr": "fast"}, "training.lr: must be a number"),
        ({"optimizer": "lion"}, "adamw, adam, sgd"),
        ({"amp": True}, "training.amp"),
        ({"bogus": 1}, "training.bogus: unknown setting"),
    ],
)
def test_bad_training_settings(raw, fragment):
    with pytest.raises(TrainingError, match=fragment.replace("(", r"\(")):
        parse_training_config(raw)
