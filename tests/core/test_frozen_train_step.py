"""Issue 11, item 1: a frozen block is really frozen, for every kind of backbone.

One real training step through the engine (``prepare`` + ``fit``, as ``train_project`` runs
them) must leave every parameter and every buffer of the frozen part bit-identical, while the
trainable part changes.
"""

from __future__ import annotations

import sys
import types
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
import torchvision
from safetensors.torch import save_file
from torch import nn

from ftstudio.core import project as project_io
from ftstudio.core.blocks import custom
from ftstudio.core.builder import build_model, freeze_units, parameter_groups
from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block
from ftstudio.core.training import fit
from ftstudio.core.training.run import prepare

# torch.jit is deprecated in favour of torch.export, but users still have TorchScript files.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:FutureWarning")

SHAPE = (3, 32, 32)
CLASSES = 3
SAMPLES = 10  # 8 train + 2 validation: one batch, one optimizer step


class ScriptedFeatures(nn.Module):
    """A feature extractor with BatchNorm and dropout, saved as TorchScript by the test."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.body = nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.drop = nn.Dropout(0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.body(self.stem(x)).mean(dim=(2, 3)))


def _torchvision(tmp: Path, project: Project):
    block = make_block(
        "torchvision_backbone", project, architecture="mobilenet_v3_small", weights="none"
    )
    block.frozen = True
    return block


def _state_dict_file(tmp: Path, project: Project):
    path = tmp / "resnet18.safetensors"
    state = torchvision.models.resnet18(weights=None).state_dict()
    save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    block = make_block("backbone_from_file", project, path=str(path), architecture="resnet18")
    block.frozen = True
    return block


def _torchscript_file(tmp: Path, project: Project):
    path = tmp / "features.pt"
    torch.jit.save(torch.jit.script(ScriptedFeatures()), str(path))
    block = make_block("backbone_from_file", project, path=str(path), architecture="torchscript")
    block.frozen = True
    return block


def _torchscript_stage_frozen(tmp: Path, project: Project):
    block = _torchscript_file(tmp, project)
    block.frozen, block.frozen_stages = False, ["stem"]
    return block


def _block_stack(tmp: Path, project: Project):
    first = Project(name="first", input=InputSpec(shape=SHAPE), task=TaskSpec(num_classes=5))
    first.blocks = [
        make_block("small_cnn", first, width=4, stages=2),
        make_block("dropout", first, p=0.5),
        make_block("linear_classifier", first, classes=5),
    ]
    stack = project_io.save(first, tmp / "first.ftproj")
    weights = tmp / "first.safetensors"
    state = build_model(first).state_dict()
    save_file({k: v.contiguous() for k, v in state.items()}, str(weights))
    block = make_block("stack_from_file", project, stack=str(stack), weights=str(weights))
    block.frozen = True
    return block


def _stage_frozen(tmp: Path, project: Project):
    block = make_block("torchvision_backbone", project, architecture="resnet18", weights="none")
    block.frozen_stages = ["stem", "layer1", "layer2", "layer3"]
    return block


CUSTOM_FEATURES = """
import torch
from torch import nn


