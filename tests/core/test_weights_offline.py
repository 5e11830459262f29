"""Pretrained and file weights: the hub cache, offline failures, TorchScript and state dicts."""

from __future__ import annotations

import pytest
import torch
import torchvision
from safetensors.torch import save_file

from ftstudio.core import blocks
from ftstudio.core.builder import BuildError, build_model
from ftstudio.core.errors import FTStudioError, WeightsUnavailableError
from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block
from ftstudio.core.shapes import validate
from ftstudio.core.weights import hub_cache_file, load_state_dict_file

# torch.jit is deprecated in favour of torch.export, but users still have TorchScript files.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:FutureWarning")
SHAPE = (3, 64, 64)
RESNET18_URL = torchvision.models.ResNet18_Weights.DEFAULT.url


def marked_resnet18_state(value: float = 0.125) -> dict[str, torch.Tensor]:
    """A random resnet18 state dict whose conv1 weight is filled with ``value``."""
    torch.manual_seed(0)
    state = torchvision.models.resnet18().state_dict()
    state["conv1.weight"].fill_(value)
    return state


def build_backbone(type_name: str, **params) -> torch.nn.Module:
    block_type = blocks.get(type_name)
    return block_type.make(block_type.resolve(params), SHAPE, load_weights=True)


def test_default_weights_load_from_the_hub_cache_offline(offline_hub):
    checkpoints, attempts = offline_hub
    checkpoints.mkdir(parents=True)
    cached = checkpoints / RESNET18_URL.rsplit("/", 1)[1]
    torch.save(marked_resnet18_state(0.125), cached)
    assert hub_cache_file(RESNET18_URL) == cached

    module = build_backbone("torchvision_backbone", architecture="resnet18", weights="DEFAULT")

    assert attempts == []
    assert torch.all(module.model.conv1.weight == 0.125)


def test_missing_weights_offline_name_what_and_remedies(offline_hub):
    checkpoints, attempts = offline_hub
    with pytest.raises(WeightsUnavailableError) as info:
        build_backbone("torchvision_backbone", architecture="resnet18", weights="DEFAULT")
    message = str(info.value)
    assert "resnet18" in message and "ResNet18_Weights.IMAGENET1K_V1" in message
    assert str(checkpoints / RESNET18_URL.rsplit("/", 1)[1]) in message
    assert "'file'" in message and "'none'" in message and "random" in message
    assert [url for url, _ in attempts] == [RESNET18_URL]
    timeout = attempts[0][1]
    assert timeout is not None and 0 < timeout <= 60, "a download without timeout can hang"


def test_corrupt_cached_weights_say_delete_the_file(offline_hub):
    checkpoints, _attempts = offline_hub
    checkpoints.mkdir(parents=True)
    cached = checkpoints / RESNET18_URL.rsplit("/", 1)[1]
    cached.write_bytes(b"half a download")
    with pytest.raises(WeightsUnavailableError) as info:
        build_backbone("torchvision_backbone", architecture="resnet18", weights="DEFAULT")
    assert str(cached) in str(info.value) and "delete" in str(info.value)


def test_build_model_offline_names_the_block(offline_hub):
    project = Project(input=InputSpec(shape=SHAPE), task=TaskSpec(num_classes=2))
    project.blocks.append(make_block("torchvision_backbone", project, weights="DEFAULT"))
    project.blocks.append(make_block("linear_classifier", project, classes=2))
    assert validate(project).ok  # validation never needs the weights
    with pytest.raises(BuildError) as info:
        build_model(project)
    assert info.value.index == 0 and "Block 1" in str(info.value)
    assert isinstance(info.value.__cause__, WeightsUnavailableError)
    assert len(build_model(project, load_weights=False)) == 2


def test_torchscript_backbone_validates_and_runs(torchscript_file):
    path, net = torchscript_file
    project = Project(input=InputSpec(shape=SHAPE), task=TaskSpec(num_classes=3))
    project.blocks.append(make_block("backbone_from_file", project, path=str(path)))
    project.blocks.append(make_block("linear_classifier", project, classes=3))
    report = validate(project)
    assert report.ok, report.issue
    assert report.blocks[0].out_shape == (8,)
    assert report.blocks[0].trainable == sum(p.numel() for p in net.parameters())
    model = build_model(project).eval()
    x = torch.randn(2, *SHAPE)
    with torch.no_grad():
        assert torch.allclose(model[0](x), net(x), atol=1e-6)
        assert model(x).shape == (2, 3)


