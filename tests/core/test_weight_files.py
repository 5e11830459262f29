"""Weight files users really have: fine-tuned heads, wrapper prefixes, checkpoint dicts.

Every file here is made by the test from torchvision models built with ``weights=None``.
"""

from __future__ import annotations

import pytest
import torch
import torchvision

from ftstudio.core import blocks
from ftstudio.core.errors import WeightsUnavailableError
from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block
from ftstudio.core.shapes import validate

SHAPE = (3, 64, 64)


def resnet18_state(classes: int = 1000) -> dict[str, torch.Tensor]:
    """A random resnet18 state dict (``fc`` with ``classes`` outputs), conv1 marked."""
    torch.manual_seed(0)
    state = torchvision.models.resnet18(weights=None, num_classes=classes).state_dict()
    state["conv1.weight"].fill_(0.25)
    return state


def build(type_name: str, **params) -> torch.nn.Module:
    block_type = blocks.get(type_name)
    return block_type.make(block_type.resolve(params), SHAPE, load_weights=True)


def project_with(type_name: str, **params) -> Project:
    project = Project(input=InputSpec(SHAPE), task=TaskSpec(num_classes=2))
    project.blocks = [
        make_block(type_name, project, **params),
        make_block("linear_classifier", project, classes=2),
    ]
    return project


# ---------------------------------------------------------------- item 3: a fine-tuned head


def test_a_checkpoint_fine_tuned_to_10_classes_loads_into_backbone_from_file(tmp_path):
    state = resnet18_state(classes=10)
    assert state["fc.weight"].shape == (10, 512)
    path = tmp_path / "resnet18_10cls.pth"
    torch.save(state, path)

    report = validate(project_with("backbone_from_file", path=str(path), architecture="resnet18"))
    assert report.ok, report.issue
    module = build("backbone_from_file", path=str(path), architecture="resnet18")
    assert torch.all(module.model.conv1.weight == 0.25)
    assert torch.equal(module.model.layer4[1].bn2.running_var, state["layer4.1.bn2.running_var"])
    assert module(torch.zeros(1, *SHAPE)).shape == (1, 512)


def test_a_fine_tuned_head_also_loads_into_the_torchvision_block(tmp_path):
    path = tmp_path / "resnet18_10cls.pt"
    torch.save(resnet18_state(classes=10), path)
    params = {"architecture": "resnet18", "weights": "file", "weights_file": str(path)}
    assert validate(project_with("torchvision_backbone", **params)).ok
    assert torch.all(build("torchvision_backbone", **params).model.conv1.weight == 0.25)


def test_a_modified_layer_is_named_without_advising_the_architecture_already_chosen(tmp_path):
    state = resnet18_state()
    state["conv1.weight"] = torch.zeros(64, 1, 7, 7)  # a grey-scale resnet18
    path = tmp_path / "gray.pt"
    torch.save(state, path)
    with pytest.raises(WeightsUnavailableError) as info:
        build("backbone_from_file", path=str(path), architecture="resnet18")
    message = str(info.value)
    assert "conv1.weight (file (64, 1, 7, 7), model (64, 3, 7, 7))" in message
    assert "Pick the architecture" not in message
    assert "architecture is right" in message
