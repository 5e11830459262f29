"""Validation checks that a block's weights file fits it (names and shapes only, no data)."""

import torch
from safetensors.torch import save_file

from ftstudio.core import templates
from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block
from ftstudio.core.shapes import validate


def test_changing_the_input_channels_flags_the_pretrained_cnn():
    project = templates.load_template("digits-transfer")
    assert validate(project).ok
    project.input.shape = (3, 16, 16)
    issue = validate(project).issue
    assert issue is not None and issue.index == 0
    assert "stages.0.0.weight (file (16, 1, 3, 3), model (16, 3, 3, 3))" in issue.message


def test_a_torchvision_state_dict_for_another_architecture_is_flagged(tmp_path):
    import torchvision

    path = tmp_path / "resnet18.pt"
    torch.save(torchvision.models.resnet18().state_dict(), path)
    project = Project(input=InputSpec((3, 64, 64)), task=TaskSpec(num_classes=2))
    project.blocks = [
        make_block("backbone_from_file", project, path=str(path), architecture="resnet34"),
        make_block("linear_classifier", project, classes=2),
    ]
    issue = validate(project).issue
    assert issue is not None and issue.index == 0 and "missing" in issue.message
    project.blocks[0].params["architecture"] = "resnet18"
    assert validate(project).ok


def test_safetensors_shapes_are_read_without_data(tmp_path):
    from ftstudio.core.weights import load_state_dict_file

    path = tmp_path / "w.safetensors"
    save_file({"a": torch.zeros(4, 5), "b": torch.ones(3)}, str(path))
    state = load_state_dict_file(path, device="meta")
    assert {k: tuple(v.shape) for k, v in state.items()} == {"a": (4, 5), "b": (3,)}
    assert all(v.is_meta for v in state.values())
