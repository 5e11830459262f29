"""Shape inference and validation of a block stack, without real compute or weights.

Each block is built on the meta device and run on a meta tensor, so shapes, FLOPs and
activation sizes are known without allocating memory or loading weights. A block that the
meta device cannot run (for example a TorchScript file) falls back to a tiny real batch.
Errors are data: the first incompatible block gets a :class:`BlockIssue` saying what it
expected, what it got and which adapter to insert; blocks after it are "unknown".
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from ftstudio.core import time_limit
from ftstudio.core.blocks.registry import BlockType, Shape, format_shape
from ftstudio.core.builder import freeze_units, resolved_params
from ftstudio.core.data import peek
from ftstudio.core.data.images import weights_shape_conflict
from ftstudio.core.data.peek import DataCheck
from ftstudio.core.errors import FTStudioError, ShapeMismatch, WeightsUnavailableError
from ftstudio.core.output_checks import final_linear, logits_warning
from ftstudio.core.project import Project

PROBE_BATCH = 2
BYTES_PER_VALUE = 4
OPTIMIZER_STATES = 2  # AdamW keeps two moments per trainable value


@dataclass(frozen=True)
class BlockAnalysis:
    """What a block does to a given input shape; independent of freezing."""

    out_shape: Shape
    unit_params: tuple[tuple[str, int], ...]  # params per freeze unit; "" = not in any unit
    flops: int  # per sample, forward
    activation_bytes: int  # per sample, outputs of leaf modules
    final_linear: tuple[int, int] | None = None  # (in, out) when the block ends in a Linear


@dataclass
class BlockIssue:
    """The first problem in a stack, as data.

    ``index`` is the block's position (-1: the stack as a whole). ``kind`` is ``"block"`` when
    the block cannot take its input (or cannot be built), ``"task"`` when the stack runs but
    its output does not fit the task, ``"stack"`` for the stack as a whole (empty, no input
    shape), ``"data"`` for data that does not fit the project (the data check). ``fix`` names a block type to insert before the block, if one would help.
    """

    index: int
    block_id: str
    message: str
    expected: str = ""
    got: str = ""
    fix: str | None = None
    kind: str = "block"

    @property
    def title(self) -> str:
        """What the problem is called in the window: a weights file is no shape error."""
        return "Weights problem" if self.kind == "weights" else "Shape error"


@dataclass
class BlockReport:
    index: int
    block_id: str
    label: str
    type: str
    status: str  # "ok", "error" or "unknown"
    in_shape: Shape | None = None
    out_shape: Shape | None = None
    trainable: int = 0
    frozen: int = 0
    flops: int = 0
    activation_bytes: int = 0
    stages: list[str] = field(default_factory=list)
    stage_params: dict[str, int] = field(default_factory=dict)
    issue: BlockIssue | None = None
    warnings: list[str] = field(default_factory=list)  # also in the report's list, with "where"
    note: str = ""  # the block's status, e.g. "resnet18 (guessed from the file)"


@dataclass
class MemoryEstimate:
    batch_size: int
    params: int
    grads: int
    optimizer: int
    activations: int

    @property
    def total(self) -> int:
        return self.params + self.grads + self.optimizer + self.activations


@dataclass
class ValidationReport:
    input_shape: Shape | None
    blocks: list[BlockReport]
    issue: BlockIssue | None
    memory: MemoryEstimate
    warnings: list[str] = field(default_factory=list)
    data: DataCheck | None = None  # only when the data check ran

    @property
    def ok(self) -> bool:
        return self.issue is None

    @property
    def output_shape(self) -> Shape | None:
        return self.blocks[-1].out_shape if self.blocks and self.ok else None

    @property
    def trainable(self) -> int:
        return sum(b.trainable for b in self.blocks)

    @property
    def frozen(self) -> int:
        return sum(b.frozen for b in self.blocks)

    @property
    def flops(self) -> int:
        return sum(b.flops for b in self.blocks)

    def to_json(self) -> dict[str, Any]:
        out = {
            "ok": self.ok,
            "input_shape": self.input_shape,
            "output_shape": self.output_shape,
            "trainable": self.trainable,
            "frozen": self.frozen,
            "flops": self.flops,
            "memory": {**asdict(self.memory), "total": self.memory.total},
            "issue": asdict(self.issue) if self.issue else None,
            "blocks": [asdict(b) for b in self.blocks],
            "warnings": list(self.warnings),
            "data": self.data.to_json() if self.data is not None else None,
        }
        return out


# ---------------------------------------------------------------- one block

_CACHE: OrderedDict[tuple, BlockAnalysis | Exception] = OrderedDict()
_CACHE_SIZE = 512
_CACHE_LOCK = threading.Lock()  # the GUI validates on one thread while training builds on another


def _cache_key(block_type: BlockType, params: dict[str, Any], in_shape: Shape) -> tuple:
    stamps = []
    for p in block_type.params:
        value = params.get(p.name)
        if p.kind == "path" and value and os.path.exists(value):
            stamps.append(os.stat(value).st_mtime_ns)
    return (
        block_type.name,
        block_type.version,
        json.dumps(params, sort_keys=True),
        tuple(in_shape),
        tuple(stamps),
    )


def analyze_block(block_type: BlockType, params: dict[str, Any], in_shape: Shape) -> BlockAnalysis:
    """Shape, parameters, FLOPs and activation size of one block for ``in_shape`` (cached)."""
    key = _cache_key(block_type, params, in_shape)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            if isinstance(hit, time_limit.TimeLimitError):
                raise hit  # not run again (and left looping) after every edit
            return hit
    # A block may run user code (a TorchScript file, a custom block's class) that can loop
    # forever where Ctrl-C cannot reach: analyse it with a time limit.
    try:
        result = time_limit.run_with_time_limit(
            lambda: _analyze(block_type, params, in_shape),
            time_limit.user_code_time_limit(),
            "Its module",
        )
    except time_limit.TimeLimitError as exc:
        result = exc
    with _CACHE_LOCK:
        _CACHE[key] = result
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    if isinstance(result, time_limit.TimeLimitError):
        raise result
    return result


def _analyze(block_type: BlockType, params: dict[str, Any], in_shape: Shape) -> BlockAnalysis:
    try:
        with torch.device("meta"):
            module = block_type.make(params, in_shape, load_weights=False)
        return _measure(module, in_shape)
    except ShapeMismatch:
        raise
    except Exception as exc:
        # An op without a meta kernel, or a user's class (custom block) that the meta device
        # cannot run: a tiny real batch; its error, if any, is the one to show.
        if not isinstance(exc, NotImplementedError) and not block_type.origin:
            raise
        return _measure(block_type.make(params, in_shape, load_weights=False), in_shape)


def _measure(module: nn.Module, in_shape: Shape) -> BlockAnalysis:
    tensors = [*module.parameters(), *module.buffers()]
    device = "meta" if all(t.is_meta for t in tensors) else "cpu"
    module.eval()
    activation_values = [0]

    def count(_m: nn.Module, _inp: Any, out: Any) -> None:
        if isinstance(out, torch.Tensor):
            activation_values[0] += out.numel()

    # TorchScript modules refuse hooks; a scripted block counts its output only (below).
    leaves = [
        m
        for m in module.modules()
        if not list(m.children()) and not isinstance(m, torch.jit.ScriptModule)
    ]
    hooks = [m.register_forward_hook(count) for m in leaves]
    try:
        x = torch.zeros((PROBE_BATCH, *in_shape), device=device)
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            y = module(x)
    finally:
        for hook in hooks:
            hook.remove()
    if not isinstance(y, torch.Tensor):
        what = "None" if y is None else f"a {type(y).__name__}"
        raise FTStudioError(f"forward returns {what}, not a tensor; return one tensor")
    if y.dim() == 0 or y.shape[0] != PROBE_BATCH:
        got = y.shape[0] if y.dim() else "a single value"
        raise FTStudioError(f"changes the batch size from {PROBE_BATCH} to {got}")
    if not leaves:
        activation_values[0] = y.numel()
    return BlockAnalysis(
        out_shape=tuple(y.shape[1:]),
        unit_params=_unit_params(module),
        flops=counter.get_total_flops() // PROBE_BATCH,
        activation_bytes=activation_values[0] * BYTES_PER_VALUE // PROBE_BATCH,
        final_linear=final_linear(module),
    )


def _unit_params(module: nn.Module) -> tuple[tuple[str, int], ...]:
    counted: set[int] = set()
    units = []
    for name, items in freeze_units(module).items():
        n = 0
        for item in items:
            for p in [item] if isinstance(item, nn.Parameter) else item.parameters():
                if id(p) not in counted:
                    counted.add(id(p))
                    n += p.numel()
        units.append((name, n))
    rest = sum(p.numel() for p in module.parameters() if id(p) not in counted)
    units.append(("", rest))
    return tuple(units)


def infer_output_shape(block_type: BlockType, params: dict[str, Any], in_shape: Shape) -> Shape:
    return analyze_block(block_type, params, in_shape).out_shape


# ---------------------------------------------------------------- the stack


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
    shape = tuple(input_shape or project.input.shape or ()) or None
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
            analysis = analyze_block(spec.block_type, resolved_params(project, spec), shape)
            _check_stages(spec, analysis)
        except ShapeMismatch as exc:
            issue = BlockIssue(index, spec.id, str(exc), exc.expected, exc.got, exc.fix)
        except WeightsUnavailableError as exc:
            issue = BlockIssue(index, spec.id, f"{spec.label}: {exc}", kind="weights")
        except FTStudioError as exc:
            issue = BlockIssue(index, spec.id, f"{spec.label}: {exc}{_place(spec, exc)}")
        except Exception as exc:  # noqa: BLE001 - torch's own error for this input shape
            first_line = (
                str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            )
            issue = BlockIssue(
                index,
                spec.id,
                f"{spec.label} cannot take input {format_shape(shape)}: {first_line}"
                f"{_place(spec, exc)}",
                got=format_shape(shape),
            )
        if issue is not None:
            report.status, report.issue = "error", issue
            shape = None
            continue
        _fill(report, analysis, spec)
        report.note = _note(spec.block_type, resolved_params(project, spec))
        shape = analysis.out_shape
        if spec.block_type.warnings is not None:
            report.warnings += spec.block_type.warnings(resolved_params(project, spec))
        if spec.block_type.category == "Backbones":
            logits = logits_warning(shape, analysis.final_linear)
            report.warnings += [logits] if logits else []
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
        issue = _check_image_size(project, shape_in)
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


def _place(spec, exc: BaseException) -> str:
    """`` (file.py:12)``: where in a custom block's file ``exc`` comes from, if not said yet."""
    try:
        locate = spec.block_type.locate
    except FTStudioError:  # an unknown block type
        return ""
    where = locate(exc) if locate is not None else ""
    return f" ({where})" if where and where not in str(exc) else ""


