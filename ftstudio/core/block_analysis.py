"""One block on one input shape: output shape, parameters per stage, FLOPs, activations.

The block is built on the meta device and run on a meta tensor, so nothing is allocated and
no weights load; a block that the meta device cannot run (a TorchScript file, a custom block)
falls back to a tiny real batch. Results are cached, and user code runs with a time limit.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from ftstudio.core import time_limit
from ftstudio.core.blocks.registry import BlockType, Shape, kind_of
from ftstudio.core.builder import freeze_units
from ftstudio.core.errors import FTStudioError, ShapeMismatch
from ftstudio.core.memory_estimate import BYTES_PER_VALUE
from ftstudio.core.output_checks import final_linear

PROBE_BATCH = 2


@dataclass(frozen=True)
class BlockAnalysis:
    """What a block does to a given input shape; independent of freezing."""

    out_shape: Shape
    unit_params: tuple[tuple[str, int], ...]  # params per freeze unit; "" = not in any unit
    flops: int  # per sample, forward
    activation_bytes: int  # per sample, outputs of leaf modules
    final_linear: tuple[int, int] | None = None  # (in, out) when the block ends in a Linear


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
        kind_of(in_shape),
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
        if block_type.time_limited:
            result = time_limit.run_with_time_limit(
                lambda: _analyze(block_type, params, in_shape),
                time_limit.user_code_time_limit(),
                "Its module",
            )
        else:  # no user code: a slow first import (transformers) is not a loop
            result = _analyze(block_type, params, in_shape)
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
        dtype = torch.long if kind_of(in_shape) == "tokens" else torch.float32
        x = torch.zeros((PROBE_BATCH, *in_shape), device=device, dtype=dtype)
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
