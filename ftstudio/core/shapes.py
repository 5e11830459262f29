"""Shape inference and validation of a block stack, without real compute or weights.

Each block is analysed on the meta device (:mod:`ftstudio.core.block_analysis`), so shapes,
FLOPs and activation sizes are known without allocating memory or loading weights. Errors are
data: the first incompatible block gets a :class:`BlockIssue` saying what it expected, what it
got and which adapter to insert (:mod:`ftstudio.core.block_issues`); blocks after it are
"unknown". The report's types live in :mod:`ftstudio.core.validation_report`; this module
re-exports them and the per-block analysis for callers.
"""

from __future__ import annotations

from ftstudio.core.block_analysis import (
    _CACHE,
    PROBE_BATCH,
    BlockAnalysis,
    analyze_block,
    infer_output_shape,
)
from ftstudio.core.block_issues import check_image_size, check_stages, check_task, issue_from_error
from ftstudio.core.block_notes import block_note, block_warnings
from ftstudio.core.blocks.registry import Shape
from ftstudio.core.blocks.registry import input_shape as typed_shape
from ftstudio.core.builder import resolved_params
from ftstudio.core.data import peek
from ftstudio.core.memory_estimate import BYTES_PER_VALUE, OPTIMIZER_STATES, estimate_memory
from ftstudio.core.project import BlockSpec, Project
from ftstudio.core.validation_report import (
    BlockIssue,
    BlockReport,
    MemoryEstimate,
    ValidationReport,
)

__all__ = [
    "BYTES_PER_VALUE",
    "OPTIMIZER_STATES",
    "PROBE_BATCH",
    "_CACHE",
    "BlockAnalysis",
    "BlockIssue",
    "BlockReport",
    "MemoryEstimate",
    "ValidationReport",
    "analyze_block",
    "check_task",
    "estimate_memory",
    "infer_output_shape",
    "validate",
]


def validate(
    project: Project,
    batch_size: int = 32,
    input_shape: Shape | None = None,
    check_data: bool = False,
) -> ValidationReport:
    """Propagate shapes through the stack; report every block and the first error as data.

    Warnings (pretrained weights not cached yet) never make the report invalid. With
    ``check_data`` the data is read as training reads it (:mod:`ftstudio.core.data.peek`);
    data that does not fit the project is an issue of kind ``"data"``.
    """
    shape = typed_shape(input_shape or project.input.shape, project.input.dtype)
    shape_in = shape
    reports: list[BlockReport] = []
    issue: BlockIssue | None = None
    warnings: list[str] = []
    for index, spec in enumerate(project.blocks):
        report = BlockReport(index, spec.id, spec.label, spec.type, "unknown", in_shape=shape)
        reports.append(report)
        if issue is not None or shape is None:
            report.in_shape = None
            continue
        try:
            params = resolved_params(project, spec)  # a wrong value is this block's issue
            analysis = analyze_block(spec.block_type, params, shape)
            check_stages(spec, analysis)
        except Exception as exc:  # noqa: BLE001 - torch's own error for this input shape too
            issue = issue_from_error(index, spec, exc, shape)
            report.status, report.issue = "error", issue
            shape = None
            continue
        _fill(report, analysis, spec)
        report.note = block_note(spec.block_type, params)
        report.warnings += block_warnings(spec, params, analysis)
        shape = analysis.out_shape
        warnings += [f"Block {index + 1} '{spec.label}': {w}" for w in report.warnings]
    if issue is None and reports and shape is None:
        issue = BlockIssue(
            -1,
            "",
            "The input shape is not set (it comes from the dataset). Choose a dataset, or set "
            "the input shape, to check the stack.",
            kind="stack",
        )
    if issue is None and reports:
        issue = check_task(project, reports[-1])
    if issue is None and reports:
        issue = check_image_size(project, shape_in)
    if issue is None and not reports:
        issue = BlockIssue(
            -1,
            "",
            "The stack is empty. Add a backbone or feature extractor, then a head.",
            kind="stack",
        )
    data = peek.check_data(project) if check_data else None
    if data is not None:
        warnings += data.warnings
        if issue is None and data.error is not None:
            issue = BlockIssue(-1, "", data.error, kind="data")
    return ValidationReport(
        tuple(input_shape or project.input.shape or ()) or None,
        reports,
        issue,
        estimate_memory(reports, batch_size),
        warnings,
        data,
    )


def _fill(report: BlockReport, analysis: BlockAnalysis, spec: BlockSpec) -> None:
    report.status = "ok"
    report.out_shape = analysis.out_shape
    report.flops = analysis.flops
    report.activation_bytes = analysis.activation_bytes
    report.stages = [name for name, _ in analysis.unit_params if name]
    report.stage_params = {name: n for name, n in analysis.unit_params if name}
    total = sum(n for _, n in analysis.unit_params)
    if spec.trains_nothing:
        frozen = total
    else:
        frozen = sum(n for name, n in analysis.unit_params if name and name in spec.frozen_stages)
    report.frozen, report.trainable = frozen, total - frozen
