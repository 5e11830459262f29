"""Shape validation as data: messages, fixes, unknown blocks, task checks, counts and memory."""

from __future__ import annotations

import pytest

from ftstudio.core import blocks
from ftstudio.core.project import BlockSpec, InputSpec, Project, TaskSpec, make_block
from ftstudio.core.shapes import validate

SAMPLE = {"vector": (24,), "sequence": (5, 24), "image": (4, 16, 16)}


def stack(shape, *types_and_params, task: TaskSpec | None = None) -> Project:
    project = Project(input=InputSpec(shape=shape), task=task or TaskSpec(num_classes=10))
    for item in types_and_params:
        name, params = item if isinstance(item, tuple) else (item, {})
        project.blocks.append(make_block(name, project, **params))
    return project


def test_attention_after_pooling_names_shapes_and_fix():
    project = stack(
        (3, 64, 64),
        ("torchvision_backbone", {"weights": "none"}),
        "self_attention",
        "dropout",
        ("linear_classifier", {"classes": 10}),
    )
    report = validate(project)
    issue = report.issue
    assert (issue.index, issue.block_id, issue.kind) == (1, "self_attention_1", "block")
    assert "expects (B, T, D); got (B, 512)" in issue.message
    assert "Insert 'Sequence from vector'" in issue.message
    assert "remove the pooling" in issue.message
    assert (issue.expected, issue.got, issue.fix) == (
        "(B, T, D)",
        "(B, 512)",
        "sequence_from_vector",
    )
    assert [b.status for b in report.blocks] == ["ok", "error", "unknown", "unknown"]
    assert report.blocks[0].out_shape == (512,)
    assert all(b.out_shape is None and b.in_shape is None for b in report.blocks[2:])
    assert report.output_shape is None and not report.ok


def fixable_cases():
    for t in blocks.all_types():
        for kind in SAMPLE:
            if kind not in t.accepts and t.name != "backbone_from_file":
                yield pytest.param(t.name, kind, id=f"{t.name}-after-{kind}")


@pytest.mark.parametrize(("type_name", "kind"), list(fixable_cases()))
def test_suggested_fix_makes_the_block_fit(type_name, kind):
    params = {"weights": "none"} if type_name == "torchvision_backbone" else {}
    project = stack(SAMPLE[kind], (type_name, params))
    issue = validate(project).issue
    assert issue.index == 0 and issue.kind == "block"
    assert issue.got == "(B, " + ", ".join(map(str, SAMPLE[kind])) + ")"
    if issue.fix is None:
        assert "remove it" in issue.message
        return
    assert blocks.get(issue.fix).title in issue.message
    project.blocks.insert(0, make_block(issue.fix, project))
    after = validate(project)
    assert after.blocks[1].status == "ok" or after.issue.kind == "task", after.issue


def test_heads_not_divisible_suggests_divisors():
    issue = validate(stack((5, 24), ("self_attention", {"heads": 5}))).issue
    assert "not divisible by 5 heads" in issue.message and "[1, 2, 3, 4, 6, 8, 12]" in issue.message
    assert issue.fix == "linear_projection"


def test_head_class_count_against_task():
    issue = validate(stack((24,), ("linear_classifier", {"classes": 5}))).issue
    assert issue.kind == "task" and issue.index == 0
    assert "10 classes" in issue.message and "(B, 5)" in issue.message
    assert (issue.expected, issue.got) == ("(B, 10)", "(B, 5)")


def test_per_token_head_on_per_sample_task():
    issue = validate(stack((5, 24), ("token_classifier", {"classes": 10}))).issue
    assert issue.kind == "task" and issue.fix == "sequence_pool"
    assert "(B, 5, 10)" in issue.message and "Sequence pool" in issue.message


def test_per_sample_head_on_per_token_task():
    task = TaskSpec(kind="token_classification", num_classes=10)
    project = stack((5, 24), "sequence_pool", ("linear_classifier", {"classes": 10}), task=task)
    issue = validate(project).issue
    assert issue.kind == "task" and issue.index == 1
    assert "Per-token" in issue.message and issue.expected == "(B, T, 10)"
    project.blocks[1:] = [make_block("token_classifier", project, classes=10)]
    project.blocks.pop(0)
    assert validate(project).ok


