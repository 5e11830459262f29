"""The exported train.py reproduces the project's training (issue 9, acceptance 2): the same
data and split, optimizer groups with lr_scale, schedule, freezing, clipping, smoothing and
early stopping as `ftstudio train`; --resume; DistributedDataParallel under torchrun."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from export_helpers import BLOCKER, run_python, run_script
from safetensors.torch import load_file
from test_export_ruff import CONFIG, ruff_command
from train_helpers import write_project

from ftstudio.cli import main
from ftstudio.core import project as project_io
from ftstudio.core.builder import build_model, parameter_groups
from ftstudio.core.data import load_data
from ftstudio.core.export import export_project
from ftstudio.core.templates import load_template

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

# imports train.py from the export folder (cwd) without running it
IMPORT_TRAIN = BLOCKER + textwrap.dedent(
    """
    import runpy
    import torch
    train = runpy.run_path("train.py")
    """
)


def settings_project(tmp_path: Path, **training) -> Path:
    """A tensor-file project using many settings: standardize, dropout, lr_scale 0.5, a step
    schedule with warmup, clipping, label smoothing, val_accuracy as monitor."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 6)).astype("float32") * np.array([1, 10, 100, 1, 1, 1], "float32")
    y = (x[:, 0] > 0).astype("int64") + (x[:, 3] > 0.5).astype("int64")
    np.savez(tmp_path / "data.npz", X=x, y=y)
    blocks = [
        {"id": "encoder", "type": "mlp", "params": {"hidden": 8, "layers": 1, "dropout": 0.3}},
        {"id": "head", "type": "linear_classifier", "params": {"classes": 3}, "lr_scale": 0.5},
    ]
    settings = {
        "epochs": 3,
        "batch_size": 8,
        "lr": 0.01,
        "schedule": "step",
        "step_epochs": 1,
        "step_gamma": 0.5,
        "warmup_epochs": 0.5,
        "grad_clip": 0.5,
        "label_smoothing": 0.1,
        "monitor": "val_accuracy",
        "device": "cpu",
        **training,
    }
    data = {"source": "tensor-file", "path": "data.npz", "val_fraction": 0.25, "standardize": True}
    task = {"kind": "classification", "num_classes": 3}
    return write_project(tmp_path / "settings.ftproj", blocks, [6], task, data, settings)


def exported(project_path: Path, folder: Path) -> Path:
    export_project(project_io.load(project_path), folder)
    return folder


def test_non_zero_lr_scale_reaches_the_exported_optimizer_groups(tmp_path):
    project_path = settings_project(tmp_path)
    folder = exported(project_path, tmp_path / "export")
    code = IMPORT_TRAIN + textwrap.dedent(
        """
        model = train["load_model"]("model.safetensors")
        train["freeze"](model)
        optimizer = train["make_optimizer"](model, 0.01)
        print([group["lr"] for group in optimizer.param_groups])
        """
    )
    done = run_python(code, cwd=folder)
    assert done.returncode == 0, done.stderr
    project = project_io.load(project_path)
    app = [group["lr"] for group in parameter_groups(build_model(project), project, 0.01)]
    assert app == [0.01, 0.005]
    assert done.stdout.strip() == str(app)


def test_train_script_matches_ftstudio_train_bit_for_bit_with_many_settings(tmp_path):
    """Same final weights and metrics as the app, with early stopping that triggers."""
    project_path = settings_project(tmp_path, epochs=8, early_stopping_patience=1)
    folder = exported(project_path, tmp_path / "export")
    app_run = tmp_path / "app-run"
    assert main(["train", str(project_path), "--out", str(app_run), "--quiet"]) == 0
    done = run_script(folder, "train.py", "--out", str(tmp_path / "run"))
    assert done.returncode == 0, done.stderr
    app = json.loads((app_run / "summary.json").read_text())
    ours = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert app["status"] == "early_stopped" and "early stop" in done.stdout
    assert ours["final"]["epoch"] == app["epochs_completed"] < 8
    for key in ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr"):
        assert ours["final"][key] == app["final"][key], key
    assert ours["standardize"] == app["standardize"]
    trained = torch.load(app_run / "checkpoints" / "last.pt", weights_only=True)["model"]
    weights = load_file(str(tmp_path / "run" / "model.safetensors"))
    assert weights.keys() == trained.keys()
    assert all(torch.equal(weights[k], trained[k]) for k in trained)


