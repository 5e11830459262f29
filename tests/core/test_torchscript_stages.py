"""Issue 11, item 2: a TorchScript backbone's top-level children are its freeze stages."""

from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn

from ftstudio.core.builder import build_model
from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block
from ftstudio.core.shapes import validate

# torch.jit is deprecated in favour of torch.export, but users still have TorchScript files.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:FutureWarning")


class Features(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
        self.act = nn.ReLU()  # no weights: not a stage
        self.body = nn.Conv2d(4, 6, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(self.act(self.stem(x))).mean(dim=(2, 3))


class Wrapper(nn.Module):
    """A scripted model whose only child is the network: the stages are the network's."""

    def __init__(self) -> None:
        super().__init__()
        self.model = Features()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


def scripted_project(tmp_path, module: nn.Module, shape=(3, 16, 16)) -> Project:
    path = tmp_path / "scripted.pt"
    torch.jit.save(torch.jit.script(module.eval()), str(path))
    project = Project(input=InputSpec(shape=shape), task=TaskSpec(num_classes=2))
    block = make_block("backbone_from_file", project, path=str(path), architecture="torchscript")
    project.blocks = [block, make_block("linear_classifier", project, classes=2)]
    return project


@pytest.mark.parametrize("module", [Features, Wrapper])
def test_scripted_backbone_reports_its_children_as_stages(tmp_path, module):
    report = validate(scripted_project(tmp_path, module()))
    block = report.blocks[0]
    assert block.status == "ok", block.issue
    assert block.stages == ["stem", "body"]
    stem = 3 * 4 * 9 + 4 + 2 * 4
    assert block.stage_params == {"stem": stem, "body": 4 * 6 * 9 + 6}


def test_freezing_one_scripted_stage_freezes_only_its_weights(tmp_path):
    project = scripted_project(tmp_path, Features())
    project.blocks[0].frozen_stages = ["stem"]
    report = validate(project)
    assert report.blocks[0].frozen == report.blocks[0].stage_params["stem"]
    model = build_model(project)
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    assert frozen == {
        "backbone_from_file_1.scripted.stem.0.weight",
        "backbone_from_file_1.scripted.stem.0.bias",
        "backbone_from_file_1.scripted.stem.1.weight",
        "backbone_from_file_1.scripted.stem.1.bias",
    }


def test_scripted_torchvision_features_split_into_their_parts(tmp_path):
    net = torchvision.models.mobilenet_v3_small(weights=None)
    report = validate(scripted_project(tmp_path, net, shape=(3, 32, 32)))
    stages = report.blocks[0].stages
    assert stages == [f"features.{i}" for i in range(len(net.features))] + ["classifier"]
