"""Review fixes: user errors from worker processes, data checks, checkpoint messages."""

from __future__ import annotations

import pytest
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
