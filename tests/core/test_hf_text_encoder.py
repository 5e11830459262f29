"""Issue 12: the "Transformer encoder (Hugging Face)" block, token-id inputs and the padding
mask, with a tiny BERT the tests write (no network)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

from ftstudio.core.blocks import hf_text
from ftstudio.core.builder import build_model, freeze_units, parameter_groups
from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block
from ftstudio.core.shapes import validate

T = 12


def _project(folder: Path, *after: str, kind: str = "token_classification") -> Project:
    project = Project(
        name="text", input=InputSpec(shape=(T,), dtype="int64"), task=TaskSpec(kind, 3)
    )
    project.blocks = [make_block("hf_text_encoder", project, folder=str(folder))]
    for name in after:
        params = {"heads": 2} if name in ("self_attention", "transformer_encoder") else {}
        params |= {"classes": 3} if name in ("token_classifier", "linear_classifier") else {}
        project.blocks.append(make_block(name, project, **params))
    return project


def test_without_transformers_the_block_is_listed_and_a_project_says_how_to_install(
    tmp_path, monkeypatch
):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name in ("transformers", "tokenizers") else real(name, *a),
    )
    assert not hf_text.available()
    assert hf_text.BLOCK.title == "Transformer encoder (Hugging Face)"
    assert "ftstudio[text]" in hf_text.describe()
    project = _project(tmp_path / "enc", "self_attention", "token_classifier")
    report = validate(project)  # never a crash: an issue naming the extra
    assert report.issue is not None and report.issue.index == 0
    assert "pip install 'ftstudio[text]'" in report.issue.message


transformers = pytest.importorskip("transformers")
from text_helpers import HIDDEN, tiny_encoder  # noqa: E402


@pytest.fixture(scope="module")
def encoder(tmp_path_factory) -> Path:
    return tiny_encoder(tmp_path_factory.mktemp("tiny_bert"))


def test_shapes_are_checked_on_the_meta_device_for_token_ids(encoder):
    project = _project(encoder, "self_attention", "token_classifier")
    report = validate(project)
    assert report.issue is None, report.issue
    first = report.blocks[0]
    assert first.in_shape == (T,) and first.out_shape == (T, HIDDEN)
    assert first.stages == ["embeddings", "layer.0", "layer.1"]
    assert report.blocks[-1].out_shape == (T, 3)
    floats = _project(encoder, "token_classifier")
    floats.input.dtype = "float32"  # (B, T) floats are not token ids
    issue = validate(floats).issue
    assert issue.index == 0 and "token ids" in issue.message
    ids_into_linear = Project(input=InputSpec(shape=(T,), dtype="int64"), task=TaskSpec())
    ids_into_linear.blocks = [make_block("linear_classifier", ids_into_linear, classes=10)]
    issue = validate(ids_into_linear).issue
    assert "Transformer encoder (Hugging Face)" in issue.message


def test_a_hub_name_not_in_the_cache_names_the_cache_and_the_remedies(
    encoder, tmp_path, monkeypatch
):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    project = _project(encoder, "token_classifier")
    project.blocks[0].params.update(folder="", hub_name="someone/not-cached-model")
    issue = validate(project).issue
    assert issue.kind == "weights"
    assert hf_text.hub_cache() in issue.message
    assert "huggingface-cli download someone/not-cached-model" in issue.message


def test_a_folder_without_safetensors_is_refused(encoder, tmp_path):
    folder = tmp_path / "bin_only"
    folder.mkdir()
    (folder / "config.json").write_bytes((encoder / "config.json").read_bytes())
    (folder / "pytorch_model.bin").write_bytes(b"not loaded")
    project = _project(folder, "token_classifier")
    issue = validate(project).issue
    assert issue.kind == "weights" and "safetensors" in issue.message
    project.blocks[0].params["weights"] = "none"  # random init needs the config only
    assert validate(project).issue is None


def test_a_file_of_the_folder_stands_for_the_folder(encoder):
    """The window's Browse button picks files: picking config.json chooses its folder."""
    project = _project(encoder / "config.json", "token_classifier")
    assert validate(project).issue is None
    assert hf_text.encoder_folder({"folder": str(encoder / "config.json")}) == encoder


