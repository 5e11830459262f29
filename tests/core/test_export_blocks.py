"""Every block type exports as code (or, for a TorchScript file, as TorchScript) and the
exported model gives the app's outputs without FT Studio installed."""

from __future__ import annotations

import importlib.util

import pytest
import torch
import torchvision
from export_helpers import HAVE_ONNX, in_app_model, job, run_exported
from safetensors.torch import save_file
from tiny_nets import TinyNet

from ftstudio.core import blocks
from ftstudio.core import project as project_io
from ftstudio.core.builder import build_model
from ftstudio.core.export import NotExportableError, export_project
from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")
ONNX = ("onnx",) if HAVE_ONNX else ()  # model.onnx, where the [onnx] extra is installed
HAVE_TIMM = importlib.util.find_spec("timm") is not None  # the [timm] extra


def _project(name, shape, task, blocks_):
    project = Project(name=name, input=InputSpec(shape=shape), task=task)
    for type_name, params in blocks_:
        project.blocks.append(make_block(type_name, project, **params))
    return project


def _projects(tmp_path, torchscript_file):
    """Small valid stacks that use every registered block type at least once."""
    earlier = _project(
        "earlier",
        (12,),
        TaskSpec(kind="regression", num_outputs=2),
        [("mlp", {"hidden": 6, "init": "xavier"}), ("flatten", {}), ("regression_head", {})],
    )
    earlier.blocks[-1].params["outputs"] = 2
    earlier_path = project_io.save(earlier, tmp_path / "earlier.ftproj")
    weights = tmp_path / "earlier.safetensors"
    state = build_model(earlier).state_dict()
    save_file({k: v.contiguous() for k, v in state.items()}, str(weights))
    mobilenet = tmp_path / "mobilenet.pt"
    torch.manual_seed(0)
    net = torchvision.models.get_model("mobilenet_v3_small", weights=None)
    torch.save(net.state_dict(), mobilenet)
    cls3 = TaskSpec(num_classes=3)
    timm = [
        (
            "timm_backbone",
            {"architecture": "resnet10t", "weights": "none", "output": "feature_map"},
        ),
        ("global_avg_pool", {}),
        ("linear_classifier", {"classes": 3}),
    ]
    tokens = _project(
        "tokens",
        (100, 128),
        TaskSpec(kind="token_classification", num_classes=10),
        [("linear_projection", {"features": 8}), ("token_classifier", {"classes": 10})],
    )
    tokens.data = {"source": "synthetic-sequence", "samples": 20}
    optional = {"timm": _project("timm", (3, 32, 32), cls3, timm)} if HAVE_TIMM else {}
    return optional | {
        "attention": _project(
            "attention",
            (3, 32, 32),
            cls3,
            [
                (
                    "torchvision_backbone",
                    {
                        "architecture": "mobilenet_v3_small",
                        "weights": "none",
                        "output": "feature_map",
                    },
                ),
                ("channel_projection", {"channels": 8}),
                ("feature_map_to_sequence", {}),
                ("transformer_encoder", {"heads": 2, "ff_dim": 16}),
                ("self_attention", {"heads": 2}),
                ("layer_norm", {}),
                ("sequence_pool", {"mode": "max"}),
                ("mlp_head", {"hidden": 8, "classes": 3}),
            ],
        ),
        "adapters": _project(
            "adapters",
            (3, 16, 16),
            cls3,
            [
                ("small_cnn", {"width": 4, "stages": 2, "output": "feature_map"}),
                ("global_avg_pool", {}),
                ("sequence_from_vector", {"tokens": 4}),
                ("mlp", {"hidden": 6, "layers": 2, "activation": "gelu", "init": "kaiming"}),
                ("sequence_pool", {"mode": "first"}),
                ("dropout", {"p": 0.2}),
                ("activation", {"function": "silu"}),
                ("linear_projection", {"features": 5, "bias": False}),
                ("linear_classifier", {"classes": 3}),
            ],
        ),
        "regression": earlier,
        "tokens": tokens,
        "stack": _project(
            "stack",
            (12,),
            cls3,
            [
                ("stack_from_file", {"stack": str(earlier_path), "weights": str(weights)}),
                ("linear_classifier", {"classes": 3}),
            ],
        ),
        "state_dict_backbone": _project(
            "state_dict_backbone",
            (3, 32, 32),
            cls3,
            [
                (
                    "backbone_from_file",
                    {"path": str(mobilenet), "architecture": "mobilenet_v3_small"},
                ),
                ("linear_classifier", {"classes": 3}),
            ],
        ),
        "torchscript_backbone": _project(
            "torchscript_backbone",
            (3, 8, 8),
            cls3,
            [
                ("backbone_from_file", {"path": str(torchscript_file[0])}),
                ("linear_classifier", {"classes": 3}),
            ],
        ),
    }


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("blocks")
    torch.manual_seed(0)
    script = tmp / "tiny.pt"
    torch.jit.save(torch.jit.script(TinyNet().eval()), str(script))
    projects = _projects(tmp, (script, None))
    gen = torch.Generator().manual_seed(1)
    cases, jobs = {}, []
    for name, project in projects.items():
        project.blocks[0].frozen = name == "adapters"
        formats = () if name == "torchscript_backbone" else ("torchscript", *ONNX)
        result = export_project(project, tmp / f"out-{name}", formats=formats)
        x = torch.randn((3, *project.input.shape), generator=gen)
        cases[name] = (project, result, x)
        jobs.append(job(result.out_dir, x))
    return cases, run_exported(jobs, tmp)


