"""torchvision backbones validate on the meta device, fast, and never touch weights."""

from __future__ import annotations

import pytest

from ftstudio.core import blocks
from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block
from ftstudio.core.shapes import validate

# architecture -> (pooled width, feature map at 224x224 or None where there is none)
EXPECTED = {
    "resnet18": (512, (512, 7, 7)),
    "resnet34": (512, (512, 7, 7)),
    "resnet50": (2048, (2048, 7, 7)),
    "mobilenet_v3_small": (1024, (576, 7, 7)),
    "mobilenet_v3_large": (1280, (960, 7, 7)),
    "efficientnet_b0": (1280, (1280, 7, 7)),
    "convnext_tiny": (768, (768, 7, 7)),
    "vit_b_16": (768, None),
}
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def backbone_project(arch: str, weights: str, output: str, head: str) -> Project:
    project = Project(
        input=InputSpec(shape=(3, 224, 224)), task=TaskSpec(kind="classification", num_classes=4)
    )
    project.blocks.append(
        make_block(
            "torchvision_backbone", project, architecture=arch, weights=weights, output=output
        )
    )
    if head == "pool":
        project.blocks.append(make_block("global_avg_pool", project))
    project.blocks.append(make_block("linear_classifier", project, classes=4))
    return project


@pytest.mark.parametrize("weights", ["none", "DEFAULT"])
@pytest.mark.parametrize("arch", sorted(EXPECTED))
def test_pooled_backbone_validates_without_weights(arch, weights, offline_hub):
    checkpoints, attempts = offline_hub
    report = validate(backbone_project(arch, weights, "pooled", head="linear"))
    assert report.ok, report.issue
    assert report.blocks[0].out_shape == (EXPECTED[arch][0],)
    assert report.blocks[0].flops > 10**8  # a real network's worth of FLOPs per sample
    assert report.blocks[0].stages[0] == "stem" and len(report.blocks[0].stages) >= 4
    assert attempts == [] and not checkpoints.exists(), "validation tried to fetch weights"


@pytest.mark.parametrize("arch", sorted(EXPECTED))
def test_feature_map_output(arch, offline_hub):
    report = validate(backbone_project(arch, "DEFAULT", "feature_map", head="pool"))
    feature_map = EXPECTED[arch][1]
    if feature_map is None:
        assert report.issue.index == 0 and "feature map" in report.issue.message
        assert "pooled" in report.issue.message
    else:
        assert report.ok, report.issue
        assert report.blocks[0].out_shape == feature_map
        assert report.blocks[1].out_shape == (feature_map[0],)
    assert offline_hub[1] == []


@pytest.mark.parametrize("arch", sorted(EXPECTED))
def test_preprocessing_exposes_input_size_mean_std(arch):
    block_type = blocks.get("torchvision_backbone")
    pre = block_type.preprocessing(block_type.resolve({"architecture": arch}))
    assert pre["input_shape"] == [3, 224, 224]
    assert pre["resize"] >= 224
    assert pre["mean"] == pytest.approx(IMAGENET_MEAN)
    assert pre["std"] == pytest.approx(IMAGENET_STD)
    assert arch.split("_")[0].lower() in pre["source"].lower()


def test_backbone_rejects_wrong_channel_count_with_channel_projection_fix():
    project = backbone_project("resnet18", "none", "pooled", head="linear")
    project.input = InputSpec(shape=(1, 64, 64))
    report = validate(project)
    assert report.issue.index == 0
    assert report.issue.fix == "channel_projection"
    assert "3 input channels" in report.issue.message
    project.blocks.insert(0, make_block("channel_projection", project, channels=3))
    assert validate(project).ok


def test_vit_at_wrong_resolution_is_an_issue_not_a_crash():
    project = backbone_project("vit_b_16", "none", "pooled", head="linear")
    project.input = InputSpec(shape=(3, 64, 64))
    report = validate(project)
    assert report.issue is not None and report.issue.index == 0
    assert "(B, 3, 64, 64)" in report.issue.message
    assert report.blocks[1].status == "unknown"