def test_resume_continues_exactly_where_the_checkpoint_stopped(tmp_path):
    folder = exported(settings_project(tmp_path), tmp_path / "export")
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    assert run_script(folder, "train.py", "--out", str(straight)).returncode == 0
    first = run_script(folder, "train.py", "--epochs", "2", "--out", str(resumed))
    assert first.returncode == 0, first.stderr
    checkpoint = resumed / "checkpoints" / "last.pt"
    assert torch.load(checkpoint, weights_only=True)["epoch"] == 2
    done = run_script(folder, "train.py", "--out", str(resumed), "--resume", str(checkpoint))
    assert done.returncode == 0, done.stderr
    assert "epoch 3/3" in done.stdout and "epoch 1/3" not in done.stdout
    assert not list(resumed.rglob("*.tmp"))  # atomic writes leave no temporary file
    a = load_file(str(straight / "model.safetensors"))
    b = load_file(str(resumed / "model.safetensors"))
    assert all(torch.equal(a[k], b[k]) for k in a)
    final = [json.loads((d / "summary.json").read_text())["final"] for d in (straight, resumed)]
    assert final[0] == final[1]


def _image_project(tmp_path: Path) -> Path:
    from PIL import Image

    rng = np.random.default_rng(0)
    for name in ("ants", "bees"):
        (tmp_path / "images" / name).mkdir(parents=True)
        for i in range(4):
            pixels = rng.integers(0, 255, (10, 12, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(tmp_path / "images" / name / f"{i}.png")
    blocks = [
        {"id": "cnn", "type": "small_cnn", "params": {"width": 4, "stages": 1}},
        {"id": "head", "type": "linear_classifier", "params": {"classes": 2}},
    ]
    data = {"source": "image-folder", "path": "images", "val_fraction": 0.25, "flip": True}
    task = {"kind": "classification", "num_classes": 2}
    return write_project(tmp_path / "img.ftproj", blocks, [3, 8, 8], task, data)


def _csv_project(tmp_path: Path) -> Path:
    rng = np.random.default_rng(1)
    lines = ["a,kind,b,c"] + [
        f"{rng.normal():.5f},{['cat', 'dog', 'eel'][i % 3]},{rng.normal() * 50:.3f},{i}"
        for i in range(30)
    ]
    (tmp_path / "rows.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    blocks = [
        {"id": "encoder", "type": "mlp", "params": {"hidden": 8, "layers": 1}},
        {"id": "head", "type": "linear_classifier", "params": {"classes": 3}},
    ]
    data = {"source": "csv", "path": "rows.csv", "label_column": "kind", "standardize": True}
    task = {"kind": "classification", "num_classes": 3}
    return write_project(tmp_path / "rows.ftproj", blocks, [3], task, data)


def test_exported_data_sources_give_the_apps_samples_and_split(tmp_path):
    """csv (class names, standardized) and an image folder read by train.py alone: the same
    samples, labels and split as ftstudio's load_data; --data reads another file."""
    paths = {"csv": _csv_project(tmp_path), "images": _image_project(tmp_path)}
    for name, path in paths.items():
        exported(path, tmp_path / f"{name}-export")
    code = IMPORT_TRAIN + textwrap.dedent(
        """
        args = train["parse_args"]([])
        if "csv" in sys.argv[1]:
            tr, va, _ = train["make_datasets"](args, None)
            torch.save({"train": tr.tensors, "val": va.tensors}, sys.argv[2])
        else:
            tr, va = train["make_datasets"](args)
            val = [va[i][0] for i in range(len(va))]
            torch.save({"train": tr.items, "val": va.items, "x": torch.stack(val)}, sys.argv[2])
        """
    )
    for name, path in paths.items():
        out = tmp_path / f"{name}.pt"
        done = run_python(code, name, str(out), cwd=tmp_path / f"{name}-export")
        assert done.returncode == 0, done.stderr
        ours = torch.load(out, weights_only=True)
        app = load_data(project_io.load(path))
        if name == "csv":
            wanted = app.train.tensors + app.val.tensors
            for got, want in zip(ours["train"] + ours["val"], wanted, strict=True):
                assert torch.equal(got, want)
        else:
            assert [tuple(i) for i in ours["train"]] == app.train.items
            assert [tuple(i) for i in ours["val"]] == app.val.items
            val = torch.stack([app.val[i][0] for i in range(len(app.val))])
            assert torch.equal(ours["x"], val)
    other = tmp_path / "other.csv"
    other.write_text("a,kind,b,c\n1,cat,2,3\n4,dog,5,6\n7,eel,8,9\n1,cat,1,1\n", encoding="utf-8")
    code = (
        IMPORT_TRAIN
        + "print(len(train['make_datasets'](train['parse_args'](sys.argv[1:]), None)[0]))"
    )
    done = run_python(code, "--data", str(other), cwd=tmp_path / "csv-export")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "3"  # 4 rows, one of each class but 'cat' held out


@pytest.mark.slow
def test_train_script_reaches_the_apps_validation_accuracy_on_digits_transfer(tmp_path):
    """Issue 9, acceptance 2: trained to the end, within 0.5 points of `ftstudio train` (in
    fact the same run: same initial weights, batches and updates)."""
    project_path = tmp_path / "digits.ftproj"
    assert main(["new", "--template", "digits-transfer", str(project_path)]) == 0
    app_run = tmp_path / "app-run"
    args = ["train", str(project_path), "--out", str(app_run), "--device", "cpu", "--quiet"]
    assert main(args) == 0
    folder = exported(project_path, tmp_path / "export")
    done = run_script(folder, "train.py", "--device", "cpu", "--out", str(tmp_path / "run"))
    assert done.returncode == 0, done.stderr
    app = json.loads((app_run / "summary.json").read_text())["final"]
    ours = json.loads((tmp_path / "run" / "summary.json").read_text())["final"]
    assert ours["epoch"] == app["epoch"] == 15
    assert app["val_accuracy"] > 0.9
    assert abs(ours["val_accuracy"] - app["val_accuracy"]) <= 0.005


TORCHRUN_WORKER = BLOCKER + textwrap.dedent(
    """
    import os, runpy
    import torch

    train = runpy.run_path("train.py")
    model = train["run"](train["parse_args"](sys.argv[2:]))
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    torch.save(state, os.path.join(sys.argv[1], f"rank{os.environ['RANK']}.pt"))
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("template", ["digits-transfer", "seed-sequence"])
def test_torchrun_two_processes_gloo_end_with_the_same_weights(tmp_path, template):
    """`torchrun --standalone --nproc-per-node 2 train.py --epochs 1` (Gloo on CPU), ftstudio
    not importable: every rank ends with the weights rank 0 saved."""
    if shutil.which("torchrun") is None:
        pytest.skip("torchrun is not installed")
    folder = tmp_path / "export"
    export_project(load_template(template), folder)
    (folder / "worker.py").write_text(TORCHRUN_WORKER, encoding="utf-8")
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2"]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}
    done = subprocess.run(
        [*cmd, "worker.py", str(tmp_path), "--epochs", "1", "--device", "cpu", "--out", str(run)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("epoch 1/1") == 1  # only rank 0 prints and writes
    saved = load_file(str(run / "model.safetensors"))
    before = load_file(str(folder / "model.safetensors"))
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    for key in saved:
        assert torch.equal(ranks[0][key], saved[key]) and torch.equal(ranks[1][key], saved[key])
    assert any(not torch.equal(saved[k], before[k]) for k in saved)  # it did train


VARIANTS = {
    "sgd-onecycle-accum-fp16": {
        "optimizer": "sgd",
        "schedule": "one-cycle",
        "grad_accumulation": 2,
        "amp": "fp16",
        "grad_clip": 1.0,
        "compile": True,
        "early_stopping_patience": 2,
    },
    "adam-none-bf16": {"optimizer": "adam", "amp": "bf16", "warmup_epochs": 1.0},
    "plain": {"schedule": "none", "warmup_epochs": 0.0},
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_generated_train_script_passes_ruff_and_holds_only_the_settings_used(tmp_path, name):
    ruff = ruff_command()
    project = project_io.load(settings_project(tmp_path, **VARIANTS[name]))
    project.data = {**project.data, "val_fraction": 0.0} if name == "plain" else project.data
    result = export_project(project, tmp_path / "export")
    script = tmp_path / "export" / "train.py"
    assert script in result.files
    text = script.read_text(encoding="utf-8")
    done = subprocess.run(
        [*ruff, "check", "--no-cache", "--config", str(CONFIG), str(script)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert ("GradScaler" in text) == (name == "sgd-onecycle-accum-fp16")
    assert ("autocast" in text) == (name != "plain")
    assert ("lr_factor" in text) == (name != "plain")
    assert ("evaluate(" in text) == (name != "plain")
    assert "#@" not in text and "@" not in text.replace("@torch.no_grad()", "")


def test_exported_validation_sources_give_the_apps_samples(tmp_path):
    """An explicit validation source: synthetic sequences with their own seed and size
    ("symbols" labels), and a regression CSV with its own validation file (standardized)."""
    blocks = [
        {"id": "encoder", "type": "mlp", "params": {"hidden": 8, "layers": 1}},
        {"id": "head", "type": "token_classifier", "params": {"classes": 11}},
    ]
    data = {
        "source": "synthetic-sequence",
        "samples": 20,
        "labels": "symbols",
        "validation": {"samples": 10, "seed": 3},
    }
    task = {"kind": "token_classification", "num_classes": 11}
    sequences = write_project(tmp_path / "seq.ftproj", blocks, [100, 128], task, data)
    for name, rows in (("train", 12), ("val", 5)):
        lines = ["x1,x2,y"] + [f"{i * 0.5},{i * i},{i * 3 + 1}" for i in range(rows)]
        (tmp_path / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    blocks = [{"id": "head", "type": "regression_head", "params": {"outputs": 1}}]
    data = {
        "source": "csv",
        "path": "train.csv",
        "label_column": "y",
        "standardize": True,
        "validation": {"path": "val.csv"},
    }
    task = {"kind": "regression", "num_outputs": 1}
    table = write_project(tmp_path / "table.ftproj", blocks, [2], task, data)
    code = IMPORT_TRAIN + textwrap.dedent(
        """
        args = train["parse_args"]([])
        standardized = sys.argv[2] == "standardized"  # make_datasets then takes the statistics
        train_set, val_set, *_ = train["make_datasets"](*([args, None] if standardized else [args]))
        torch.save({"train": train_set.tensors, "val": val_set.tensors}, sys.argv[1])
        """
    )
    for path, kind in ((sequences, "plain"), (table, "standardized")):
        folder = exported(path, tmp_path / f"{path.stem}-export")
        done = run_python(code, str(tmp_path / f"{path.stem}.pt"), kind, cwd=folder)
        assert done.returncode == 0, done.stderr
        ours = torch.load(tmp_path / f"{path.stem}.pt", weights_only=True)
        app = load_data(project_io.load(path))
        for got, want in zip(
            ours["train"] + ours["val"], app.train.tensors + app.val.tensors, strict=True
        ):
            assert got.shape == want.shape and torch.equal(got, want)


def test_train_script_trains_a_torchscript_export_with_its_frozen_stage_fixed(tmp_path):
    """A TorchScript backbone file (model.py loads model.ts): groups are found by parameter
    name (ScriptModules have no get_submodule); the frozen stage stays bit-identical."""
    from test_frozen_train_step import _project, _torchscript_stage_frozen

    from ftstudio.core.export.info import frozen_prefixes

    project = _project(tmp_path, _torchscript_stage_frozen)
    folder = tmp_path / "export"
    assert export_project(project, folder).mode == "torchscript"
    done = run_script(folder, "train.py", "--epochs", "1", "--out", str(tmp_path / "run"))
    assert done.returncode == 0, done.stderr
    before = load_file(str(folder / "model.safetensors"))
    after = load_file(str(tmp_path / "run" / "model.safetensors"))
    prefixes = tuple(p + "." for p in frozen_prefixes(build_model(project), project))
    frozen = [k for k in before if k.startswith(prefixes)]
    assert frozen and all(torch.equal(before[k], after[k]) for k in frozen)
    assert any(not torch.equal(before[k], after[k]) for k in before if k not in frozen)