class CustomFeatures(nn.Module):
    \"\"\"A user's feature extractor with BatchNorm and dropout (issue 7).\"\"\"

    def __init__(self, in_channels: int, width: int = 8):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, width, 3, padding=1),
                                  nn.BatchNorm2d(width), nn.ReLU())
        self.body = nn.Sequential(nn.Conv2d(width, width, 3, padding=1),
                                  nn.BatchNorm2d(width), nn.ReLU())
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        return self.drop(self.body(self.stem(x)).mean(dim=(2, 3)))
"""


def _custom(tmp: Path, project: Project):
    path = tmp / "user_blocks.py"
    path.write_text(CUSTOM_FEATURES, encoding="utf-8")
    custom.load_blocks_file(path)
    block = make_block("CustomFeatures", project, width=8)
    block.frozen = True
    return block


def _custom_stage_frozen(tmp: Path, project: Project):
    block = _custom(tmp, project)
    block.frozen, block.frozen_stages = False, ["stem"]  # stages: the top-level children
    return block


# Each case gives the frozen backbone block of a project.
CASES: dict[str, Callable[[Path, Project], object]] = {
    "torchvision": _torchvision,
    "state_dict_file": _state_dict_file,
    "torchscript_file": _torchscript_file,
    "block_stack": _block_stack,
    "stage_frozen": _stage_frozen,
    "torchscript_stage_frozen": _torchscript_stage_frozen,
    "custom": _custom,
    "custom_stage_frozen": _custom_stage_frozen,
}


def _project(tmp: Path, make_backbone) -> Project:
    torch.manual_seed(0)
    data = tmp / "data.pt"
    torch.save({"X": torch.randn(SAMPLES, *SHAPE), "y": torch.arange(SAMPLES) % CLASSES}, data)
    project = Project(
        name="frozen", input=InputSpec(shape=SHAPE), task=TaskSpec(num_classes=CLASSES)
    )
    project.path = tmp / "frozen.ftproj"
    project.blocks = [make_backbone(tmp, project)]
    project.blocks.append(make_block("mlp", project, hidden=8, dropout=0.0))
    project.blocks.append(make_block("linear_classifier", project, classes=CLASSES))
    project.data = {"source": "tensor-file", "path": str(data), "val_fraction": 0.2}
    project.training.update(epochs=1, batch_size=SAMPLES, lr=0.1, device="cpu", seed=0)
    return project


def _frozen_names(model: nn.Module, spec) -> set[str]:
    """Names (in ``model.state_dict()``) of every parameter and buffer of the frozen part."""
    block = model.get_submodule(spec.id)
    units = freeze_units(block)
    parts = [block] if spec.frozen else [m for s in spec.frozen_stages for m in units[s]]
    wanted = {id(m) for m in parts}
    names = set()
    for prefix, module in model.named_modules():
        if id(module) in wanted:
            names |= {f"{prefix}.{k}" for k in module.state_dict()}
    return names


@pytest.mark.parametrize("kind", list(CASES))
def test_one_training_step_leaves_the_frozen_part_bit_identical(tmp_path, kind):
    project = _project(tmp_path, CASES[kind])
    config, data, model = prepare(project)
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    groups = parameter_groups(model, project, config.lr)
    fit(model, data, config, param_groups=groups)  # run_dir None: no files
    after = model.state_dict()

    backbone = project.blocks[0].id + "."
    frozen = _frozen_names(model, project.blocks[0])
    assert frozen and all(k.startswith(backbone) for k in frozen)
    if project.blocks[0].frozen:
        assert frozen == {k for k in before if k.startswith(backbone)}
    buffers = {k for k in frozen if k.rpartition(".")[2] in ("running_mean", "num_batches_tracked")}
    assert buffers, "each case has BatchNorm statistics in its frozen part"
    moved = sorted(k for k in frozen if not torch.equal(before[k], after[k]))
    assert not moved, f"the frozen part changed: {moved[:5]}"

    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert "mlp_1.0.weight" in trainable and not trainable & frozen
    unchanged = sorted(n for n in trainable if torch.equal(before[n], after[n]))
    assert not unchanged, f"trainable parameters that did not train: {unchanged[:5]}"
    if not project.blocks[0].frozen:  # the unfrozen stage trains, statistics included
        stats = {
            "stage_frozen": "model.layer4.0.bn1",
            "torchscript_stage_frozen": "scripted.body.1",
            "custom_stage_frozen": "body.1",
        }
        key = f"{backbone}{stats[kind]}.running_mean"
        assert not torch.equal(before[key], after[key])


def test_a_frozen_block_is_deterministic_in_training_mode(tmp_path):
    project = _project(tmp_path, _torchscript_file)
    model = build_model(project).train()
    backbone = model.get_submodule(project.blocks[0].id)
    x = torch.randn(4, *SHAPE)
    assert torch.equal(backbone(x), backbone(x))  # dropout off, statistics fixed
    assert model.get_submodule("mlp_1").training


def test_exported_train_py_keeps_frozen_blocks_in_eval_mode(tmp_path, monkeypatch):
    from ftstudio.core.export import export_project
    from ftstudio.core.templates import load_template

    export_project(load_template("seed-sequence"), tmp_path / "out")
    source = (tmp_path / "out" / "train.py").read_text(encoding="utf-8")
    exported = types.ModuleType("model")  # what train.py imports from the exported model.py
    exported.FROZEN, exported.load_model = ["frozen"], None
    monkeypatch.setitem(sys.modules, "model", exported)
    namespace = {"__name__": "exported_train", "__file__": str(tmp_path / "train.py")}
    exec(compile(source, "train.py", "exec"), namespace)
    frozen = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2), nn.Dropout(0.5))
    model = nn.Sequential(OrderedDict(frozen=torch.jit.script(frozen), free=nn.Dropout(0.5)))
    namespace["train_mode"](model)
    assert not any(m.training for m in model.frozen.modules())
    assert model.free.training