def test_the_projects_cover_every_block_type(exported):
    cases, _ = exported
    used = {spec.type for project, _, _ in cases.values() for spec in project.blocks}
    used |= {"mlp", "flatten", "regression_head"}  # inside the stack_from_file block
    used |= set() if HAVE_TIMM else {"timm_backbone"}  # needs the [timm] extra
    used |= {"hf_text_encoder"}  # token ids in: exported with parity in test_text_templates.py
    assert used == {t.name for t in blocks.all_types()}
    assert all(t.code is not None for t in blocks.all_types())


def test_every_exported_project_matches_the_app(exported):
    cases, ran = exported
    for (name, (project, result, x)), out in zip(cases.items(), ran, strict=True):
        app = in_app_model(project, result.out_dir)
        with torch.no_grad():
            expected = app(x)
        assert out["keys"] == list(app.state_dict()), name
        assert torch.allclose(out["y"], expected, atol=1e-5), name
        expected_mode = "torchscript" if name == "torchscript_backbone" else "code"
        assert result.mode == expected_mode, name


def test_every_block_type_passes_the_parity_check_in_every_format(exported):
    """model.py exactly, TorchScript within 1e-5 and ONNX within 1e-4 of the app's model."""
    cases, _ = exported
    for name, (_, result, _) in cases.items():
        assert result.skipped == {}, name
        report = result.parity
        assert report is not None and report.ok, (name, [f.line() for f in report.files])
        diffs = {f.file: f.max_abs_diff for f in report.files}
        onnx = ["model.onnx"] if ONNX and name != "torchscript_backbone" else []
        assert list(diffs) == ["model.py", "model.ts", *onnx], name  # model.ts: asked or fallback
        if result.mode == "code":
            assert diffs["model.py"] == 0.0, name  # the same code and weights: bit for bit
        assert diffs.get("model.ts", 0.0) <= 1e-5 and diffs.get("model.onnx", 0.0) <= 1e-4


def test_generated_code_uses_literal_arguments(exported):
    cases, _ = exported
    source = (cases["attention"][1].out_dir / "model.py").read_text()
    assert 'nn.TransformerEncoderLayer(8, 2, 16, 0.1, activation="gelu", batch_first=True' in source
    assert "layers.SelfAttention(8, 2, 0.0, True, True)" in source
    stack = (cases["stack"][1].out_dir / "model.py").read_text()
    assert "layers.BlockStack(OrderedDict([" in stack
    assert '("mlp_1", layers.MLP(12, 6, 1, "relu", 0.1, "xavier"))' in stack
    assert "regression_head" not in stack.split("def build_model")[1]  # dropped head
    frozen = (cases["adapters"][1].out_dir / "model.py").read_text()
    assert 'FROZEN = ["small_cnn_1"]' in frozen


def test_torchscript_backbone_falls_back_and_says_so(exported):
    cases, _ = exported
    result = cases["torchscript_backbone"][1]
    assert (result.out_dir / "model.ts").is_file()
    assert any("TorchScript" in note and "Backbone from file" in note for note in result.notes)


def test_torchscript_backbone_without_fallback_is_a_clear_error(exported, tmp_path):
    cases, _ = exported
    project = cases["torchscript_backbone"][0]
    with pytest.raises(NotExportableError) as info:
        export_project(project, tmp_path / "out", fallback_torchscript=False)
    message = str(info.value)
    assert "Block 1 'Backbone from file'" in message and "state dict" in message
    assert info.value.block_id == project.blocks[0].id
    assert not (tmp_path / "out" / "model.py").exists()
