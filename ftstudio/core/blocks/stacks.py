"""A block stack from file: an earlier FT Studio project's blocks with its trained weights."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from torch import nn

from ftstudio.core.blocks import codegen, layers
from ftstudio.core.blocks.backbones import _require_file
from ftstudio.core.blocks.registry import BlockType, Shape, format_shape, register
from ftstudio.core.errors import ShapeMismatch, WeightsUnavailableError
from ftstudio.core.params import Param
from ftstudio.core.weights import apply_weights_file

TITLE = "Block stack from file"


def _inner_project(params: dict[str, Any], in_shape: Shape):
    """The earlier project (head dropped when asked) and the id of the dropped head, if any."""
    from ftstudio.core import project as project_io  # the project module imports the catalog

    path, weights = params["stack"], params["weights"]
    if not path:
        raise WeightsUnavailableError("choose the .ftproj file the weights were trained with.")
    _require_file(path)
    if weights:
        _require_file(weights)
    stack = project_io.load(path)
    if tuple(stack.input.shape or ()) != tuple(in_shape):
        expected = format_shape(stack.input.shape)
        raise ShapeMismatch(
            f"{TITLE}: '{stack.name}' was built for input {expected}; got "
            f"{format_shape(in_shape)}. Feed it the input it was trained on.",
            expected=expected,
            got=format_shape(in_shape),
        )
    head = stack.blocks[-1].id if params["drop_head"] and len(stack.blocks) > 1 else None
    if head is not None:
        stack.blocks = stack.blocks[:-1]
    return stack, head


def _build_stack(params: dict[str, Any], in_shape: Shape, load_weights: bool) -> nn.Module:
    from ftstudio.core.builder import build_model

    stack, head = _inner_project(params, in_shape)
    weights = params["weights"]
    model = build_model(stack, load_weights=False, check_task=False)
    module = layers.BlockStack(OrderedDict(model.named_children()))
    if weights:
        ignore = (f"{head}.",) if head else ()
        apply_weights_file(module, weights, load_weights, ignore_unexpected=ignore)
    return module


def _stack_code(params: dict[str, Any], in_shape: Shape) -> str | None:
    """``layers.BlockStack(OrderedDict([...]))`` of the inner blocks' own code."""
    from ftstudio.core.builder import resolved_params
    from ftstudio.core.shapes import validate

    stack, _ = _inner_project(params, in_shape)
    report = validate(stack)
    lines = []
    for spec, block in zip(stack.blocks, report.blocks, strict=True):
        code = spec.block_type.code
        expr = code(resolved_params(stack, spec), block.in_shape) if code else None
        if expr is None or block.in_shape is None:
            return None
        expr = expr.replace("\n", "\n    ")
        lines.append(f"    ({codegen.literal(spec.id)}, {expr}),")
    return "layers.BlockStack(OrderedDict([\n" + "\n".join(lines) + "\n]))"


register(
    BlockType(
        name="stack_from_file",
        title=TITLE,
        category="Backbones",
        description="The blocks of an earlier FT Studio project (its .ftproj) with weights from "
        "a .safetensors/.pt file or a training checkpoint; keys are matched by block id.",
        params=(
            Param("stack", "path", "", "the .ftproj file that defines the blocks"),
            Param(
                "weights", "path", "", ".safetensors/.pt state dict or checkpoint (last.pt/best.pt)"
            ),
            Param("drop_head", "bool", True, "leave out the project's last block (its head)"),
        ),
        accepts=("image", "sequence", "vector"),
        build=_build_stack,
        code=_stack_code,
    )
)
