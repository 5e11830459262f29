"""Weight files users really have: fine-tuned heads, wrapper prefixes, checkpoint dicts.

Every file here is made by the test from torchvision models built with ``weights=None``.
"""

from __future__ import annotations

from functools import cache

import pytest
import torch
import torchvision

from ftstudio.core import blocks
from ftstudio.core.errors import WeightsUnavailableError
from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block
from ftstudio.core.shapes import validate

SHAPE = (3, 64, 64)
# torch.jit is deprecated in favour of torch.export, but users still have TorchScript files.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:FutureWarning")


@cache
def _resnet18_state(classes: int) -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    state = torchvision.models.resnet18(weights=None, num_classes=classes).state_dict()
    state["conv1.weight"].fill_(0.25)
    return state


def resnet18_state(classes: int = 1000) -> dict[str, torch.Tensor]:
    """A random resnet18 state dict (``fc`` with ``classes`` outputs), conv1 marked."""
    return {k: v.clone() for k, v in _resnet18_state(classes).items()}


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


# ---------------------------------------------------------------- item 4: wrappers and prefixes


def _lightning(state: dict) -> dict:
    inner = {f"model.{k}": v for k, v in state.items()}
    inner["loss_fn.weight"] = torch.ones(2)  # a Lightning module's other parts: left out
    return {
        "epoch": 3,
        "global_step": 30,
        "pytorch-lightning_version": "2.4.0",
        "state_dict": inner,
    }


WRAPPERS = {
    "ddp": (lambda s: {f"module.{k}": v for k, v in s.items()}, "key prefix 'module.' stripped"),
    "model": (lambda s: {f"model.{k}": v for k, v in s.items()}, "key prefix 'model.' stripped"),
    "backbone": (lambda s: {f"backbone.{k}": v for k, v in s.items()}, "prefix 'backbone.'"),
    "encoder": (lambda s: {f"encoder.{k}": v for k, v in s.items()}, "prefix 'encoder.'"),
    "nested_state_dict": (lambda s: {"state_dict": s, "epoch": 7}, 'checkpoint\'s ["state_dict"]'),
    "nested_model": (lambda s: {"model": s, "optimizer": {"lr": 0.1}}, 'checkpoint\'s ["model"]'),
    "lightning": (
        _lightning,
        "key prefix 'model.' stripped; 1 other key (outside 'model.') left out",
    ),
}


@pytest.mark.parametrize(
    ("wrapper", "arch"),
    [(w, "auto") for w in sorted(WRAPPERS)] + [("ddp", "resnet18"), ("lightning", "resnet18")],
)
def test_wrapped_and_prefixed_state_dicts_load_and_say_what_was_stripped(tmp_path, wrapper, arch):
    make, said = WRAPPERS[wrapper]
    state = resnet18_state(classes=10)
    path = tmp_path / f"{wrapper}.ckpt"
    torch.save(make(state), path)

    report = validate(project_with("backbone_from_file", path=str(path), architecture=arch))
    assert report.ok, report.issue
    assert said in report.blocks[0].note
    assert "fc.weight" in report.blocks[0].note  # the fine-tuned head, left out
    module = build("backbone_from_file", path=str(path), architecture=arch)
    assert torch.all(module.model.conv1.weight == 0.25)
    assert torch.equal(module.model.layer3[0].bn1.running_mean, state["layer3.0.bn1.running_mean"])


def test_a_prefixed_file_also_loads_into_the_torchvision_block(tmp_path):
    path = tmp_path / "ddp.pt"
    torch.save({f"module.{k}": v for k, v in resnet18_state().items()}, path)
    params = {"architecture": "resnet18", "weights": "file", "weights_file": str(path)}
    report = validate(project_with("torchvision_backbone", **params))
    assert report.ok, report.issue
    assert "key prefix 'module.' stripped" in report.blocks[0].note
    assert torch.all(build("torchvision_backbone", **params).model.conv1.weight == 0.25)


def test_cli_validate_prints_the_blocks_status(tmp_path, capsys):
    from ftstudio.cli import main
    from ftstudio.core import project as project_io

    path = tmp_path / "ddp.pt"
    torch.save({"state_dict": {f"module.{k}": v for k, v in resnet18_state().items()}}, path)
    project = project_with("backbone_from_file", path=str(path))
    project_io.save(project, tmp_path / "p.ftproj")
    assert main(["validate", str(tmp_path / "p.ftproj")]) == 0
    out = capsys.readouterr().out
    assert "resnet18 (guessed from the file)" in out
    assert "key prefix 'module.' stripped" in out and '["state_dict"]' in out


