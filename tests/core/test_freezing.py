"""Acceptance 3: freezing really freezes, stage by stage, and the optimizer sees only the rest."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ftstudio.core.builder import apply_freezing, build_model, parameter_groups
from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block
from ftstudio.core.shapes import validate

LR = 0.05


def train_steps(model: nn.Module, project: Project, shape, steps: int = 3) -> torch.optim.Optimizer:
    torch.manual_seed(1)
    optimizer = torch.optim.SGD(parameter_groups(model, project, LR), lr=LR, momentum=0.9)
    model.train()
    for _ in range(steps):
        x = torch.randn(4, *shape)
        y = torch.randint(0, project.task.num_classes, (4,))
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    return optimizer


def snapshot(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def changed(before: dict[str, torch.Tensor], model: nn.Module) -> set[str]:
    return {k for k, v in model.state_dict().items() if not torch.equal(before[k], v)}


def cnn_project() -> Project:
    project = Project(input=InputSpec(shape=(3, 16, 16)), task=TaskSpec(num_classes=3))
    cnn = make_block("small_cnn", project, width=4, stages=2)
    cnn.frozen = True
    project.blocks.append(cnn)
    mlp = make_block("mlp", project, hidden=8, dropout=0.0)
    mlp.lr_scale = 0.1
    project.blocks.append(mlp)
    project.blocks.append(make_block("linear_classifier", project, classes=3))
    return project


def test_frozen_block_is_bit_identical_and_bn_stats_unchanged():
    project = cnn_project()
    model = build_model(project)
    before = snapshot(model)
    train_steps(model, project, (3, 16, 16))
    diff = changed(before, model)

    cnn_keys = {k for k in before if k.startswith("small_cnn_1.")}
    assert any("running_mean" in k for k in cnn_keys)  # the CNN has BatchNorm statistics
    assert not diff & cnn_keys, f"frozen CNN changed: {sorted(diff & cnn_keys)}"
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {n for n, _ in model.named_parameters() if not n.startswith("small_cnn_1.")}
    assert trainable <= diff, f"trainable params that did not change: {trainable - diff}"


def test_frozen_batchnorm_stays_in_eval_mode_while_the_rest_trains():
    project = cnn_project()
    model = build_model(project).train()
    norms = [
        m for m in model.get_submodule("small_cnn_1").modules() if isinstance(m, nn.BatchNorm2d)
    ]
    assert norms and not any(m.training for m in norms)
    assert model.get_submodule("mlp_1").training
    project.blocks[0].frozen = False  # unfreezing gives the BatchNorms back to training
    apply_freezing(model, project)
    model.train()
    assert all(m.training for m in norms)
    assert all(p.requires_grad for p in model.parameters())


def test_optimizer_holds_only_trainable_params_with_lr_scale():
    project = cnn_project()
    model = build_model(project)
    optimizer = train_steps(model, project, (3, 16, 16), steps=1)
    in_optimizer = {id(p) for g in optimizer.param_groups for p in g["params"]}
    trainable = {id(p) for p in model.parameters() if p.requires_grad}
    assert in_optimizer == trainable
    assert not any(id(p) in in_optimizer for p in model.get_submodule("small_cnn_1").parameters())
    lrs = {g["name"]: g["lr"] for g in optimizer.param_groups}
    assert lrs == {"mlp_1": pytest.approx(LR * 0.1), "linear_classifier_1": pytest.approx(LR)}


def test_reported_counts_match_the_built_model():
    project = cnn_project()
    report = validate(project)
    model = build_model(project)
    for block, spec in zip(report.blocks, project.blocks, strict=True):
        params = list(model.get_submodule(spec.id).parameters())
        assert block.trainable == sum(p.numel() for p in params if p.requires_grad)
        assert block.frozen == sum(p.numel() for p in params if not p.requires_grad)


FROZEN_STAGES = ["stem", "layer1", "layer2", "layer3"]


def resnet_project() -> Project:
    project = Project(input=InputSpec(shape=(3, 64, 64)), task=TaskSpec(num_classes=4))
    backbone = make_block("torchvision_backbone", project, architecture="resnet18", weights="none")
    backbone.frozen_stages = list(FROZEN_STAGES)
    project.blocks.append(backbone)
    project.blocks.append(make_block("linear_classifier", project, classes=4))
    return project


def test_stage_freezing_on_resnet18_trains_only_layer4_and_head():
    project = resnet_project()
    model = build_model(project)
    before = snapshot(model)
    train_steps(model, project, (3, 64, 64))
    diff = changed(before, model)

    layer4 = "torchvision_backbone_1.model.layer4."
    trained_params = {n for n, _ in model.named_parameters() if n.startswith(layer4)}
    trained_params |= {"linear_classifier_1.weight", "linear_classifier_1.bias"}
    layer4_stats = {k for k in before if k.startswith(layer4) and "running" in k}
    assert layer4_stats  # layer4 trains, so its BatchNorm statistics move
    assert diff - {k for k in diff if k.startswith(layer4)} == {
        "linear_classifier_1.weight",
        "linear_classifier_1.bias",
    }
    assert trained_params | layer4_stats <= diff
    assert {n for n, p in model.named_parameters() if p.requires_grad} == trained_params


def test_stage_freezing_counts_in_the_report():
    report = validate(resnet_project())
    block = report.blocks[0]
    assert block.stages == ["stem", "layer1", "layer2", "layer3", "layer4"]
    assert block.frozen == sum(block.stage_params[s] for s in FROZEN_STAGES)
    assert block.trainable == block.stage_params["layer4"]


def test_seed_article_requires_grad_attribute_freezes_nothing_ours_does():
    project = cnn_project()
    project.blocks[0].frozen = False
    model = build_model(project)
    cnn = model.get_submodule("small_cnn_1")
    cnn.requires_grad = False  # the seed article's line: sets an attribute, freezes nothing
    assert all(p.requires_grad for p in cnn.parameters())
    before = snapshot(model)
    train_steps(model, project, (3, 16, 16), steps=1)
    assert any(k.startswith("small_cnn_1.") for k in changed(before, model))

    project.blocks[0].frozen = True  # ours
    apply_freezing(model, project)
    assert not any(p.requires_grad for p in cnn.parameters())
    before = snapshot(model)
    train_steps(model, project, (3, 16, 16), steps=1)
    assert not any(k.startswith("small_cnn_1.") for k in changed(before, model))