def test_regression_outputs_against_task():
    task = TaskSpec(kind="regression", num_outputs=2)
    issue = validate(stack((24,), ("regression_head", {"outputs": 3}), task=task)).issue
    assert issue.kind == "task" and "2 outputs" in issue.message
    assert validate(stack((24,), ("regression_head", {"outputs": 2}), task=task)).ok


def test_counts_flops_per_block():
    project = stack(
        (24,), ("mlp", {"hidden": 16, "layers": 2}), ("linear_classifier", {"classes": 10})
    )
    project.blocks[0].frozen = True
    report = validate(project)
    mlp, head = report.blocks
    assert (mlp.trainable, mlp.frozen) == (0, 24 * 16 + 16 + 16 * 16 + 16)
    assert (head.trainable, head.frozen) == (16 * 10 + 10, 0)
    assert head.flops == 2 * 16 * 10  # one multiply-add per weight, per sample
    assert mlp.flops >= 2 * (24 * 16 + 16 * 16)
    assert report.trainable == head.trainable and report.flops == mlp.flops + head.flops


def test_memory_grows_with_batch_and_shrinks_when_frozen():
    project = stack(
        (3, 16, 16), ("small_cnn", {"width": 8}), ("mlp", {"hidden": 32}), "linear_classifier"
    )
    small, large = validate(project, batch_size=2).memory, validate(project, batch_size=64).memory
    assert large.activations > small.activations > 0
    assert large.total > small.total and large.params == small.params
    project.blocks[0].frozen = True
    frozen = validate(project, batch_size=64).memory
    assert frozen.total < large.total
    assert frozen.activations < large.activations  # the frozen prefix stores nothing
    assert frozen.grads < large.grads and frozen.optimizer == 2 * frozen.grads
    assert frozen.params == large.params


def test_unknown_frozen_stage_is_reported_not_ignored():
    project = stack((3, 16, 16), ("small_cnn", {"stages": 2}), "linear_classifier")
    project.blocks[0].frozen_stages = ["stage1", "stage9"]
    issue = validate(project).issue
    assert issue.index == 0 and "stage9" in issue.message and "stage1, stage2" in issue.message


def test_input_shape_from_dataset_is_a_stack_issue():
    project = stack((24,), "linear_classifier")
    project.input = InputSpec(shape=None)
    report = validate(project)
    assert report.issue.kind == "stack" and report.issue.index == -1
    assert "dataset" in report.issue.message
    assert report.blocks[0].status == "unknown"
    assert validate(project, input_shape=(24,)).ok


def test_empty_stack():
    issue = validate(Project(input=InputSpec(shape=(4,)))).issue
    assert issue.kind == "stack" and "empty" in issue.message


def test_code_built_bad_blocks_are_issues_not_crashes():
    project = stack((24,), "mlp", "linear_classifier")
    project.blocks[0] = BlockSpec(id="ghost", type="no_such_block")
    report = validate(project)
    assert report.issue.index == 0 and "no_such_block" in report.issue.message
    assert report.blocks[0].label == "no_such_block"

    project.blocks[0] = BlockSpec(id="m", type="mlp", params={"hidden": "wide"})
    issue = validate(project).issue
    assert issue.index == 0 and "'hidden'" in issue.message and "whole number" in issue.message

    project.blocks[0] = BlockSpec(id="m", type="mlp", params={})  # defaults filled in
    assert validate(project).blocks[0].out_shape == (64,)


def test_report_json_is_plain_data():
    import json

    report = validate(stack((24,), "self_attention"))
    data = json.loads(json.dumps(report.to_json()))
    assert data["ok"] is False and data["issue"]["fix"] == "sequence_from_vector"
    assert data["blocks"][0]["status"] == "error" and data["issue"]["kind"] == "block"
