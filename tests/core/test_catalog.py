"""The block catalog, timm style: every registered type builds, runs and matches its prediction."""

from __future__ import annotations

import json

import pytest
import torch

from ftstudio.cli import main
from ftstudio.core import blocks
from ftstudio.core.blocks.registry import KIND_BY_RANK, BlockType, TokenShape, register
from ftstudio.core.errors import ShapeMismatch, WeightsUnavailableError
from ftstudio.core.shapes import analyze_block

# torch.jit is deprecated in favour of torch.export, but users still have TorchScript files.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:FutureWarning")
SAMPLE = {"vector": (12,), "sequence": (5, 12), "image": (3, 32, 32), "tokens": TokenShape((8,))}
# Defaults that would download (DEFAULT weights) or need a file get small overrides.
OVERRIDES = {"torchvision_backbone": {"weights": "none"}}


def cases() -> list:
    return [
        pytest.param(t.name, kind, id=f"{t.name}-{kind}")
        for t in blocks.all_types()
        for kind in t.accepts
    ]


def params_for(block_type: BlockType, request, kind: str) -> dict:
    given = dict(OVERRIDES.get(block_type.name, {}))
    if block_type.name == "backbone_from_file":
        path, _net = request.getfixturevalue("torchscript_file")
        given["path"] = str(path)
    if block_type.name == "hf_text_encoder":  # a tiny BERT folder (needs ftstudio[text])
        pytest.importorskip("transformers")
        from text_helpers import tiny_encoder

        given["folder"] = str(tiny_encoder(request.getfixturevalue("tmp_path") / "bert"))
    if block_type.name == "stack_from_file":
        given["stack"] = str(saved_stack(request.getfixturevalue("tmp_path"), SAMPLE[kind]))
    return block_type.resolve(given)


def saved_stack(folder, shape) -> str:
    """A small earlier project taking ``shape``, saved for 'Block stack from file'."""
    from ftstudio.core import project as project_io
    from ftstudio.core.project import InputSpec, Project, make_block

    project = Project(name="earlier", input=InputSpec(shape=shape))
    first = ("small_cnn", {"width": 4, "stages": 1}) if len(shape) == 3 else ("mlp", {"hidden": 6})
    project.blocks = [make_block(first[0], project, **first[1])]
    project.blocks.append(make_block("dropout", project))
    return str(project_io.save(project, folder / "earlier.ftproj"))


@pytest.mark.parametrize(("type_name", "kind"), cases())
def test_every_block_type_builds_runs_and_matches_prediction(type_name, kind, request):
    block_type = blocks.get(type_name)
    params = params_for(block_type, request, kind)
    shape = SAMPLE[kind]
    predicted = analyze_block(block_type, params, shape)

    torch.manual_seed(0)
    module = block_type.make(params, shape, load_weights=False).eval()
    with torch.no_grad():
        x = torch.randint(0, 30, (2, *shape)) if kind == "tokens" else torch.randn(2, *shape)
        out = module(x)

    assert tuple(out.shape) == (2, *predicted.out_shape)
    assert not torch.isnan(out).any()
    assert sum(n for _, n in predicted.unit_params) == sum(p.numel() for p in module.parameters())
    assert predicted.flops >= 0 and predicted.activation_bytes >= 0


def test_catalog_covers_every_category_and_accepted_kind():
    grouped = blocks.by_category()
    assert set(grouped) == set(blocks.CATEGORIES)
    assert all(grouped[c] for c in blocks.CATEGORIES), "a category has no blocks"
    for t in blocks.all_types():
        assert t.accepts and set(t.accepts) <= {*KIND_BY_RANK.values(), "tokens"}, t.name
        assert t.description and t.title
        for p in t.params:
            assert p.check(p.default, t.name) == p.default, (t.name, p.name)


@pytest.mark.parametrize("type_name", [t.name for t in blocks.all_types()])
def test_refused_input_kinds_raise_shape_mismatch(type_name):
    block_type = blocks.get(type_name)
    refused = [k for k in SAMPLE if k not in block_type.accepts]
    for kind in refused:
        with pytest.raises(ShapeMismatch) as info:
            block_type.make(block_type.resolve({}), SAMPLE[kind], load_weights=False)
        assert info.value.got.startswith("(B, ")
        assert block_type.title in str(info.value)


def test_backbone_from_file_defaults_ask_for_a_file():
    block_type = blocks.get("backbone_from_file")
    with pytest.raises(WeightsUnavailableError, match="choose a file"):
        block_type.make(block_type.resolve({}), SAMPLE["image"], load_weights=False)


def test_registry_refuses_duplicate_names():
    existing = blocks.get("mlp")
    twin = BlockType(
        name="mlp",
        title="Impostor",
        category="Adapters",
        description="same name",
        params=(),
        accepts=("vector",),
        build=lambda p, s, w: torch.nn.Identity(),
    )
    before = len(blocks.all_types())
    with pytest.raises(ValueError, match="already registered"):
        register(twin)
    assert blocks.get("mlp") is existing
    assert len(blocks.all_types()) == before


def test_registry_refuses_unknown_category():
    odd = BlockType(
        name="test_odd_category",
        title="Odd",
        category="Miscellaneous",
        description="",
        params=(),
        accepts=("vector",),
        build=lambda p, s, w: torch.nn.Identity(),
    )
    with pytest.raises(ValueError, match="category"):
        register(odd)
    assert "test_odd_category" not in {t.name for t in blocks.all_types()}


def test_unknown_type_lists_known_ones():
    with pytest.raises(blocks.registry.UnknownBlockTypeError) as info:
        blocks.get("no_such_block")
    assert "no_such_block" in str(info.value) and "mlp" in str(info.value)


def test_cli_blocks_json_lists_every_type_by_category(capsys):
    assert main(["blocks", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert list(listed) == list(blocks.CATEGORIES)
    for t in blocks.all_types():
        entry = [e for e in listed[t.category] if e["name"] == t.name]
        assert len(entry) == 1, t.name
        assert entry[0]["accepts"] == list(t.accepts)
        assert [p["name"] for p in entry[0]["params"]] == [p.name for p in t.params]
    assert sum(map(len, listed.values())) == len(blocks.all_types())


def test_cli_blocks_text_lists_every_type_under_its_category(capsys):
    assert main(["blocks"]) == 0
    lines = capsys.readouterr().out.splitlines()
    category = None
    seen = {}
    for line in lines:
        if line.endswith(":") and not line.startswith(" "):
            category = line[:-1]
        elif line.startswith("  ") and not line.startswith("   "):
            seen[line.split()[0]] = category
    assert seen == {t.name: t.category for t in blocks.all_types()}