def test_the_pretrained_weights_are_the_folders(encoder):
    model = build_model(_project(encoder, "token_classifier"))
    saved = transformers.AutoModel.from_pretrained(str(encoder)).state_dict()
    mine = model.get_submodule("hf_text_encoder_1").model.state_dict()
    assert mine and all(torch.equal(mine[k], saved[k]) for k in mine)


def _ids(pad_to: int) -> torch.Tensor:
    words = [2, 17, 19, 12, 21, 36, 3]  # [CLS] john lives in paris . [SEP]
    return torch.tensor([words + [0] * (pad_to - len(words))])


@pytest.mark.parametrize(
    "stack",
    [
        ("self_attention", "token_classifier"),
        ("transformer_encoder", "token_classifier"),
        ("self_attention", "sequence_pool", "linear_classifier"),
    ],
)
def test_padded_positions_never_count(encoder, stack):
    kind = "classification" if "sequence_pool" in stack else "token_classification"
    model = build_model(_project(encoder, *stack, kind=kind)).eval()
    short, long = model(_ids(8)), model(_ids(T))
    if kind == "classification":
        assert torch.allclose(short, long, atol=1e-5)
    else:
        assert torch.allclose(short[:, :7], long[:, :7], atol=1e-5)
    unmasked = torch.nn.Sequential(*model)  # the same blocks without the mask differ
    assert not torch.allclose(unmasked(_ids(8))[:, :1], unmasked(_ids(T))[:, :1], atol=1e-5)


def test_masked_pooling_by_hand():
    from ftstudio.core.blocks.layers import SequencePool

    x = torch.tensor([[[1.0], [3.0], [100.0]]])
    mask = torch.tensor([[True, True, False]])
    assert SequencePool("mean")(x, mask).item() == 2.0
    assert SequencePool("max")(x, mask).item() == 3.0


@pytest.mark.parametrize("frozen_stages", [None, ["embeddings", "layer.0"]])
def test_a_training_step_leaves_the_frozen_encoder_bit_identical(encoder, frozen_stages):
    torch.manual_seed(0)
    project = _project(encoder, "self_attention", "token_classifier")
    spec = project.blocks[0]
    spec.frozen = frozen_stages is None
    spec.frozen_stages = frozen_stages or []
    model = build_model(project).train()
    enc = model.get_submodule(spec.id)
    parts = [enc] if spec.frozen else [m for s in spec.frozen_stages for m in freeze_units(enc)[s]]
    assert all(not m.training for p in parts for m in p.modules())  # dropout off
    before = [t.clone() for p in parts for t in (*p.parameters(), *p.buffers())]
    assert any(True for p in parts for _ in p.buffers())  # BERT's position/type-id buffers
    optimizer = torch.optim.SGD(parameter_groups(model, project, 0.5), lr=0.5)
    ids = _ids(T).repeat(4, 1)
    out = model(ids)
    torch.nn.functional.cross_entropy(
        out.transpose(1, 2), torch.ones(4, T, dtype=torch.long)
    ).backward()
    optimizer.step()
    after = [t for p in parts for t in (*p.parameters(), *p.buffers())]
    assert all(torch.equal(a, b) for a, b in zip(before, after, strict=True))
    head = model.get_submodule(project.blocks[-1].id)
    assert head.weight.grad is not None and head.weight.grad.abs().sum() > 0
    if not spec.frozen:
        last = freeze_units(enc)["layer.1"][0]
        assert all(p.grad is not None for p in last.parameters() if p.requires_grad)


def test_a_slow_first_import_is_not_taken_for_a_loop(encoder, monkeypatch):
    """Importing transformers can take longer than the time limit that validation gives user
    code (seen in the window on a loaded machine): the block runs library code only."""
    import time

    from ftstudio.core import time_limit

    monkeypatch.setenv("FTSTUDIO_USER_CODE_TIME_LIMIT_S", "0.05")
    real = layers_module().HFTextEncoder.__init__

    def slow(self, folder):
        time.sleep(0.2)  # stands for the first import of transformers' BERT
        real(self, folder)

    monkeypatch.setattr(layers_module().HFTextEncoder, "__init__", slow)
    project = _project(encoder, "token_classifier")
    project.input.shape = (T + 1,)  # not cached by an earlier test
    assert time_limit.user_code_time_limit() == 0.05
    assert validate(project).issue is None


def layers_module():
    from ftstudio.core.blocks import layers

    return layers