def test_torchscript_path_that_is_not_torchscript(tmp_path):
    bogus = tmp_path / "bogus.pt"
    bogus.write_bytes(b"not a zip")
    for arch in ("auto", "torchscript"):
        with pytest.raises(WeightsUnavailableError, match="not a file that torch.save") as info:
            build_backbone("backbone_from_file", path=str(bogus), architecture=arch)
        assert "corrupted" not in str(info.value) and "weights_only" not in str(info.value)


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
@pytest.mark.parametrize("with_head", [True, False])
def test_state_dict_file_loads_into_named_arch(tmp_path, suffix, with_head):
    state = marked_resnet18_state(0.25)
    if not with_head:  # a backbone saved without its classifier also loads
        state = {k: v for k, v in state.items() if not k.startswith("fc.")}
    path = tmp_path / f"backbone{suffix}"
    if suffix == ".safetensors":
        save_file(state, str(path))
    else:
        torch.save(state, path)
    module = build_backbone("backbone_from_file", path=str(path), architecture="resnet18")
    assert torch.all(module.model.conv1.weight == 0.25)
    assert torch.equal(module.model.layer4[1].bn2.running_var, state["layer4.1.bn2.running_var"])


def test_state_dict_for_another_arch_names_mismatched_keys(tmp_path):
    state = marked_resnet18_state()
    state["extra.weight"] = torch.zeros(1)
    path = tmp_path / "resnet18.pt"
    torch.save(state, path)
    with pytest.raises(WeightsUnavailableError) as info:
        build_backbone("backbone_from_file", path=str(path), architecture="resnet34")
    message = str(info.value)
    assert "missing" in message and "layer1.2.conv1.weight" in message
    assert "unexpected 1: extra.weight" in message


def test_state_dict_with_wrong_shapes_names_them(tmp_path):
    state = marked_resnet18_state()
    state["conv1.weight"] = torch.zeros(64, 1, 7, 7)
    path = tmp_path / "gray.pt"
    torch.save(state, path)
    with pytest.raises(WeightsUnavailableError) as info:
        build_backbone("backbone_from_file", path=str(path), architecture="resnet18")
    assert "wrong shape 1: conv1.weight (file (64, 1, 7, 7), model (64, 3, 7, 7))" in str(
        info.value
    )


class NotATensor:
    """Pickled into a file, this must not be loaded: weights are read weights-only."""


def test_pickled_objects_are_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"conv1.weight": torch.zeros(1), "payload": NotATensor()}, path)
    with pytest.raises(WeightsUnavailableError, match="never unpickles code"):
        build_backbone("backbone_from_file", path=str(path), architecture="resnet18")


def test_missing_state_dict_file(tmp_path):
    with pytest.raises(WeightsUnavailableError, match="does not exist"):
        build_backbone(
            "backbone_from_file", path=str(tmp_path / "nope.pt"), architecture="resnet18"
        )


@pytest.mark.parametrize(
    ("type_name", "params"),
    [
        ("backbone_from_file", {"architecture": "resnet18"}),
        ("backbone_from_file", {"architecture": "torchscript"}),
        ("small_cnn", {}),
    ],
)
def test_validation_reports_a_missing_weights_file_and_sees_it_appear(tmp_path, type_name, params):
    missing = tmp_path / "later.pt"
    key = "path" if type_name == "backbone_from_file" else "weights_file"
    project = Project(input=InputSpec(shape=SHAPE), task=TaskSpec(num_classes=2))
    project.blocks.append(make_block(type_name, project, **params, **{key: str(missing)}))
    if params.get("architecture") == "torchscript":
        project.blocks.append(make_block("global_avg_pool", project))
    project.blocks.append(make_block("linear_classifier", project, classes=2))
    issue = validate(project).issue
    assert issue.index == 0 and str(missing) in issue.message and "does not exist" in issue.message
    if params.get("architecture") == "torchscript":
        torch.jit.save(torch.jit.script(torch.nn.Conv2d(3, 4, 1)), str(missing))
    elif type_name == "small_cnn":
        cnn = blocks.get("small_cnn")
        torch.save(cnn.make(cnn.resolve({}), SHAPE, False).state_dict(), missing)
    else:
        torch.save(marked_resnet18_state(), missing)
    report = validate(project)  # the cache must not remember the missing file
    assert report.ok, report.issue


def test_a_pickled_module_is_refused_without_advising_unsafe_loading(tmp_path):
    from ftstudio.core.training.checkpoint import load_checkpoint

    path = tmp_path / "whole_model.pt"
    torch.save(torch.nn.Linear(2, 2), path)
    for load in (load_state_dict_file, load_checkpoint):
        with pytest.raises(FTStudioError) as info:
            load(path)
        message = str(info.value)
        assert "never unpickles code" in message
        assert "weights_only=False" not in message
