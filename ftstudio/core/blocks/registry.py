"""The block catalog: a registry of block types that refuses duplicate names."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import nn

from ftstudio.core.blocks import codegen
from ftstudio.core.errors import ShapeMismatch, UnknownBlockTypeError
from ftstudio.core.params import Param, resolve_params

Shape = tuple[int, ...]
"""A sample shape, batch dimension excluded."""

KIND_BY_RANK = {1: "vector", 2: "sequence", 3: "image"}
KIND_SHAPE = {
    "vector": "(B, D)",
    "sequence": "(B, T, D)",
    "image": "(B, C, H, W)",
    "tokens": "(B, T) token ids",
}
TOKEN_DTYPE = "int64"  # input.dtype of a project whose samples are token ids


class TokenShape(tuple):
    """The sample shape ``(T,)`` of token ids (int64, padded with the encoder's pad id, which
    gives the padding mask): the input kind "tokens", told apart from a ``(D,)`` vector."""


def input_shape(shape, dtype: str = "float32") -> Shape | None:
    """A project's sample shape as blocks see it: a :class:`TokenShape` for token ids."""
    shape = tuple(shape or ()) or None
    return TokenShape(shape) if shape is not None and dtype == TOKEN_DTYPE else shape


CATEGORIES = ("Backbones", "Feature extractors", "Attention", "Adapters", "Heads")
CUSTOM_CATEGORY = "Custom"
"""Block types made from a user's Python file (:mod:`ftstudio.core.blocks.custom`); listed
after the built-in categories, and only while some are loaded."""

# (what the block got, what it expects) -> adapter block type that converts one into the other
ADAPTER_FOR = {
    ("image", "vector"): "global_avg_pool",
    ("image", "sequence"): "feature_map_to_sequence",
    ("sequence", "vector"): "sequence_pool",
    ("vector", "sequence"): "sequence_from_vector",
}


def kind_of(shape: Shape) -> str:
    if isinstance(shape, TokenShape):
        return "tokens"
    return KIND_BY_RANK.get(len(shape), f"rank-{len(shape) + 1} tensor")


def format_shape(shape: Shape | None) -> str:
    if shape is None:
        return "?"
    return "(" + ", ".join(["B", *map(str, shape)]) + ")"


@dataclass(frozen=True)
class BlockType:
    """One kind of block in the catalog.

    ``build(params, in_shape, load_weights)`` returns the ``nn.Module`` for a sample input
    shape; it may raise :class:`ShapeMismatch`. A built module may define ``freeze_units()``
    returning an ordered ``{stage name: module}`` mapping that can be frozen one by one, and a
    block type may define ``preprocessing(params)`` giving the input its weights expect,
    ``warnings(params)`` listing what validation should say without refusing the block (for
    example pretrained weights that are not cached yet; it must be cheap and offline), and
    ``note(params)``, a one-line status (e.g. what was recognised from a weights file).

    ``origin`` is the file a custom block type comes from ("" for built-in ones) and
    ``locate(exc)`` the place in that file (``file.py:12``) an exception raised by the block's
    code points to, or "" when it points to none.

    ``code(params, in_shape)`` is the same module as a Python expression with literal
    arguments, for exported ``model.py`` files (see :mod:`ftstudio.core.blocks.codegen`); it
    returns None when this configuration cannot be written as code (a TorchScript file).

    Most types give only ``recipe(params, in_shape) -> codegen.Call``: ``build`` and ``code``
    then both come from it, so the app's module and the exported one cannot drift apart.
    """

    name: str
    title: str
    category: str
    description: str
    params: tuple[Param, ...]
    accepts: tuple[str, ...]
    build: Callable[[dict[str, Any], Shape, bool], nn.Module] | None = None
    preprocessing: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None
    code: Callable[[dict[str, Any], Shape], str | None] | None = None
    recipe: Callable[[dict[str, Any], Shape], codegen.Call] | None = None
    warnings: Callable[[dict[str, Any]], list[str]] | None = None
    note: Callable[[dict[str, Any]], str] | None = None
    origin: str = ""
    version: str = ""  # a custom type's file content (SHA-256): a reload invalidates caches
    locate: Callable[[BaseException], str] | None = None
    time_limited: bool = True  # False: no user code runs (its analysis may take long imports)

    def __post_init__(self) -> None:
        recipe = self.recipe
        if recipe is not None:
            if self.build is None:
                object.__setattr__(self, "build", lambda p, s, _w: recipe(p, s).build())
            if self.code is None:
                object.__setattr__(self, "code", lambda p, s: recipe(p, s).code())
        if self.build is None:
            raise ValueError(f"block type '{self.name}' needs a build function or a recipe")

    def resolve(self, params: dict[str, Any], where: str = "") -> dict[str, Any]:
        return resolve_params(self.params, params, where or f"block '{self.title}'")

    def make(self, params: dict[str, Any], in_shape: Shape, load_weights: bool = True) -> nn.Module:
        """Check the input kind, then build the module for ``in_shape``."""
        got = kind_of(in_shape)
        if got not in self.accepts:
            raise self.mismatch(in_shape)
        shape = in_shape if isinstance(in_shape, TokenShape) else tuple(in_shape)
        return self.build(params, shape, load_weights)

    def mismatch(self, in_shape: Shape) -> ShapeMismatch:
        got = kind_of(in_shape)
        expected = " or ".join(KIND_SHAPE[k] for k in self.accepts)
        fix = next((ADAPTER_FOR[(got, k)] for k in self.accepts if (got, k) in ADAPTER_FOR), None)
        if fix is not None:
            advice = f"Insert '{get(fix).title}' before it"
            if got == "vector":
                advice += " or remove the pooling/flatten block above it"
        elif got == "tokens":
            advice = "Token ids go into 'Transformer encoder (Hugging Face)' first"
        elif "tokens" in self.accepts:
            advice = "Give it token ids (a text data source: text-csv or token-jsonl), or remove it"
        else:
            advice = "Move it to where the tensor still has that shape, or remove it"
        message = f"{self.title} expects {expected}; got {format_shape(in_shape)}. {advice}."
        return ShapeMismatch(message, expected=expected, got=format_shape(in_shape), fix=fix)


_REGISTRY: dict[str, BlockType] = {}


def register(block_type: BlockType) -> BlockType:
    """Add a block type; refuse a name that is already taken."""
    if block_type.name in _REGISTRY:
        raise ValueError(f"block type '{block_type.name}' is already registered")
    if block_type.category not in (*CATEGORIES, CUSTOM_CATEGORY):
        raise ValueError(
            f"block type '{block_type.name}': unknown category {block_type.category!r}"
        )
    _REGISTRY[block_type.name] = block_type
    return block_type


def unregister(name: str) -> None:
    """Remove a custom block type (a built-in one cannot be removed)."""
    block_type = _REGISTRY.get(name)
    if block_type is not None and block_type.category == CUSTOM_CATEGORY:
        del _REGISTRY[name]


def get(name: str) -> BlockType:
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise UnknownBlockTypeError(
            f"unknown block type '{name}'. Known types: {known} (see `ftstudio blocks`)."
        ) from None


def all_types() -> list[BlockType]:
    return list(_REGISTRY.values())


def by_category() -> dict[str, list[BlockType]]:
    grouped: dict[str, list[BlockType]] = {c: [] for c in CATEGORIES}
    for block_type in _REGISTRY.values():
        grouped.setdefault(block_type.category, []).append(block_type)
    return grouped
