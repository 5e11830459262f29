"""Issue 13 items 2 and 13: block ids are valid, non-reserved identifiers; lr_scale 0 trains
nothing."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from ftstudio.core import project as project_io
from ftstudio.core.builder import build_model, parameter_groups
from ftstudio.core.errors import ProjectFileError, TrainingError
from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block
from ftstudio.core.shapes import validate
from ftstudio.core.training import fit, parse_training_config
from ftstudio.core.training.loop import seed_everything


def doc(block_id) -> str:
    return json.dumps(
        {
            "format": "ftstudio-project",
            "version": 1,
            "input": {"shape": [4]},
            "task": {"kind": "classification", "num_classes": 2},
            "blocks": [{"id": block_id, "type": "linear_classifier", "params": {"classes": 2}}],
        }
    )


@pytest.mark.parametrize(
    "block_id",
    [
        "training",
        "forward",
        "to",
        "state_dict",
        "__class__",
        "parameters",
        "train",
        "eval",
        "cuda",
        "type",
        "add_module",
        "_modules",
        "_private",
    ],
)
def test_reserved_or_private_ids_are_refused_with_the_rule(block_id):
    with pytest.raises(ProjectFileError) as info:
        project_io.loads(doc(block_id))
    message = str(info.value)
    assert "blocks[0].id" in message
    assert "starts with a letter" in message and "keyword" in message


@pytest.mark.parametrize("block_id", ["class", "lambda", "None", "match", "def", "True"])
def test_python_keywords_are_refused(block_id):
    with pytest.raises(ProjectFileError, match="reserved"):
        project_io.loads(doc(block_id))


@pytest.mark.parametrize("block_id", ["1head", "my-head", "héad", "a.b", "", " x", "a" * 65, 3])
def test_non_identifiers_are_refused(block_id):
    with pytest.raises(ProjectFileError, match="not a valid id"):
        project_io.loads(doc(block_id))


@pytest.mark.parametrize("block_id", ["head", "training_head", "To", "forward2", "a" * 64])
def test_ordinary_ids_are_accepted(block_id):
    assert project_io.loads(doc(block_id)).blocks[0].id == block_id


def mlp_project(lr_scale: float, frozen: bool = False) -> Project:
    project = Project(input=InputSpec(shape=(4,)), task=TaskSpec(num_classes=2))
    mlp = make_block("mlp", project, hidden=8, layers=1)
    mlp.frozen = True
    head = make_block("linear_classifier", project, classes=2)
    head.lr_scale, head.frozen = lr_scale, frozen
    project.blocks += [mlp, head]
    return project


def test_lr_scale_zero_counts_as_frozen_everywhere():
    project = mlp_project(0.0)
    model = build_model(project)
    assert not any(p.requires_grad for p in model.parameters())
    assert parameter_groups(model, project, 0.1) == []
    report = validate(project)
    assert report.trainable == 0 and report.frozen > 0


def test_lr_scale_zero_on_the_only_trainable_block_refuses_to_train():
    """Old code fell back to every parameter at the full learning rate."""
    project = mlp_project(0.0)
    model = build_model(project)
    groups = parameter_groups(model, project, 0.1)
    seed_everything(0)
    data = _tiny_bundle()
    with pytest.raises(TrainingError, match="Nothing to train"):
        fit(model, data, parse_training_config({"epochs": 1, "device": "cpu"}), param_groups=groups)


def test_lr_scale_zero_block_keeps_its_weights_while_others_train():
    project = mlp_project(0.0)
    project.blocks[0].frozen = False  # the MLP trains, the head (lr_scale 0) must not
    model = build_model(project)
    head_before = {k: v.clone() for k, v in model.state_dict().items() if k.startswith("linear")}
    mlp_before = {k: v.clone() for k, v in model.state_dict().items() if k.startswith("mlp")}
    optimizer = torch.optim.SGD(parameter_groups(model, project, 0.5), lr=0.5)
    for _ in range(3):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(torch.randn(8, 4)), torch.randint(0, 2, (8,)))
        loss.backward()
        optimizer.step()
    state = model.state_dict()
    assert all(torch.equal(state[k], v) for k, v in head_before.items())
    assert any(not torch.equal(state[k], v) for k, v in mlp_before.items())


def _tiny_bundle():
    from torch.utils.data import TensorDataset

    from ftstudio.core.data import DataBundle

    x, y = torch.randn(16, 4), torch.randint(0, 2, (16,))
    return DataBundle(
        train=TensorDataset(x, y),
        val=None,
        sample_shape=(4,),
        task="classification",
        num_classes=2,
        class_names=["0", "1"],
        config=None,
    )