def _check_image_size(project: Project, shape: Shape | None) -> BlockIssue | None:
    """Pretrained weights' image size against the input shape, as training checks it."""
    try:
        conflict = weights_shape_conflict(project, shape)
    except FTStudioError:
        return None  # a data problem; the data check reports it
    if conflict is None:
        return None
    first = project.blocks[0]
    return BlockIssue(0, first.id, conflict, kind="block")


def _note(block_type: BlockType, params: dict[str, Any]) -> str:
    if block_type.note is None:
        return ""
    try:
        return block_type.note(params)
    except FTStudioError:  # the build reported any real problem already
        return ""


def _check_stages(spec, analysis: BlockAnalysis) -> None:
    """A frozen stage that the block does not have would silently freeze nothing: refuse it."""
    stages = [name for name, _ in analysis.unit_params if name]
    unknown = [s for s in spec.frozen_stages if s not in stages]
    if unknown and not spec.frozen:
        known = ", ".join(stages) or "none (freeze the whole block instead)"
        raise FTStudioError(
            f"frozen stage '{unknown[0]}' does not exist; this block's stages are: {known}."
        )


def _fill(report: BlockReport, analysis: BlockAnalysis, spec) -> None:
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


def estimate_memory(reports: list[BlockReport], batch_size: int) -> MemoryEstimate:
    """Training memory at ``batch_size``: params, grads, AdamW state and stored activations.

    Activations are counted from the first block with trainable parameters on: a frozen
    prefix runs without storing anything for the backward pass.
    """
    trainable = sum(b.trainable for b in reports)
    total = trainable + sum(b.frozen for b in reports)
    first = next((i for i, b in enumerate(reports) if b.trainable), len(reports))
    activations = sum(b.activation_bytes for b in reports[first:]) * batch_size
    return MemoryEstimate(
        batch_size,
        total * BYTES_PER_VALUE,
        trainable * BYTES_PER_VALUE,
        trainable * BYTES_PER_VALUE * OPTIMIZER_STATES,
        activations,
    )
