"""train.py keeps frozen blocks frozen; exports carry trained weights; CLI and folder rules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import torch
from export_helpers import run_script
from safetensors import safe_open
from safetensors.torch import load_file
from train_helpers import digits_project

from ftstudio.cli import main
from ftstudio.core.blocks import layers
from ftstudio.core.export import ExportError, export_project
from ftstudio.core.templates import load_template
from ftstudio.core.training.checkpoint import load_checkpoint

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def test_layers_module_has_no_ftstudio_imports_and_is_copied_verbatim(tmp_path):
    source = Path(layers.__file__).read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        assert not any(n.split(".")[0] == "ftstudio" for n in names), names
    export_project(load_template("seed-sequence"), tmp_path / "out")
    assert (tmp_path / "out" / "layers.py").read_text(encoding="utf-8") == source


@pytest.mark.parametrize(
    ("template", "frozen_prefix", "trained_key"),
    [
        ("digits-transfer", "backbone.", "classifier.weight"),
        ("seed-sequence", "encoder.", "attention.qkv.weight"),
    ],
)
def test_train_script_trains_the_project_and_keeps_frozen_blocks_bit_identical(
    tmp_path, template, frozen_prefix, trained_key
):
    """Issue 9, acceptance 2: `python train.py --epochs 1` runs where ftstudio cannot be
    imported, on the project's own data (no data argument)."""
    folder = tmp_path / "out"
    export_project(load_template(template), folder)
    run = tmp_path / "run"
    done = run_script(folder, "train.py", "--epochs", "1", "--out", str(run))
    assert done.returncode == 0, done.stderr
    assert "epoch 1/1: train_loss" in done.stdout and "val_accuracy" in done.stdout
    assert (run / "checkpoints" / "last.pt").is_file() and (run / "summary.json").is_file()
    before = load_file(str(folder / "model.safetensors"))
    after = load_file(str(run / "model.safetensors"))
    assert before.keys() == after.keys()
    frozen = [k for k in before if k.startswith(frozen_prefix)]
    assert frozen  # weights and, for the CNN, BatchNorm running statistics
    for key in frozen:
        assert torch.equal(before[key], after[key]), key
    assert not torch.equal(before[trained_key], after[trained_key])
    metadata = []  # class names etc., which predict.py reads from the weights it is given
    for path in (folder / "model.safetensors", run / "model.safetensors"):
        with safe_open(str(path), "pt") as handle:
            metadata.append(handle.metadata())
    assert "class_names" in metadata[0] and metadata[1] == metadata[0]


def test_export_after_training_carries_the_checkpoint_weights(tmp_path, capsys):
    project = digits_project(tmp_path / "digits.ftproj")
    run = tmp_path / "run"
    assert main(["train", str(project), "--epochs", "1", "--out", str(run), "--quiet"]) == 0
    ckpt = run / "checkpoints" / "last.pt"
    out = tmp_path / "export"
    assert main(["export", str(project), "--out", str(out), "--checkpoint", str(ckpt)]) == 0
    printed = capsys.readouterr().out
    assert "wrote model.py" in printed and "wrote model.safetensors" in printed
    trained = load_checkpoint(ckpt)["model"]
    exported = load_file(str(out / "model.safetensors"))
    assert sorted(exported) == sorted(trained)
    assert all(torch.equal(exported[k], trained[k]) for k in trained)


def test_cli_user_errors_exit_1(tmp_path, capsys):
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    project = tmp_path / "p.ftproj"
    assert main(["new", "--template", "seed-sequence", str(project)]) == 0
    assert main(["export", str(project), "--out", str(busy)]) == 1
    assert "not an earlier FT Studio export" in capsys.readouterr().err
    assert (busy / "notes.txt").read_text() == "mine" and not (busy / "model.py").exists()
    assert main(["export", str(tmp_path / "missing.ftproj"), "--out", str(tmp_path / "o")]) == 1
    assert (
        main(
            [
                "export",
                str(project),
                "--out",
                str(tmp_path / "o"),
                "--checkpoint",
                str(tmp_path / "nope.pt"),
            ]
        )
        == 1
    )
    assert "not found" in capsys.readouterr().err


def test_re_export_replaces_an_earlier_export_and_drops_stale_files_only_with_overwrite(
    tmp_path,
):
    project = load_template("seed-sequence")
    out = tmp_path / "out"
    first = export_project(project, out, formats=("torchscript",))
    assert (out / "model.ts").is_file() and first.mode == "code"
    again = export_project(project, out)  # an earlier export: no overwrite needed
    assert (out / "model.ts").is_file()  # nothing is deleted without overwrite
    assert any("Kept model.ts" in note for note in again.notes)
    last = export_project(project, out, overwrite=True)
    assert not (out / "model.ts").exists()
    assert any("Removed model.ts" in note for note in last.notes)
    with pytest.raises(ExportError, match="Unknown export format 'tflite'"):
        export_project(project, out, formats=("tflite",))


def test_onnx_is_written_or_named_as_not_written(tmp_path):
    pytest.importorskip("onnx", reason="without onnx, test_export_failures covers --onnx")
    result = export_project(load_template("seed-sequence"), tmp_path / "out", formats=("onnx",))
    assert (tmp_path / "out" / "model.onnx").is_file() or "onnx" in result.skipped
    assert (tmp_path / "out" / "model.py").is_file()
