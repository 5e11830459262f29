"""A custom block wrapping a torchvision architecture loads a state dict file strictly and
safely through the weights-fit check; a file that does not fit is refused naming its keys."""

from __future__ import annotations

import textwrap

import pytest
import torch
import torchvision
from safetensors.torch import save_file

from ftstudio.core.builder import build_model
from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block
from ftstudio.core.shapes import validate

WRAPPER = """
from pathlib import Path

import torchvision
from torch import nn


class MobileNetFeatures(nn.Module):
    \"\"\"MobileNetV3-small's feature layers, pooled; weights from a state dict file.\"\"\"

    def __init__(self, in_channels: int, weights_file: Path = Path(""),
                 ignore_prefixes: str = "classifier."):
        super().__init__()
        self.features = torchvision.models.mobilenet_v3_small(weights=None).features
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        return self.pool(self.features(x)).flatten(1)
"""


@pytest.fixture
def setup(tmp_path, custom_blocks):
    blocks_file = tmp_path / "wrappers.py"
    blocks_file.write_text(textwrap.dedent(WRAPPER))
    custom_blocks(blocks_file)
    torch.manual_seed(0)
    state = torchvision.models.mobilenet_v3_small(weights=None).state_dict()  # with its head
    weights = tmp_path / "mobilenet.safetensors"
    save_file({k: v.contiguous() for k, v in state.items()}, str(weights))
    return tmp_path, state, weights


def project_with(tmp_path, **params) -> Project:
    project = Project(input=InputSpec((3, 32, 32)), task=TaskSpec("classification", 4))
    project.path = tmp_path / "p.ftproj"
    project.blocks = [
        make_block("MobileNetFeatures", project, **params),
        make_block("linear_classifier", project, classes=4),
    ]
    return project


def test_a_real_state_dict_loads_with_the_head_left_out(setup):
    tmp_path, state, weights = setup
    project = project_with(tmp_path, weights_file=weights.name)  # relative to the project
    report = validate(project)
    assert report.ok, report.issue
    model = build_model(project)
    loaded = model.get_submodule("MobileNetFeatures_1").state_dict()
    assert torch.equal(loaded["features.0.0.weight"], state["features.0.0.weight"])
    assert all(torch.equal(loaded[k], state[k]) for k in loaded)


def test_a_wrong_file_names_its_keys_at_the_block_row(setup):
    tmp_path, state, _ = setup
    wrong = dict(state)
    del wrong["features.1.block.0.0.weight"]
    wrong["features.0.0.weight"] = torch.zeros(8, 3, 3, 3)
    wrong["extra.bias"] = torch.zeros(2)
    path = tmp_path / "wrong.pt"
    torch.save(wrong, path)
    report = validate(project_with(tmp_path, weights_file=str(path)))
    assert report.issue is not None and report.issue.index == 0
    message = report.issue.message
    assert "features.1.block.0.0.weight" in message  # missing
    assert "extra.bias" in message  # unexpected
    assert "features.0.0.weight" in message  # wrong shape
    assert "ignore_prefixes" in message


def test_without_ignore_prefixes_the_head_is_unexpected(setup):
    tmp_path, _, weights = setup
    report = validate(project_with(tmp_path, weights_file=str(weights), ignore_prefixes=""))
    assert report.issue is not None and "classifier.0.weight" in report.issue.message


def test_pickled_code_is_never_loaded(setup):
    tmp_path, _, _ = setup
    path = tmp_path / "pickled.pt"
    torch.save({"features.0.0.weight": torchvision.models.mobilenet_v3_small()}, path)
    report = validate(project_with(tmp_path, weights_file=str(path)))
    assert report.issue is not None and "never unpickles code" in report.issue.message
    assert "weights_only" not in report.issue.message


def test_the_recipe_is_documented_and_linked():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    doc = (root / "docs" / "custom-blocks.md").read_text()
    assert "(docs/custom-blocks.md)" in (root / "README.md").read_text()
    assert "class MobileNetFeatures" in doc and "ignore_prefixes" in doc
    for name in ("in_features", "input_dim", "in_dim", "d_model", "embed_dim", "in_channels"):
        assert f"`{name}`" in doc
    assert WRAPPER.strip().split("class ")[1].split("\n")[0] in doc  # the tested class
