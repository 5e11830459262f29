"""User nn.Module classes as block types: loading, parameters, sizes from the stack, errors."""

from __future__ import annotations

import re
import textwrap

import pytest

from ftstudio.core import blocks
from ftstudio.core.blocks import custom
from ftstudio.core.blocks.custom_errors import CustomBlockError
from ftstudio.core.errors import UnknownBlockTypeError
from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block
from ftstudio.core.project_spec import RESOURCES
from ftstudio.core.shapes import validate

EXAMPLE = RESOURCES / "examples" / "custom_blocks.py"


def write(tmp_path, text: str, name: str = "my_blocks.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def sequence_project(*specs) -> Project:
    project = Project(input=InputSpec((12, 16)), task=TaskSpec("token_classification", 5))
    for type_name, params in specs:
        project.blocks.append(make_block(type_name, project, **params))
    return project


def test_example_file_loads_with_typed_params_and_docstrings(custom_blocks):
    record = custom_blocks(EXAMPLE)
    assert record.type_names == ("FeatureExtractor", "QKVAttention")
    extractor = blocks.get("FeatureExtractor")
    assert extractor.category == "Custom" and extractor.origin == str(EXAMPLE.resolve())
    assert {p.name: p.kind for p in extractor.params} == {"hidden": "int", "dropout": "float"}
    assert "in_features" not in {p.name for p in extractor.params}  # filled from the stack
    assert extractor.description.startswith("Linear, ReLU and Dropout")
    assert [p.kind for p in blocks.get("QKVAttention").params] == ["bool"]
    assert "Custom" in blocks.by_category()


def test_example_blocks_validate_with_sizes_from_the_stack(custom_blocks):
    custom_blocks(EXAMPLE)
    project = sequence_project(
        ("FeatureExtractor", {"hidden": 24}),
        ("QKVAttention", {}),
        ("token_classifier", {"classes": 5}),
    )
    report = validate(project)
    assert report.ok, report.issue
    assert [b.out_shape for b in report.blocks] == [(12, 24), (12, 24), (12, 5)]
    assert report.blocks[0].trainable == 16 * 24 + 24
    assert report.blocks[1].trainable == 3 * (24 * 24 + 24)
    assert report.blocks[1].flops > 0
    assert report.blocks[1].stages == ["query", "key", "value"]


def test_param_kinds_literal_path_and_optional(tmp_path, custom_blocks):
    path = write(
        tmp_path,
        """
        from pathlib import Path
        from typing import Literal, Optional
        from torch import nn

        class Kinds(nn.Module):
            def __init__(self, in_channels: int, mode: Literal["a", "b"] = "b",
                         name: str = "x", table_file: str = "", root: Path = Path(""),
                         extra: Optional[Path] = None, flag: bool = True, k: int = 3):
                super().__init__()
                assert isinstance(root, Path) and extra is None
                self.conv = nn.Conv2d(in_channels, k, 1)

            def forward(self, x):
                return self.conv(x)
        """,
    )
    custom_blocks(path)
    block_type = blocks.get("Kinds")
    kinds = {p.name: p.kind for p in block_type.params}
    assert kinds == {
        "mode": "choice",
        "name": "str",
        "table_file": "path",
        "root": "path",
        "extra": "path",
        "flag": "bool",
        "k": "int",
    }
    assert block_type.params[0].choices == ("a", "b")
    assert block_type.accepts == ("image",)
    project = Project(input=InputSpec((5, 4, 4)), task=TaskSpec("classification", 3))
    project.blocks.append(make_block("Kinds", project))
    report = validate(project)
    assert report.blocks[0].out_shape == (3, 4, 4)  # in_channels = 5 came from the image


def test_unload_and_reload_pick_up_an_edit(tmp_path, custom_blocks):
    source = """
        from torch import nn

        class Grow(nn.Module):
            def __init__(self, in_features: int, out: int = {n}):
                super().__init__()
                self.linear = nn.Linear(in_features, out)

            def forward(self, x):
                return self.linear(x)
        """
    path = write(tmp_path, source.format(n=3))
    custom_blocks(path)
    assert blocks.get("Grow").params[0].default == 3
    path.write_text(textwrap.dedent(source.format(n=7)), encoding="utf-8")
    custom.reload_blocks_file(path)
    assert blocks.get("Grow").params[0].default == 7
    custom.unload_blocks_file(path)
    with pytest.raises(UnknownBlockTypeError):
        blocks.get("Grow")
    assert blocks.get("mlp").category == "Feature extractors"


def test_load_runs_nothing_until_asked(tmp_path):
    marker = tmp_path / "ran"
    path = write(tmp_path, f"open({str(marker)!r}, 'w').close()\nfrom torch import nn\n")
    assert not marker.exists()
    with pytest.raises(CustomBlockError, match="no public nn.Module"):
        custom.load_blocks_file(path)
    assert marker.exists()  # it ran when asked, and registered nothing
    assert custom.loaded(path) is None


BAD_FILES = {
    "syntax": (
        "from torch import nn\n\nclass A(nn.Module)\n    pass\n",
        r"my_blocks.py:3: .*syntax",
    ),
    "import": (
        "from torch import nn\nimport not_a_module_xyz\n",
        r"my_blocks.py:2: .*ModuleNotFound",
    ),
    "no module": ("x = 1\n", r"my_blocks.py defines no public nn.Module"),
    "built-in name": (
        "from torch import nn\n\n\nclass MLP(nn.Module):\n    pass\n",
        r"my_blocks.py:4: the class name MLP collides with a built-in block \('mlp'\)",
    ),
    "no default": (
        "from torch import nn\n\nclass A(nn.Module):\n"
        "    def __init__(self, width: int):\n        super().__init__()\n",
        r"my_blocks.py:3: A: parameter 'width' has no default",
    ),
    "no type": (
        "from torch import nn\n\nclass A(nn.Module):\n"
        "    def __init__(self, width=3):\n        super().__init__()\n",
        r"my_blocks.py:3: A: parameter 'width' has no type hint",
    ),
    "unusable type": (
        "from torch import nn\n\nclass A(nn.Module):\n"
        "    def __init__(self, sizes: list = []):\n        super().__init__()\n",
        r"parameter 'sizes' .* has no usable type",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_files_are_refused_naming_the_place(tmp_path, case):
    source, message = BAD_FILES[case]
    before = {t.name for t in blocks.all_types()}
    path = write(tmp_path, source)
    with pytest.raises(CustomBlockError, match=message) as info:
        custom.load_blocks_file(path)
    assert "Traceback" not in str(info.value)
    assert {t.name for t in blocks.all_types()} == before  # nothing registered, built-ins kept


RUNTIME_FAILURES = """
import torch
from torch import nn


class Ctor(nn.Module):
    def __init__(self, in_features: int):
        super().__init__()
        raise ValueError("bad width")


class Boom(nn.Module):
    def forward(self, x):
        raise RuntimeError("kaput")


class Pair(nn.Module):
    def forward(self, x):
        return x, x


class Nothing(nn.Module):
    def forward(self, x):
        x * 2
"""


@pytest.mark.parametrize(
    ("type_name", "message"),
    [
        ("Ctor", r"my_blocks.py:9: Ctor\(\.\.\.\) raised ValueError: bad width"),
        ("Boom", r"Boom cannot take input \(B, 12, 16\): kaput \(my_blocks.py:14\)"),
        ("Pair", r"forward returns a tuple, not a tensor.* \(my_blocks.py:18\)"),
        ("Nothing", r"forward returns None, not a tensor.* \(my_blocks.py:23\)"),
    ],
)
def test_runtime_failures_show_at_the_block_row(tmp_path, custom_blocks, type_name, message):
    custom_blocks(write(tmp_path, RUNTIME_FAILURES))
    project = sequence_project(("mlp", {}), (type_name, {}), ("token_classifier", {"classes": 5}))
    project.blocks[0].params["hidden"] = 16
    report = validate(project)
    assert report.issue is not None and report.issue.index == 1
    assert report.blocks[1].status == "error"
    assert report.issue.message.count("\n") == 0 and "Traceback" not in report.issue.message
    assert re.search(message, report.issue.message), report.issue.message


def test_lr_scale_and_stage_freezing_of_a_custom_block(custom_blocks):
    from ftstudio.core.builder import build_model, parameter_groups

    custom_blocks(EXAMPLE)
    project = sequence_project(
        ("FeatureExtractor", {"hidden": 8}),
        ("QKVAttention", {}),
        ("token_classifier", {"classes": 5}),
    )
    project.blocks[0].lr_scale = 0.5
    project.blocks[1].frozen_stages = ["key"]
    model = build_model(project)
    groups = {g["name"]: g for g in parameter_groups(model, project, lr=0.1)}
    assert groups["FeatureExtractor_1"]["lr"] == pytest.approx(0.05)
    attention = model.get_submodule("QKVAttention_1")
    assert not any(p.requires_grad for p in attention.key.parameters())
    assert all(p.requires_grad for p in attention.query.parameters())
    assert len(groups["QKVAttention_1"]["params"]) == 4  # query and value, weight and bias
