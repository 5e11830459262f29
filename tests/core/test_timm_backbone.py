"""Issue 12, timm half: the "timm backbone" block with tiny timm models (pretrained=False).

A model built and saved here is loaded through the block's file path; shapes are validated on
the meta device; frozen stages stay bit-identical after a training step; the export's
``model.py`` builds the model with timm and passes the parity check in a process that cannot
import FT Studio.
"""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file

timm = pytest.importorskip("timm")

from ftstudio.core.blocks import get, timm_backbone  # noqa: E402
from ftstudio.core.blocks.timm_backbone import cfg_preprocessing  # noqa: E402
from ftstudio.core.builder import build_model, freeze_units, parameter_groups  # noqa: E402
from ftstudio.core.errors import WeightsUnavailableError  # noqa: E402
from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block  # noqa: E402
from ftstudio.core.shapes import validate  # noqa: E402

ARCH = "resnet10t"  # 5M parameters, BatchNorm in every stage
SHAPE = (3, 32, 32)
CLASSES = 3


def _project(shape=SHAPE, **params) -> Project:
    project = Project(name="timm", input=InputSpec(shape=shape), task=TaskSpec(num_classes=CLASSES))
    params = {"architecture": ARCH, "weights": "none", **params}
    project.blocks = [
        make_block("timm_backbone", project, **params),
        make_block("linear_classifier", project, classes=CLASSES),
    ]
    return project


def _saved(tmp_path, suffix=".safetensors"):
    """A resnet10t with its 1000-class head, built with pretrained=False and saved."""
    torch.manual_seed(1)
    model = timm.create_model(ARCH, pretrained=False)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    path = tmp_path / f"{ARCH}{suffix}"
    if suffix == ".safetensors":
        save_file(state, str(path))
    else:
        torch.save(state, path)
    return path, state


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_a_saved_timm_model_loads_through_the_file_path(tmp_path, suffix):
    path, state = _saved(tmp_path, suffix)
    project = _project(weights="file", weights_file=str(path))
    report = validate(project)
    assert report.issue is None, report.issue
    backbone = build_model(project).get_submodule(project.blocks[0].id).model
    loaded = backbone.state_dict()
    assert loaded and all(torch.equal(loaded[k], state[k]) for k in loaded)
    assert "fc.weight" in state and "fc.weight" not in loaded  # the head is left out


def test_a_file_of_another_model_is_refused_by_name(tmp_path):
    path = tmp_path / "other.safetensors"
    other = timm.create_model("test_efficientnet", pretrained=False).state_dict()
    save_file({k: v.contiguous() for k, v in other.items()}, str(path))
    report = validate(_project(weights="file", weights_file=str(path)))
    assert report.issue is not None and str(path) in report.issue.message


def test_shapes_are_validated_on_the_meta_device():
    pooled = validate(_project()).blocks[0]
    assert pooled.out_shape == (512,)
    grey = validate(_project(shape=(1, 64, 48), output="feature_map")).blocks[0]
    assert grey.out_shape == (512, 2, 2)  # in_chans follows the data; stride 32
    vit = _project(shape=(3, 160, 160), architecture="test_vit", output="feature_map")
    vit.blocks[1:] = [make_block("sequence_pool", vit), vit.blocks[1]]
    report = validate(vit)
    assert report.issue is None, report.issue
    assert report.blocks[0].out_shape[1] == timm.create_model("test_vit").num_features


def test_a_fixed_size_model_names_the_size_it_takes():
    report = validate(_project(shape=(3, 64, 64), architecture="test_vit"))
    assert report.issue is not None and report.issue.index == 0
    assert "[3, 160, 160]" in report.issue.message


def test_stages_are_timms_groups():
    project = _project()
    block = build_model(project).get_submodule(project.blocks[0].id)
    units = freeze_units(block)
    assert list(units) == ["stem", "stage1", "stage2", "stage3", "stage4"]
    assert units["stage4"] == [block.model.layer4]  # one module per stage, buffers included


def test_frozen_stages_stay_bit_identical_after_a_step():
    from ftstudio.core.training import fit
    from ftstudio.core.training.run import prepare

    torch.manual_seed(0)
    project = _project()
    spec = project.blocks[0]
    spec.frozen_stages = ["stem", "stage1", "stage2", "stage3"]
    config, data, model = _prepared(project, prepare)
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    fit(model, data, config, param_groups=parameter_groups(model, project, config.lr))
    after = model.state_dict()
    prefix = f"{spec.id}.model."
    frozen = [k for k in before if k.startswith(prefix) and not k.startswith(prefix + "layer4")]
    buffers = [k for k in frozen if k.endswith("running_mean")]
    assert buffers and all(torch.equal(before[k], after[k]) for k in frozen)
    trained = prefix + "layer4.0.bn1.running_mean"
    assert not torch.equal(before[trained], after[trained])  # the free stage trains


def _prepared(project, prepare, shape=SHAPE):
    import tempfile

    folder = tempfile.mkdtemp()
    data = f"{folder}/data.pt"
    torch.save({"X": torch.randn(10, *shape), "y": torch.arange(10) % CLASSES}, data)
    project.data = {"source": "tensor-file", "path": data, "val_fraction": 0.2}
    project.training.update(epochs=1, batch_size=10, lr=0.1, device="cpu", seed=0)
    return prepare(project)


