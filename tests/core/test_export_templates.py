"""Exporting each template: the exported code runs without FT Studio and matches the app, and
every export's own parity check passes for model.py, TorchScript and (with the [onnx] extra)
ONNX (issue 9, acceptance 1)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from export_helpers import HAVE_ONNX, in_app_model, job, run_exported, run_script
from PIL import Image

from ftstudio.core.export import export_project, info
from ftstudio.core.export.folder import MANIFEST
from ftstudio.core.templates import load_template, offline_templates

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def _template(name: str):
    project = load_template(name)
    if name == "image-resnet18":
        project.blocks[0].params["weights"] = "none"  # no download in tests
    return project


FORMATS = ("torchscript", "onnx") if HAVE_ONNX else ("torchscript",)


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """Every template exported with every format (and its parity check); three of them also
    run in one subprocess of this test (resnet18's model.ts too)."""
    root = tmp_path_factory.mktemp("templates")
    gen = torch.Generator().manual_seed(0)
    inputs = {
        "digits-transfer": torch.rand(4, 1, 16, 16, generator=gen),
        "seed-sequence": torch.randn(2, 100, 128, generator=gen),
        "image-resnet18": torch.randn(2, 3, 224, 224, generator=gen),
    }
    out = {}
    for name in offline_templates():
        project = _template(name)
        result = export_project(project, root / name, formats=FORMATS)
        out[name] = {"project": project, "result": result, "x": inputs.get(name)}
    jobs = [job(root / name, x, ts=name == "image-resnet18") for name, x in inputs.items()]
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


@pytest.mark.parametrize("name", offline_templates())
def test_every_template_passes_its_parity_check(exports, name):
    result = exports[name]["result"]
    assert result.skipped == {} and result.failure_message() is None
    report = result.parity
    diffs = {item.file: item.max_abs_diff for item in report.files}
    assert list(diffs) == ["model.py", "model.ts", "model.onnx"][: 1 + len(FORMATS)]
    assert report.ok and all(item.error is None for item in report.files)
    assert diffs["model.py"] == 0.0  # the same code and weights: bit for bit
    assert diffs["model.ts"] <= 1e-5
    assert diffs.get("model.onnx", 0.0) <= 1e-4
    assert 2 not in report.batch_sizes and max(report.batch_sizes) > 1  # not the traced batch
    manifest = json.loads((result.out_dir / MANIFEST).read_text())
    assert manifest["parity"]["ok"] is True
    assert manifest["parity"]["files"]["model.py"] == {
        "max_abs_diff": 0.0,
        "tolerance": 0.0,
        "ok": True,
        "error": None,
    }
    assert set(manifest["parity"]["files"]) == set(diffs)


def test_onnx_export_has_a_dynamic_batch_axis(exports):
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    model = onnx.load(str(exports["digits-transfer"]["result"].out_dir / "model.onnx"))
    [graph_input] = model.graph.input
    batch = graph_input.type.tensor_type.shape.dim[0]
    assert batch.dim_param == "batch" and not batch.HasField("dim_value")


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


def test_predict_json_gives_the_top_k_classes_of_each_sample(exports):
    folder = exports["digits-transfer"]["result"].out_dir
    sample = folder.parent / "two.npy"
    np.save(sample, exports["digits-transfer"]["x"][:2].numpy())
    done = run_script(folder, "predict.py", str(sample), "--top-k", "3", "--json")
    assert done.returncode == 0, done.stderr
    items = json.loads(done.stdout)
    assert [item["input"] for item in items] == [f"{sample}[0]", f"{sample}[1]"]
    names = ["5", "6", "7", "8", "9"]
    for item in items:
        top = item["top_k"]
        assert len(top) == 3 and [c["class"] for c in top] == [names[c["index"]] for c in top]
        p = [c["p"] for c in top]
        assert p == sorted(p, reverse=True) and 0 < sum(p) <= 1 + 1e-6
    text = run_script(folder, "predict.py", str(sample), "--top-k", "2")
    assert text.returncode == 0, text.stderr
    first = text.stdout.splitlines()[0]  # the same prediction, as a line
    assert first == (
        f"{sample}[0]: {items[0]['top_k'][0]['class']} (p={items[0]['top_k'][0]['p']:.3f}), "
        f"{items[0]['top_k'][1]['class']} (p={items[0]['top_k'][1]['p']:.3f})"
    )

    folder = exports["seed-sequence"]["result"].out_dir
    torch.save(exports["seed-sequence"]["x"][:1], folder.parent / "one-seq.pt")
    done = run_script(folder, "predict.py", str(folder.parent / "one-seq.pt"), "--json")
    assert done.returncode == 0, done.stderr
    [item] = json.loads(done.stdout)
    assert len(item["tokens"]) == 100 and all(len(token) == 1 for token in item["tokens"])
