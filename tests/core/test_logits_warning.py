"""Issue 11, item 6: a scripted full classifier used as a backbone is warned about."""

from __future__ import annotations

import json

import pytest
import torch
from tiny_nets import TinyNet
from torch import nn

from ftstudio.cli import main
from ftstudio.core import project as project_io
from ftstudio.core.blocks.layers import TorchvisionBackbone
from ftstudio.core.output_checks import final_linear, logits_warning
from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block
from ftstudio.core.shapes import validate

# torch.jit is deprecated in favour of torch.export, but users still have TorchScript files.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:FutureWarning")


def scripted_backbone_project(tmp_path, net: nn.Module) -> Project:
    path = tmp_path / "net.pt"
    torch.jit.save(torch.jit.script(net.eval()), str(path))
    project = Project(name="ts", input=InputSpec(shape=(3, 8, 8)), task=TaskSpec(num_classes=3))
    block = make_block("backbone_from_file", project, path=str(path), architecture="torchscript")
    project.blocks = [block, make_block("linear_classifier", project, classes=3)]
    project.path = tmp_path / "ts.ftproj"
    return project


def test_scripted_classifier_as_backbone_is_valid_with_a_warning(tmp_path):
    report = validate(
        scripted_backbone_project(tmp_path, nn.Sequential(TinyNet(), nn.Linear(8, 10)))
    )
    assert report.ok
    assert len(report.warnings) == 1 and report.blocks[1].warnings == []
    (message,) = report.blocks[0].warnings
    assert message.startswith("Outputs (B, 10) from a final Linear layer (8 -> 10)")
    assert "class logits" in message and "nn.Identity()" in message
    assert report.warnings[0] == f"Block 1 'Backbone from file': {message}"
    assert report.to_json()["blocks"][0]["warnings"] == [message]


@pytest.mark.parametrize(
    "net",
    [TinyNet(), nn.Sequential(TinyNet(), nn.Linear(8, 2048)), nn.Sequential(TinyNet(), nn.ReLU())],
    ids=["features", "wide_linear", "no_linear_last"],
)
def test_feature_extractors_get_no_warning(tmp_path, net):
    report = validate(scripted_backbone_project(tmp_path, net))
    assert report.ok and report.warnings == []


def test_a_backbone_that_drops_its_head_is_not_taken_for_a_classifier():
    # like torchvision's maxvit: a pre-logits Linear (512 -> 512) stays once the head is dropped
    classifier = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 10))
    assert final_linear(classifier) == (8, 10)
    assert final_linear(TorchvisionBackbone(classifier)) is None
    assert logits_warning((8,), None) is None


def test_cli_validate_prints_the_warning(tmp_path, capsys):
    project = scripted_backbone_project(tmp_path, nn.Sequential(TinyNet(), nn.Linear(8, 10)))
    project_io.save(project, project.path)
    assert main(["validate", str(project.path)]) == 0
    out = capsys.readouterr().out
    assert "Warning: Block 1 'Backbone from file': Outputs (B, 10) from a final Linear" in out
    assert "Valid: the shapes fit" in out
    assert main(["validate", str(project.path), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["warnings"]) == 1
