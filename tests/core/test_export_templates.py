"""Exporting each template: the exported code runs without FT Studio and matches the app."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from export_helpers import in_app_model, job, run_exported, run_script
from PIL import Image

from ftstudio.core.export import export_project, info
from ftstudio.core.templates import load_template

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def _template(name: str):
    project = load_template(name)
    if name == "image-resnet18":
        project.blocks[0].params["weights"] = "none"  # no download in tests
    return project


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """Every template exported (resnet18 also as TorchScript), and run in one subprocess."""
    root = tmp_path_factory.mktemp("templates")
    gen = torch.Generator().manual_seed(0)
    inputs = {
        "digits-transfer": torch.rand(4, 1, 16, 16, generator=gen),
        "seed-sequence": torch.randn(2, 100, 128, generator=gen),
        "image-resnet18": torch.randn(2, 3, 224, 224, generator=gen),
    }
    out = {}
    jobs = []
    for name, x in inputs.items():
        project = _template(name)
        formats = ("torchscript",) if name == "image-resnet18" else ()
        result = export_project(project, root / name, formats=formats)
        out[name] = {"project": project, "result": result, "x": x}
        jobs.append(job(root / name, x, ts=bool(formats)))
    for name, ran in zip(inputs, run_exported(jobs, root), strict=True):
        out[name]["ran"] = ran
    return out


@pytest.mark.parametrize("name", ["digits-transfer", "seed-sequence", "image-resnet18"])
def test_exported_template_matches_the_app(exports, name):
    case = exports[name]
    folder = case["result"].out_dir
    app = in_app_model(case["project"], folder)
    with torch.no_grad():
        expected = app(case["x"])
    assert case["ran"]["keys"] == list(app.state_dict())
    assert case["ran"]["y"].shape == expected.shape
    assert torch.allclose(case["ran"]["y"], expected, atol=1e-5)
    names = {p.name for p in case["result"].files}
    assert {"model.py", "layers.py", "model.safetensors", "predict.py", "train.py"} <= names
    assert case["result"].mode == "code"
    source = (folder / "model.py").read_text()
    for spec in case["project"].blocks:
        assert f'("{spec.id}", ' in source  # submodules named by block id
        assert spec.label in source  # a comment per block with its display name


def test_resnet_export_has_preprocessing_and_torchscript(exports):
    case = exports["image-resnet18"]
    source = (case["result"].out_dir / "model.py").read_text()
    assert 'torchvision.models.get_model("resnet18", weights=None)' in source
    # exported here with weights 'none' (no download in tests): the project's size rules
    assert "'mean': [0.5, 0.5, 0.5]" in source and "'resize': None" in source
    # with the template's pretrained weights, their resize and mean/std are stated
    pretrained = info.preprocessing_for(load_template("image-resnet18"), (3, 224, 224))
    assert pretrained["resize"] == 256 and pretrained["mean"] == [0.485, 0.456, 0.406]
    assert torch.allclose(case["ran"]["y_ts"], case["ran"]["y"], atol=1e-5)
    frozen = source.split("FROZEN = ")[1].split("]")[0]
    assert '"backbone.model.bn1"' in frozen and '"backbone.model.layer3"' in frozen
    assert "layer4" not in frozen  # the stage left trainable stays out


def test_digits_export_states_classes_and_frozen_block(exports):
    source = (exports["digits-transfer"]["result"].out_dir / "model.py").read_text()
    assert 'CLASS_NAMES = ["5", "6", "7", "8", "9"]' in source
    assert 'FROZEN = ["backbone"]' in source
    assert "layers.SmallCNN(1, 16, 2, False)" in source


def test_predict_prints_a_class_for_a_saved_sample(exports):
    folder = exports["digits-transfer"]["result"].out_dir
    np.save(folder.parent / "sample.npy", exports["digits-transfer"]["x"][0].numpy())
    done = run_script(folder, "predict.py", str(folder.parent / "sample.npy"))
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip()
    assert line.startswith(str(folder.parent / "sample.npy") + ": ")
    assert line.split(": ")[1].split(" ")[0] in {"5", "6", "7", "8", "9"} and "(p=" in line


def test_predict_on_an_image_and_per_token_classes(exports):
    folder = exports["image-resnet18"]["result"].out_dir
    picture = folder.parent / "picture.png"
    Image.fromarray((np.random.default_rng(0).random((40, 50, 3)) * 255).astype("uint8")).save(
        picture
    )
    webp = picture.with_suffix(".webp")  # any format Pillow reads, as training does
    Image.open(picture).save(webp)
    done = run_script(folder, "predict.py", str(picture), str(webp))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{picture}: ") and "(p=" in done.stdout
    assert f"{webp}: " in done.stdout

    folder = exports["seed-sequence"]["result"].out_dir
    torch.save({"X": exports["seed-sequence"]["x"]}, folder.parent / "seq.pt")
    done = run_script(folder, "predict.py", str(folder.parent / "seq.pt"))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 2  # one line per sequence, a class per token
    assert all(len(line.split(": ")[1].split()) == 100 for line in lines)
