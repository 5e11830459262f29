"""What validation says about a block that works: its note (e.g. the architecture guessed
from a file) and its warnings (weights not cached yet, a backbone that outputs logits)."""

from __future__ import annotations

from typing import Any

from ftstudio.core.block_analysis import BlockAnalysis
from ftstudio.core.blocks.registry import BlockType
from ftstudio.core.errors import FTStudioError
from ftstudio.core.output_checks import logits_warning
from ftstudio.core.project import BlockSpec


def block_note(block_type: BlockType, params: dict[str, Any]) -> str:
    if block_type.note is None:
        return ""
    try:
        return block_type.note(params)
    except FTStudioError:  # the build reported any real problem already
        return ""


def block_warnings(spec: BlockSpec, params: dict[str, Any], analysis: BlockAnalysis) -> list[str]:
    """The block's own warnings, then, for a backbone, whether its output looks like logits."""
    warnings = (
        list(spec.block_type.warnings(params)) if spec.block_type.warnings is not None else []
    )
    if spec.block_type.category == "Backbones":
        logits = logits_warning(analysis.out_shape, analysis.final_linear)
        warnings += [logits] if logits else []
    return warnings