def test_a_vits_frozen_stem_keeps_its_tokens_and_embeddings():
    """A ViT's stem holds bare parameters (class token, position embedding): frozen too."""
    from ftstudio.core.training import fit
    from ftstudio.core.training.run import prepare

    torch.manual_seed(0)
    shape = (3, 160, 160)
    project = _project(shape=shape, architecture="test_vit")
    spec = project.blocks[0]
    spec.frozen_stages = ["stem", "stage1"]
    config, data, model = _prepared(project, prepare, shape)
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    fit(model, data, config, param_groups=parameter_groups(model, project, config.lr))
    after = model.state_dict()
    prefix = f"{spec.id}.model."
    frozen = [prefix + n for n in ("cls_token", "pos_embed", "patch_embed.proj.weight")]
    frozen += [k for k in before if k.startswith(prefix + "blocks.0.")]
    assert all(torch.equal(before[k], after[k]) for k in frozen)
    free = prefix + "blocks.5.mlp.fc2.weight"
    assert not torch.equal(before[free], after[free])


class _Connection:
    def close(self) -> None:
        pass


def _hub_reachable(monkeypatch, reachable: bool) -> None:
    def connect(address, timeout):
        if not reachable:
            raise OSError(-2, "Name or service not known")
        return _Connection()

    monkeypatch.setattr(timm_backbone.socket, "create_connection", connect)


def test_a_failed_download_names_the_cache_and_remedies(monkeypatch):
    def offline(name, pretrained=False, **kwargs):
        if pretrained:
            raise OSError("no network")
        return real(name, pretrained=False, **kwargs)

    real = timm.create_model
    monkeypatch.setattr(timm, "create_model", offline)
    _hub_reachable(monkeypatch, True)
    params = get("timm_backbone").resolve({"architecture": ARCH, "weights": "pretrained"})
    with pytest.raises(WeightsUnavailableError) as caught:
        get("timm_backbone").make(params, SHAPE)
    message = str(caught.value)
    assert "models--timm--resnet10t" in message and "no network" in message
    assert "huggingface-cli download timm/resnet10t" in message and "'none'" in message


def test_offline_the_block_fails_at_once_without_asking_the_hub(monkeypatch):
    asked = []
    monkeypatch.setattr(timm, "create_model", lambda *a, **kw: asked.append(kw))
    _hub_reachable(monkeypatch, False)
    params = get("timm_backbone").resolve({"architecture": ARCH, "weights": "pretrained"})
    with pytest.raises(WeightsUnavailableError) as caught:
        get("timm_backbone").make(params, SHAPE)
    message = str(caught.value)
    assert "huggingface.co cannot be reached (Name or service not known)" in message
    assert "models--timm--resnet10t" in message and "weights to 'file'" in message
    assert asked == []


def test_preprocessing_is_the_pretrained_cfg():
    prep = cfg_preprocessing(ARCH)
    cfg = timm.data.resolve_data_config({}, model=timm.create_model(ARCH))
    assert prep["input_shape"] == list(cfg["input_size"])
    assert prep["mean"] == list(cfg["mean"]) and prep["std"] == list(cfg["std"])
    assert prep["interpolation"] == cfg["interpolation"] == "bicubic"
    assert prep["resize"] == int(cfg["input_size"][1] / cfg["crop_pct"])
    params = get("timm_backbone").resolve({"architecture": ARCH, "weights": "none"})
    assert get("timm_backbone").preprocessing(params) is None  # random weights imply nothing


def test_export_builds_the_model_with_timm_and_passes_parity(tmp_path):
    from ftstudio.core.export import export_project

    path, _ = _saved(tmp_path)
    project = _project(weights="file", weights_file=str(path), output="feature_map")
    project.blocks.insert(1, make_block("global_avg_pool", project))
    result = export_project(project, tmp_path / "out")
    source = (result.out_dir / "model.py").read_text(encoding="utf-8")
    assert "import timm" in source
    assert 'timm.create_model("resnet10t", pretrained=False, num_classes=0)' in source
    assert result.parity.ok, [f.line() for f in result.parity.files]
    assert [f.file for f in result.parity.files] == ["model.py"]


@pytest.fixture
def cached_weights(monkeypatch):
    """timm's pretrained weights as if cached: random ones (the tests never download)."""
    real = timm.create_model
    monkeypatch.setattr(timm, "create_model", lambda name, pretrained=False, **kw: real(name, **kw))
    _hub_reachable(monkeypatch, True)


def test_the_pretrained_cfg_prepares_images_and_is_exported(tmp_path, cached_weights):
    from PIL import Image
    from torchvision.transforms import InterpolationMode, Resize

    from ftstudio.core.data.images import make_transform, preprocessing_for
    from ftstudio.core.export import export_project

    project = _project(shape=(3, 176, 176), weights="pretrained")
    for index, label in enumerate(("a", "b")):
        (tmp_path / "images" / label).mkdir(parents=True)
        pixels = torch.full((40, 50, 3), 60 * index + 30, dtype=torch.uint8).numpy()
        Image.fromarray(pixels).save(tmp_path / "images" / label / "0.png")
    project.data = {"source": "image-folder", "path": str(tmp_path / "images")}
    prep = preprocessing_for(project, (3, 176, 176))
    assert prep == cfg_preprocessing(ARCH) and prep["resize"] == 201
    resize = next(s for s in make_transform(prep, False, False, False).transforms)
    assert isinstance(resize, Resize) and resize.interpolation == InterpolationMode.BICUBIC
    assert resize.size == 201

    result = export_project(project, tmp_path / "out")
    assert result.parity.ok, [f.line() for f in result.parity.files]
    model_py = (result.out_dir / "model.py").read_text(encoding="utf-8")
    assert "'interpolation': 'bicubic'" in model_py and "'resize': 201" in model_py
    predict_py = (result.out_dir / "predict.py").read_text(encoding="utf-8")
    assert 'prep.get("interpolation")' in predict_py
    train_py = (result.out_dir / "train.py").read_text(encoding="utf-8")
    assert 'T.Resize(201, interpolation=T.InterpolationMode("bicubic")' in train_py
