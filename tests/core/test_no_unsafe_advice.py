"""No message repeats torch's advice to set ``weights_only=False``: a pickle holding a custom
class goes through every loader path (weights, checkpoints, resume, evaluate, export, tensor
data, TorchScript backbones, the torchvision cache) and each says why in its own words."""

from __future__ import annotations

import pytest
import torch
from tiny_nets import TinyNet
from train_helpers import digits_project, write_project

from ftstudio.cli import main
from ftstudio.core.errors import FTStudioError
from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block

ADVICE = ("weights_only", "WeightsUnpickler", "add_safe_globals", "safe_globals")


@pytest.fixture
def pickled(tmp_path):
    """A .pt file holding a custom class: safe loaders must refuse it."""
    path = tmp_path / "pickled.pt"
    torch.save({"model": TinyNet(), "format": "ftstudio-checkpoint", "note": object}, path)
    return path


def assert_no_advice(text: str) -> None:
    assert text.strip() and "Traceback" not in text
    for word in ADVICE:
        assert word not in text, text


@pytest.mark.parametrize("command", ["export", "evaluate", "resume", "validate-backbone", "data"])
def test_cli_loader_paths_never_advise_unsafe_loading(tmp_path, pickled, capsys, command):
    project = digits_project(tmp_path / "p.ftproj", epochs=1)
    argv = {
        "export": [
            "export",
            str(project),
            "--out",
            str(tmp_path / "o"),
            "--checkpoint",
            str(pickled),
        ],
        "evaluate": ["evaluate", str(project), "--checkpoint", str(pickled)],
        "resume": ["train", str(project), "--resume", str(pickled), "--out", str(tmp_path / "r")],
    }.get(command)
    if command == "validate-backbone":
        project = write_project(
            tmp_path / "b.ftproj",
            [
                {"id": "bb", "type": "backbone_from_file", "params": {"path": str(pickled)}},
                {"id": "head", "type": "linear_classifier", "params": {"classes": 5}},
            ],
            [3, 8, 8],
            {"kind": "classification", "num_classes": 5},
            {"source": "digits", "classes": "0-4"},
        )
        argv = ["train", str(project), "--out", str(tmp_path / "r"), "--quiet"]
    if command == "data":
        project = write_project(
            tmp_path / "d.ftproj",
            [{"id": "head", "type": "linear_classifier", "params": {"classes": 5}}],
            [4],
            {"kind": "classification", "num_classes": 5},
            {"source": "tensor-file", "path": str(pickled)},
        )
        argv = ["train", str(project), "--out", str(tmp_path / "r"), "--quiet"]
    assert main(argv) != 0
    captured = capsys.readouterr()
    assert_no_advice(captured.err)
    assert_no_advice(captured.err + captured.out + " ")


@pytest.mark.parametrize("architecture", ["torchscript", "resnet18"])
def test_a_pickle_as_backbone_file_is_refused_in_our_words(pickled, architecture):
    from ftstudio.core.builder import build_model

    project = Project(input=InputSpec(shape=(3, 32, 32)), task=TaskSpec(num_classes=2))
    project.blocks.append(
        make_block("backbone_from_file", project, path=str(pickled), architecture=architecture)
    )
    project.blocks.append(make_block("linear_classifier", project, classes=2))
    with pytest.raises(FTStudioError) as info:
        build_model(project)
    assert_no_advice(str(info.value))


def test_a_pickle_in_the_torchvision_cache_is_refused_in_our_words(offline_hub, pickled):
    from ftstudio.core import blocks
    from ftstudio.core.weights import hub_cache_file

    checkpoints, _attempts = offline_hub
    checkpoints.mkdir(parents=True)
    url = torchvision_url()
    hub_cache_file(url).write_bytes(pickled.read_bytes())
    block = blocks.get("torchvision_backbone")
    params = block.resolve({"architecture": "resnet18", "weights": "DEFAULT"})
    with pytest.raises(FTStudioError) as info:
        block.make(params, (3, 32, 32), load_weights=True)
    assert_no_advice(str(info.value))
    assert "delete" in str(info.value)


def torchvision_url() -> str:
    import torchvision

    return torchvision.models.ResNet18_Weights.DEFAULT.url


def test_exported_scripts_refuse_a_pickle_in_their_own_words(tmp_path, pickled):
    from export_helpers import run_script

    from ftstudio.core.export import export_project
    from ftstudio.core.templates import load_template

    out = tmp_path / "out"
    export_project(load_template("seed-sequence"), out)
    for script, args in (("predict.py", [str(pickled)]), ("train.py", ["--resume", str(pickled)])):
        result = run_script(out, script, *args)
        assert result.returncode != 0
        assert "never unpickles code" in result.stderr
        assert_no_advice(result.stderr)


def test_exported_load_model_refuses_a_pickle_in_its_own_words(tmp_path, pickled):
    from export_helpers import BLOCKER, run_python

    from ftstudio.core.export import export_project
    from ftstudio.core.templates import load_template

    out = tmp_path / "out"
    export_project(load_template("seed-sequence"), out)
    code = BLOCKER + f"\nimport model\nmodel.load_model({str(pickled)!r})\n"
    result = run_python(code, cwd=out)
    assert result.returncode != 0 and "load_model reads weights only" in result.stderr
    assert not any(word in result.stderr for word in ADVICE)
