"""'Block stack from file': an earlier project's blocks loaded with its trained weights."""

import pytest
import torch
from safetensors.torch import save_file

from ftstudio.core import project as project_io
from ftstudio.core.builder import BuildError, build_model
from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block
from ftstudio.core.shapes import validate


def _first_project(tmp_path, hidden=6):
    project = Project(name="first", input=InputSpec(shape=(8,)), task=TaskSpec(num_classes=3))
    project.blocks = [make_block("mlp", project, hidden=hidden, dropout=0.0)]
    project.blocks.append(make_block("linear_classifier", project, classes=3))
    path = project_io.save(project, tmp_path / "first.ftproj")
    model = build_model(project)
    weights = tmp_path / "first.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(weights))
    return path, weights, model


def _second_project(path, weights, input_shape=(8,), **params):
    project = Project(
        name="second", input=InputSpec(shape=input_shape), task=TaskSpec(num_classes=2)
    )
    project.blocks = [
        make_block("stack_from_file", project, stack=str(path), weights=str(weights), **params)
    ]
    project.blocks.append(make_block("linear_classifier", project, classes=2))
    return project


def test_stack_loads_trained_weights_without_its_head(tmp_path):
    path, weights, first = _first_project(tmp_path)
    second = _second_project(path, weights)
    report = validate(second)
    assert report.ok, report.issue
    assert report.blocks[0].out_shape == (6,)
    assert report.blocks[0].stages == ["mlp_1"]
    model = build_model(second)
    reused = model.get_submodule("stack_from_file_1")
    assert torch.equal(
        reused.get_submodule("mlp_1.0").weight, first.get_submodule("mlp_1.0").weight
    )
    x = torch.randn(4, 8)
    first.eval(), model.eval()
    assert torch.allclose(reused(x), first.mlp_1(x))


def test_stack_keeps_its_head_when_asked(tmp_path):
    path, weights, _ = _first_project(tmp_path)
    second = _second_project(path, weights, drop_head=False)
    assert validate(second).blocks[0].out_shape == (3,)


def test_stack_from_a_training_checkpoint(tmp_path):
    path, _, first = _first_project(tmp_path)
    ckpt = tmp_path / "last.pt"
    torch.save({"model": first.state_dict(), "epoch": 1}, ckpt)
    model = build_model(_second_project(path, ckpt))
    assert torch.equal(model.stack_from_file_1.mlp_1[0].bias, first.mlp_1[0].bias)


def test_mismatched_weights_are_named(tmp_path):
    path, _, _ = _first_project(tmp_path)
    _, other_weights, _ = _first_project(tmp_path / "other", hidden=5)
    with pytest.raises(BuildError, match=r"wrong shape .*mlp_1\.0\.weight"):
        build_model(_second_project(path, other_weights))


def test_wrong_input_shape_is_a_shape_issue(tmp_path):
    path, weights, _ = _first_project(tmp_path)
    report = validate(_second_project(path, weights, input_shape=(9,)))
    assert not report.ok
    assert report.issue.index == 0
    assert "was built for input (B, 8); got (B, 9)" in report.issue.message


def test_missing_project_file_is_an_issue_not_a_crash(tmp_path):
    path, weights, _ = _first_project(tmp_path)
    report = validate(_second_project(tmp_path / "nope.ftproj", weights))
    assert report.issue is not None and "does not exist" in report.issue.message


def test_freezing_the_stack_freezes_each_reused_block(tmp_path):
    path, weights, _ = _first_project(tmp_path)
    second = _second_project(path, weights)
    second.blocks[0].frozen_stages = ["mlp_1"]
    model = build_model(second)
    assert not any(p.requires_grad for p in model.stack_from_file_1.parameters())
    assert all(p.requires_grad for p in model.linear_classifier_1.parameters())
