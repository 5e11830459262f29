"""The block catalog. Importing this package registers every built-in block type."""

from ftstudio.core.blocks import (  # noqa: F401
    adapters,
    attention,
    backbone_file,
    backbones,
    extractors,
    heads,
    hf_text,
    stacks,
    timm_backbone,
)
from ftstudio.core.blocks.registry import (
    CATEGORIES,
    BlockType,
    Shape,
    all_types,
    by_category,
    format_shape,
    get,
    register,
)

__all__ = [
    "CATEGORIES",
    "BlockType",
    "Shape",
    "all_types",
    "by_category",
    "format_shape",
    "get",
    "register",
]
