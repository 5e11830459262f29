"""Issue 13: tensors without samples or dimensions, running out of memory, and names with
control characters each end in one clear line, never a traceback or a rewritten terminal."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from safetensors.torch import save_file
from train_helpers import mlp_classifier, write_project

from ftstudio.cli import main
from ftstudio.core import project as project_io
from ftstudio.core.data import files, load_data
from ftstudio.core.errors import DataError

CLS3 = {"kind": "classification", "num_classes": 3}


def tensor_project(tmp_path, name: str, x, y):
    target = tmp_path / name
    if name.endswith(".npz"):
        np.savez(target, X=np.asarray(x), y=np.asarray(y))
    elif name.endswith(".safetensors"):
        save_file({"X": torch.as_tensor(x), "y": torch.as_tensor(y)}, str(target))
    else:
        torch.save({"X": torch.as_tensor(x), "y": torch.as_tensor(y)}, target)
    return write_project(
        tmp_path / "p.ftproj", mlp_classifier(3), [4], CLS3,
        {"source": "tensor-file", "path": name},
    )  # fmt: skip


def cli_error(argv, capsys) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 1, err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("name", ["d.npz", "d.pt", "d.safetensors"])
def test_zero_samples(tmp_path, capsys, name):
    path = tensor_project(tmp_path, name, np.zeros((0, 4), np.float32), np.zeros(0, np.int64))
    err = cli_error(["train", str(path), "--quiet", "--out", str(tmp_path / "r")], capsys)
    assert "no samples" in err and "[0, 4]" in err


@pytest.mark.parametrize("name", ["d.npz", "d.pt"])
@pytest.mark.parametrize("which", ["X", "y"])
def test_zero_dimensions(tmp_path, capsys, name, which):
    x = np.float32(1.5) if which == "X" else np.zeros((5, 4), np.float32)
    y = np.int64(1) if which == "y" else np.zeros(5, np.int64)
    path = tensor_project(tmp_path, name, x, y)
    err = cli_error(["train", str(path), "--quiet", "--out", str(tmp_path / "r")], capsys)
    assert f"'{which}' is a single number (0 dimensions)" in err


class Payload:
    """Not a tensor: a weights-only load refuses it."""


def test_unreadable_pt_never_gives_torchs_advice(tmp_path):
    torch.save({"X": Payload(), "y": torch.zeros(2)}, tmp_path / "d.pt")
    path = write_project(
        tmp_path / "p.ftproj", mlp_classifier(3), [4], CLS3,
        {"source": "tensor-file", "path": "d.pt"},
    )  # fmt: skip
    with pytest.raises(DataError) as info:
        load_data(project_io.load(path))
    assert "weights_only" not in str(info.value) and "never unpickles code" in str(info.value)


def csv_project(tmp_path):
    (tmp_path / "t.csv").write_text("a,b,label\n" + "".join(f"{i},{i},{i % 3}\n" for i in range(9)))
    return write_project(
        tmp_path / "p.ftproj", mlp_classifier(3), [2], CLS3, {"source": "csv", "path": "t.csv"}
    )


def out_of_memory(*args, **kwargs):
    raise MemoryError


def test_memory_error_while_loading_data_is_a_data_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(files, "read_csv_rows", out_of_memory)
    path = csv_project(tmp_path)
    with pytest.raises(DataError, match="not enough memory to load the data"):
        load_data(project_io.load(path))
    err = cli_error(["train", str(path), "--quiet", "--out", str(tmp_path / "r")], capsys)
    assert "data source 'csv'" in err


@pytest.mark.parametrize("source", ["npz", "pt"])
def test_memory_error_in_a_tensor_reader_is_not_a_read_failure(tmp_path, monkeypatch, source):
    path = tensor_project(tmp_path, f"d.{source}", np.zeros((4, 4), np.float32), np.zeros(4))
    monkeypatch.setattr(np, "load", out_of_memory)
    monkeypatch.setattr(torch, "load", out_of_memory)
    with pytest.raises(DataError, match="not enough memory"):
        load_data(project_io.load(path))


def test_memory_error_anywhere_in_a_command_is_one_line(tmp_path, monkeypatch, capsys):
    import ftstudio.core.training as training

    monkeypatch.setattr(training, "train_project", out_of_memory)
    err = cli_error(["train", str(csv_project(tmp_path)), "--quiet"], capsys)
    assert "ran out of memory" in err


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("a\x1b[2Jb", "a\\x1b[2Jb"),
        ("x\ny", "x\\ny"),
        ("\u202eevil", "\\u202eevil"),
        ("bell\x07\x9b", "bell\\x07\\x9b"),
        ("héllo wörld", "héllo wörld"),
    ],
)
def test_printable_escapes_control_characters(raw, shown):
    from ftstudio.core.text import printable

    assert printable(raw) == shown


def test_printable_can_keep_a_messages_lines():
    from ftstudio.core.text import printable

    assert printable("one\ntwo\x1b", keep_newlines=True) == "one\ntwo\\x1b"


def test_cli_error_escapes_control_characters_in_names(tmp_path, capsys):
    path = write_project(
        tmp_path / "p.ftproj", mlp_classifier(3), [2], CLS3,
        {"source": "csv", "path": "evil\x1b[2J\x1b[H.csv"},
    )  # fmt: skip
    err = cli_error(["train", str(path), "--quiet", "--out", str(tmp_path / "r")], capsys)
    assert "\x1b" not in err and "evil\\x1b[2J\\x1b[H.csv" in err


def test_validate_escapes_block_and_project_names(tmp_path, capsys):
    blocks = mlp_classifier(3)
    blocks[0]["name"] = "enc\x1b[31m\nfake | row"
    path = write_project(
        tmp_path / "p\x1b]0;title\x07.ftproj", blocks, [2], CLS3, {"source": "digits"}
    )
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "enc\\x1b[31m\\nf" in out


def test_train_and_export_escape_control_characters_in_names(tmp_path, capsys):
    path = csv_project(tmp_path)
    project = project_io.load(path)
    project.name = "run\x1b[2J\x1b[Hname"
    project_io.save(project, path)
    assert main(["train", str(path), "--epochs", "1"]) == 0
    assert main(["export", str(path), "--out", str(tmp_path / "exp")]) == 0
    captured = capsys.readouterr()
    assert "\x1b" not in captured.out + captured.err
    assert "run\\x1b[2J\\x1b[Hname" in captured.out
