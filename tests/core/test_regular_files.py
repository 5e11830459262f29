"""Issue 13: a folder, a named pipe or a device given as a data, weights or checkpoint file is
refused as "not a regular file" without being opened (a pipe would block, /dev/zero never ends)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from train_helpers import mlp_classifier, write_project

from ftstudio.cli import main
from ftstudio.core import blocks
from ftstudio.core import project as project_io
from ftstudio.core.data import load_data
from ftstudio.core.errors import DataError, FTStudioError, WeightsUnavailableError
from ftstudio.core.training.checkpoint import load_checkpoint
from ftstudio.core.weights import load_state_dict_file

CLS3 = {"kind": "classification", "num_classes": 3}
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
needs_dev_zero = pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")


def special(kind: str, tmp_path: Path, name: str) -> str:
    """A path of ``kind`` (fifo, folder, device) that ends like ``name``."""
    if kind == "device":
        return "/dev/zero"
    target = tmp_path / name
    if kind == "fifo":
        os.mkfifo(target)
    else:
        target.mkdir()
    return str(target)


KINDS = [
    pytest.param("fifo", "a named pipe", marks=needs_fifo),
    pytest.param("device", "a character device", marks=needs_dev_zero),
    pytest.param("folder", "a folder", id="folder"),
]


@pytest.mark.parametrize("kind, said", KINDS)
def test_helper_refuses_without_opening(tmp_path, kind, said):
    from ftstudio.core.files import require_regular_file

    path = special(kind, tmp_path, "x.bin")
    with pytest.raises(FTStudioError) as info:
        require_regular_file(path, "Thing", hint="Pick a file.")
    message = str(info.value)
    assert message.startswith("Thing: ") and "is not a regular file" in message
    assert said in message and message.endswith("Pick a file.")


def test_helper_accepts_a_file_and_a_link_to_one(tmp_path):
    from ftstudio.core.files import require_regular_file

    target = tmp_path / "a.csv"
    target.write_text("x")
    (tmp_path / "link.csv").symlink_to(target)
    assert require_regular_file(tmp_path / "link.csv", "Thing") == tmp_path / "link.csv"
    with pytest.raises(FTStudioError, match="does not exist"):
        require_regular_file(tmp_path / "none.csv", "Thing")


@pytest.mark.parametrize("kind, said", KINDS)
@pytest.mark.parametrize("source, name", [("csv", "d.csv"), ("tensor-file", "d.npz")])
def test_data_file_that_is_not_regular(tmp_path, kind, said, source, name):
    path = special(kind, tmp_path, name)
    project = write_project(
        tmp_path / "p.ftproj", mlp_classifier(3), [2], CLS3, {"source": source, "path": path}
    )
    with pytest.raises(DataError, match=f"not a regular file \\(it is {said}"):
        load_data(project_io.load(project))


@needs_fifo
def test_validation_data_file_that_is_a_pipe(tmp_path):
    (tmp_path / "t.csv").write_text("a,b,label\n" + "".join(f"{i},{i},{i % 3}\n" for i in range(9)))
    os.mkfifo(tmp_path / "v.csv")
    project = write_project(
        tmp_path / "p.ftproj", mlp_classifier(3), [2], CLS3,
        {"source": "csv", "path": "t.csv", "validation": {"path": "v.csv"}},
    )  # fmt: skip
    with pytest.raises(DataError, match="v.csv is not a regular file"):
        load_data(project_io.load(project))


@pytest.mark.parametrize("kind, said", KINDS)
def test_weights_file_that_is_not_regular(tmp_path, kind, said):
    path = special(kind, tmp_path, "w.safetensors")
    with pytest.raises(WeightsUnavailableError, match=f"not a regular file \\(it is {said}"):
        load_state_dict_file(path)


@pytest.mark.parametrize("kind, said", KINDS)
def test_block_weights_file_that_is_not_regular(tmp_path, kind, said):
    path = special(kind, tmp_path, "w.pt")
    block_type = blocks.get("backbone_from_file")
    params = block_type.resolve({"path": path, "architecture": "resnet18"})
    with pytest.raises(WeightsUnavailableError, match="not a regular file"):
        block_type.make(params, (3, 32, 32), load_weights=True)


@pytest.mark.parametrize("kind, said", KINDS)
def test_checkpoint_that_is_not_regular(tmp_path, kind, said):
    path = special(kind, tmp_path, "last.pt")
    with pytest.raises(FTStudioError, match=f"not a regular file \\(it is {said}"):
        load_checkpoint(path)


@needs_fifo
def test_cli_evaluate_with_a_pipe_as_checkpoint(tmp_path, capsys):
    (tmp_path / "t.csv").write_text("a,b,label\n" + "".join(f"{i},{i},{i % 3}\n" for i in range(9)))
    project = write_project(
        tmp_path / "p.ftproj", mlp_classifier(3), [2], CLS3, {"source": "csv", "path": "t.csv"}
    )
    os.mkfifo(tmp_path / "last.pt")
    code = main(["evaluate", str(project), "--checkpoint", str(tmp_path / "last.pt")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "not a regular file" in err
