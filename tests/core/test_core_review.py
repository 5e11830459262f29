"""Review fixes: user errors from worker processes, data checks, checkpoint messages."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from ftstudio.core.errors import DataError


class _Broken(Dataset):
    def __len__(self) -> int:
        return 2

    def __getitem__(self, index: int):
        raise DataError("Cannot read the image a.png: bad file. Replace or remove it.")


def test_error_raised_in_a_dataloader_worker_keeps_only_the_users_message():
    loader = DataLoader(_Broken(), batch_size=1, num_workers=1)
    with pytest.raises(DataError) as info:
        next(iter(loader))
    assert str(info.value) == "Cannot read the image a.png: bad file. Replace or remove it."
    assert "Traceback" not in str(info.value)


def test_plain_error_messages_are_left_alone():
    text = "Caught you. Original Traceback, not from a worker"
    assert str(DataError(text)) == text


def _csv_project(tmp_path, rows: str, name: str = "p", blocks=None, task=None, **data):
    from train_helpers import mlp_classifier, write_project

    (tmp_path / f"{name}.csv").write_text(rows)
    return write_project(
        tmp_path / f"{name}.ftproj",
        blocks or mlp_classifier(3),
        [2],
        task or {"kind": "classification", "num_classes": 3},
        {"source": "csv", "path": f"{name}.csv", **data},
        {"epochs": 1},
    )


ROWS = "a,b,label\n" + "".join(f"{i},{i % 3},{i % 3}\n" for i in range(12))


def test_a_checkpoint_from_another_model_names_the_keys_that_do_not_fit(tmp_path, capsys):
    from train_helpers import mlp_classifier

    from ftstudio.cli import main

    trained = _csv_project(tmp_path, ROWS, "a")
    assert main(["train", str(trained), "--quiet", "--out", str(tmp_path / "run")]) == 0
    other = _csv_project(tmp_path, ROWS, "b", blocks=mlp_classifier(3, hidden=8))
    capsys.readouterr()
    code = main(["evaluate", str(other), "--checkpoint", str(tmp_path / "run/checkpoints/last.pt")])
    err = capsys.readouterr().err
    assert code == 1
    assert "wrong shape" in err and "encoder." in err and "(file (16, 2), model (8, 2))" in err
    assert "Use it with the project it was trained from" in err
    code = main(
        ["train", str(other), "--quiet", "--resume", str(tmp_path / "run/checkpoints/last.pt")]
    )
    err = capsys.readouterr().err
    assert code == 1 and "wrong shape" in err


def _load(path):
    from ftstudio.core import project as project_io
    from ftstudio.core.data import load_data

    return load_data(project_io.load(path))


def test_csv_labels_given_as_names_become_classes_in_sorted_order(tmp_path):
    names = ["dog", "cat", "émeu"]
    rows = "a,b,label\n" + "".join(f"{i},{i % 3},{names[i % 3]}\n" for i in range(12))
    data = _load(_csv_project(tmp_path, rows, val_fraction=0.25))
    assert data.class_names == ["cat", "dog", "émeu"]
    x, y = data.train.tensors
    assert y.dtype == torch.long
    assert torch.equal(y, torch.tensor([[1, 0, 2][int(b)] for b in x[:, 1]]))


def test_a_validation_csv_maps_class_names_like_the_training_csv(tmp_path):
    (tmp_path / "val.csv").write_text("a,b,label\n1,1,dog\n2,2,cat\n")
    rows = "a,b,label\n" + "".join(f"{i},0,{['cat', 'dog', 'emu'][i % 3]}\n" for i in range(6))
    data = _load(_csv_project(tmp_path, rows, validation={"path": "val.csv"}))
    assert data.val.tensors[1].tolist() == [1, 0]
    (tmp_path / "val.csv").write_text("a,b,label\n1,1,dog\n2,2,wolf\n")
    with pytest.raises(
        DataError, match=r"'wolf' in column 'label' \(first at line 3\) are not among the training"
    ):
        _load(tmp_path / "p.ftproj")


def test_an_empty_or_text_feature_cell_names_its_line_and_column(tmp_path):
    with pytest.raises(DataError, match=r"line 3, column 'b' is empty\. Feature columns"):
        _load(_csv_project(tmp_path, "a,b,label\n1,2,0\n3,,1\n"))
    with pytest.raises(DataError, match=r"line 2, column 'a' is not a number"):
        _load(_csv_project(tmp_path, "a,b,label\nx,2,0\n3,4,1\n"))


def test_nan_features_or_targets_are_refused_before_training(tmp_path):
    import numpy as np
    from train_helpers import write_project

    with pytest.raises(DataError, match="NaN or infinite values, the first at line 3"):
        _load(_csv_project(tmp_path, "a,b,label\n1,2,0\n3,nan,1\n4,inf,1\n"))
    x = np.zeros((5, 2), np.float32)
    y = np.arange(5, dtype=np.float32)
    y[3] = np.nan
    np.savez(tmp_path / "t.npz", X=x, y=y)
    path = write_project(
        tmp_path / "r.ftproj",
        [{"id": "out", "type": "linear_projection", "params": {"features": 1}}],
        [2],
        {"kind": "regression", "num_outputs": 1},
        {"source": "tensor-file", "path": "t.npz"},
    )
    with pytest.raises(DataError, match="NaN or infinite targets, the first at sample 3"):
        _load(path)


def test_a_monitor_the_task_never_reports_is_refused_not_silently_inverted(tmp_path):
    from ftstudio.core import project as project_io
    from ftstudio.core.errors import TrainingError
    from ftstudio.core.training import train_project

    rows = "a,b,label\n" + "".join(f"{i},{i % 3},{i * 0.5}\n" for i in range(12))
    path = _csv_project(
        tmp_path,
        rows,
        blocks=[{"id": "out", "type": "linear_projection", "params": {"features": 1}}],
        task={"kind": "regression", "num_outputs": 1},
    )
    project = project_io.load(path)
    with pytest.raises(TrainingError, match="monitor is 'val_accuracy', but a regression run"):
        train_project(project, {"monitor": "val_accuracy"}, run_dir=tmp_path / "run")
    result = train_project(project, {"monitor": "val_mae", "epochs": 2}, run_dir=tmp_path / "ok")
    assert result.summary["monitor"] == "val_mae"


def _wide_image(path):
    """A 64x32 image whose left eighth is white: a centre crop leaves it out."""
    import numpy as np
    from PIL import Image

    pixels = np.zeros((32, 64, 3), np.uint8)
    pixels[:, :8] = 255
    Image.fromarray(pixels).save(path)


PREP = {"input_shape": [3, 16, 16], "resize": 16, "mean": [0, 0, 0], "std": [1, 1, 1]}


def test_pretrained_preprocessing_centre_crops_like_torchvision_in_training_and_predict_py(
    tmp_path, monkeypatch
):
    import importlib
    import sys

    from PIL import Image

    from ftstudio.core.data.images import make_transform
    from ftstudio.core.export.predict_template import PREDICT_PY

    _wide_image(tmp_path / "wide.png")
    with Image.open(tmp_path / "wide.png") as img:
        trained = make_transform(PREP, train=False, flip=False, random_crop=False)(
            img.convert("RGB")
        )
    assert trained.shape == (3, 16, 16)
    assert float(trained.max()) < 0.05  # the white border was cropped away, not squashed in

    (tmp_path / "model.py").write_text(
        f"CLASS_NAMES = None\nINPUT_SHAPE = (3, 16, 16)\nPREPROCESSING = {PREP!r}\n"
        "TASK = 'classification'\ndef load_model(*a, **k):\n    raise NotImplementedError\n"
        "def standardize(x):\n    return x\n"
    )
    (tmp_path / "predict.py").write_text(PREDICT_PY)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("model", "predict"):
        sys.modules.pop(name, None)
    try:
        predict = importlib.import_module("predict")
        exported = predict.read_image(tmp_path / "wide.png")
    finally:
        for name in ("model", "predict"):
            sys.modules.pop(name, None)
    assert torch.allclose(exported, trained)