# ---------------------------------------------------------------- item 5: the file says its kind


def test_the_default_architecture_is_auto_not_torchscript():
    assert blocks.get("backbone_from_file").resolve({})["architecture"] == "auto"


@pytest.mark.parametrize(
    ("arch", "suffix"), [("resnet18", ".pth"), ("mobilenet_v2", ".safetensors")]
)
def test_a_state_dict_is_recognised_as_its_torchvision_architecture(tmp_path, arch, suffix):
    from safetensors.torch import save_file

    torch.manual_seed(0)
    state = torchvision.models.get_model(arch, weights=None, num_classes=7).state_dict()
    path = tmp_path / f"weights{suffix}"
    if suffix == ".safetensors":
        save_file(state, str(path))
    else:
        torch.save(state, path)

    report = validate(project_with("backbone_from_file", path=str(path)))
    assert report.ok, report.issue
    assert report.blocks[0].note.startswith(f"{arch} (guessed from the file)")
    module = build("backbone_from_file", path=str(path))
    assert isinstance(module.model, type(torchvision.models.get_model(arch, weights=None)))
    first = next(iter(state))
    assert torch.equal(module.model.state_dict()[first], state[first])


@pytest.mark.parametrize("how", ["script", "trace"])
def test_a_torchscript_archive_is_recognised_as_torchscript(tmp_path, how):
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.AdaptiveAvgPool2d(1))
    net = net.append(torch.nn.Flatten()).eval()
    scripted = (
        torch.jit.script(net) if how == "script" else torch.jit.trace(net, torch.zeros(1, *SHAPE))
    )
    path = tmp_path / "net.pth"  # a .pth suffix says nothing about the kind
    torch.jit.save(scripted, str(path))
    report = validate(project_with("backbone_from_file", path=str(path)))
    assert report.ok, report.issue
    assert report.blocks[0].note == "TorchScript archive (recognised from the file)"
    assert report.blocks[0].out_shape == (4,)


def test_an_unknown_architecture_says_so_and_points_at_torchscript_and_custom_blocks(tmp_path):
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.BatchNorm2d(8))
    path = tmp_path / "mine.pth"
    torch.save(net.state_dict(), path)
    report = validate(project_with("backbone_from_file", path=str(path)))
    issue = report.issue
    assert issue is not None and issue.index == 0 and issue.kind == "weights"
    assert issue.title == "Weights problem"
    assert "not from an architecture FT Studio knows" in issue.message
    assert "TorchScript" in issue.message and "custom blocks" in issue.message
    for text in ("weights_only", "corrupted", "Shape error"):
        assert text not in issue.message


def test_torchscript_chosen_for_a_state_dict_says_what_the_file_is(tmp_path):
    path = tmp_path / "resnet18.pth"
    torch.save(resnet18_state(), path)
    report = validate(
        project_with("backbone_from_file", path=str(path), architecture="torchscript")
    )
    message = report.issue.message
    assert report.issue.kind == "weights"
    assert "is a state dict (it fits resnet18), not a TorchScript archive" in message
    assert "'auto'" in message
    for text in ("weights_only", "corrupted"):
        assert text not in message


def test_a_wrong_architecture_named_by_the_user_is_told_the_one_that_fits(tmp_path):
    path = tmp_path / "resnet18.pth"
    torch.save(resnet18_state(), path)
    with pytest.raises(WeightsUnavailableError) as info:
        build("backbone_from_file", path=str(path), architecture="resnet34")
    assert "The file fits resnet18" in str(info.value)


def test_the_guess_is_fast_and_cached_per_file(tmp_path):
    import time

    from ftstudio.core.blocks import weight_files

    path = tmp_path / "resnet18.pth"
    torch.save(resnet18_state(), path)
    weight_files.guess_architecture(path)  # signatures loaded once per process
    weight_files.clear_cache()
    start = time.perf_counter()
    assert weight_files.guess_architecture(path).arch == "resnet18"
    first = time.perf_counter() - start
    start = time.perf_counter()
    weight_files.guess_architecture(path)
    assert time.perf_counter() - start < first / 10
    assert first < 5.0  # ~0.15 s on a quiet machine; generous for a shared one
    torch.save(torchvision.models.resnet34().state_dict(), path)  # same path, new file
    assert weight_files.guess_architecture(path).arch == "resnet34"


