"""A stack's problems as :class:`BlockIssue` data: a block's error, an unknown frozen stage,
an output that does not fit the task, weights trained at another image size."""

from __future__ import annotations

from ftstudio.core.block_analysis import BlockAnalysis
from ftstudio.core.blocks.registry import Shape, format_shape
from ftstudio.core.data.images import weights_shape_conflict
from ftstudio.core.errors import FTStudioError, ShapeMismatch, WeightsUnavailableError
from ftstudio.core.project import BlockSpec, Project
from ftstudio.core.validation_report import BlockIssue, BlockReport


def issue_from_error(index: int, spec: BlockSpec, exc: Exception, shape: Shape) -> BlockIssue:
    """The issue for block ``index`` whose analysis on input ``shape`` raised ``exc``."""
    if isinstance(exc, ShapeMismatch):
        return BlockIssue(index, spec.id, str(exc), exc.expected, exc.got, exc.fix)
    if isinstance(exc, WeightsUnavailableError):
        message = f"{spec.label}: {exc}"
        return BlockIssue(index, spec.id, message, kind="weights", details=exc.details)
    if isinstance(exc, FTStudioError):
        return BlockIssue(index, spec.id, f"{spec.label}: {exc}{_place(spec, exc)}")
    # torch's own error for this input shape
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return BlockIssue(
        index,
        spec.id,
        f"{spec.label} cannot take input {format_shape(shape)}: {first_line}{_place(spec, exc)}",
        got=format_shape(shape),
    )


def _place(spec: BlockSpec, exc: BaseException) -> str:
    """`` (file.py:12)``: where in a custom block's file ``exc`` comes from, if not said yet."""
    try:
        locate = spec.block_type.locate
    except FTStudioError:  # an unknown block type
        return ""
    where = locate(exc) if locate is not None else ""
    return f" ({where})" if where and where not in str(exc) else ""


def check_image_size(project: Project, shape: Shape | None) -> BlockIssue | None:
    """Pretrained weights' image size against the input shape, as training checks it."""
    try:
        conflict = weights_shape_conflict(project, shape)
    except FTStudioError:
        return None  # a data problem; the data check reports it
    if conflict is None:
        return None
    first = project.blocks[0]
    return BlockIssue(0, first.id, conflict, kind="block")


def check_stages(spec: BlockSpec, analysis: BlockAnalysis) -> None:
    """A frozen stage that the block does not have would silently freeze nothing: refuse it."""
    stages = [name for name, _ in analysis.unit_params if name]
    unknown = [s for s in spec.frozen_stages if s not in stages]
    if unknown and not spec.frozen:
        known = ", ".join(stages) or "none (freeze the whole block instead)"
        raise FTStudioError(
            f"frozen stage '{unknown[0]}' does not exist; this block's stages are: {known}."
        )


def check_task(project: Project, last: BlockReport) -> BlockIssue | None:
    """Check the last block's output against the task (classes, per-token vs per-sample)."""
    task, out = project.task, last.out_shape or ()

    def fail(message: str, fix: str | None = None) -> BlockIssue:
        last.status = "error"
        last.issue = BlockIssue(
            last.index,
            last.block_id,
            message,
            expected=expected,
            got=format_shape(out),
            fix=fix,
            kind="task",
        )
        return last.issue

    if task.kind == "classification":
        expected = f"(B, {task.num_classes})"
        if len(out) == 2:
            return fail(
                f"The task classifies whole samples, but the model outputs {format_shape(out)}"
                " (one prediction per token). Insert 'Sequence pool' before the head, or set"
                " the task to per-token classification.",
                "sequence_pool",
            )
        if len(out) != 1 or out[0] != task.num_classes:
            return fail(
                f"The task has {task.num_classes} classes but the last block outputs "
                f"{format_shape(out)}. End with a classifier head whose classes = "
                f"{task.num_classes}, or change the task's class count."
            )
    elif task.kind == "token_classification":
        expected = f"(B, T, {task.num_classes})"
        if len(out) != 2 or out[1] != task.num_classes:
            return fail(
                f"Per-token classification needs (B, T, {task.num_classes}) outputs; the last "
                f"block outputs {format_shape(out)}. End with a 'Per-token classifier' whose "
                f"classes = {task.num_classes}."
            )
    else:
        expected = f"(B, {task.num_outputs})"
        if out != (task.num_outputs,):
            return fail(
                f"Regression with {task.num_outputs} outputs needs (B, {task.num_outputs}); "
                f"the last block outputs {format_shape(out)}. End with a 'Regression head' "
                f"whose outputs = {task.num_outputs}."
            )
    return None