def test_shipped_signatures_match_this_torchvision():
    from ftstudio.core.blocks.arch_signatures import (
        _shipped,
        signature_of,
        torchvision_architectures,
    )

    shipped = _shipped()
    assert set(shipped) == set(torchvision_architectures())
    for arch in ("resnet18", "mobilenet_v2", "vit_b_16"):
        with torch.device("meta"):
            live = signature_of(arch, torchvision.models.get_model(arch, weights=None))
        assert shipped[arch] == live


# ---------------------------------------------------------------- item 8: the weights' preprocessing

IMAGENET_MEAN = [0.485, 0.456, 0.406]


def _image_project(tmp_path, weights_path, **params) -> Project:
    import numpy as np
    from PIL import Image

    for name in ("a", "b"):
        (tmp_path / "images" / name).mkdir(parents=True)
        for i in range(2):
            pixels = np.full((20, 20, 3), 40 * i, dtype=np.uint8)
            Image.fromarray(pixels).save(tmp_path / "images" / name / f"{i}.png")
    project = project_with("backbone_from_file", path=str(weights_path), **params)
    project.data = {"source": "image-folder", "path": str(tmp_path / "images"), "num_workers": 0}
    return project


def test_a_torchvision_file_is_fed_its_imagenet_preprocessing_at_the_project_size(tmp_path):
    from ftstudio.core.data import load_data
    from ftstudio.core.export import info

    path = tmp_path / "resnet18.pth"
    torch.save(resnet18_state(classes=10), path)
    project = _image_project(tmp_path, path)
    report = validate(project)
    assert report.ok, report.issue
    note = report.blocks[0].note
    assert "ResNet18_Weights.IMAGENET1K_V1" in note and "mean (0.485, 0.456, 0.406)" in note

    prep = load_data(project).info["preprocessing"]
    assert prep["mean"] == pytest.approx(IMAGENET_MEAN)
    assert list(prep["input_shape"]) == list(SHAPE)
    assert prep["resize"] == round(64 * 256 / 224)  # torchvision's 256 -> 224, scaled to 64 px
    exported = info.preprocessing_for(project, SHAPE)
    assert exported["mean"] == pytest.approx(IMAGENET_MEAN)
    assert exported["resize"] == prep["resize"] and exported["size"] == [64, 64]


def test_the_export_readme_states_the_preprocessing(tmp_path):
    from ftstudio.core.export.api import export_project

    path = tmp_path / "resnet18.pth"
    torch.save(resnet18_state(classes=10), path)
    export_project(_image_project(tmp_path, path), tmp_path / "out")
    readme = (tmp_path / "out" / "README.md").read_text()
    assert "ResNet18_Weights.IMAGENET1K_V1" in readme
    assert "shorter side resized to 73, centre crop to 64x64" in readme
    assert "mean [0.485, 0.456, 0.406]" in readme


def test_the_project_preprocessing_stays_available(tmp_path):
    from ftstudio.core.data import load_data

    path = tmp_path / "resnet18.pth"
    torch.save(resnet18_state(), path)
    project = _image_project(tmp_path, path, preprocessing="project")
    assert validate(project).blocks[0].note.endswith("mean = std = 0.5")
    assert load_data(project).info["preprocessing"]["mean"] == pytest.approx([0.5] * 3)


def test_with_another_torchvision_version_the_guess_stays_fast_and_is_confirmed(
    tmp_path, monkeypatch
):
    from ftstudio.core.blocks import arch_signatures, weight_files

    path = tmp_path / "resnet18.pth"
    torch.save(resnet18_state(), path)
    arch_signatures.signature.cache_clear()
    weight_files.clear_cache()
    monkeypatch.setattr(torchvision, "__version__", "0.0.0-other")
    built = []
    real = torchvision.models.get_model
    monkeypatch.setattr(
        torchvision.models, "get_model", lambda arch, **kw: built.append(arch) or real(arch, **kw)
    )
    try:
        assert weight_files.guess_architecture(path).arch == "resnet18"
        assert built == ["resnet18"]  # ranked with the shipped signatures, one confirmed
    finally:
        arch_signatures.signature.cache_clear()
        weight_files.clear_cache()
