"""Reading a ``.ftproj`` document: JSON parsing, per-field validation and format migration.

Every problem is a :class:`ProjectFileError` naming the file and the field.
"""

from __future__ import annotations

import json
import keyword
import math
import re
from typing import Any

from torch import nn

from ftstudio.core import blocks
from ftstudio.core.errors import FTStudioError, ProjectFileError
from ftstudio.core.project_spec import TASK_KINDS, BlockSpec, InputSpec, Project, TaskSpec

FORMAT_VERSION = 1
MAX_DIM = 65536
MAX_SAMPLE_ELEMENTS = 64 * 1024 * 1024
_ID_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
# A block id names the block's submodule of the model (an nn.Sequential) and of exported code,
# so it may not shadow what a module already has (training, forward, to, state_dict...).
RESERVED_IDS = frozenset(
    {n for n in dir(nn.Sequential()) if not n.startswith("_")}
    | set(keyword.kwlist)
    | set(keyword.softkwlist)
)
ID_RULE = (
    "a block id is 1 to 64 ASCII letters, digits and '_', starts with a letter, and is neither "
    "a Python keyword nor a name a PyTorch module already uses (such as training, forward, to, "
    "state_dict)"
)


def check_block_id(block_id: Any) -> str | None:
    """Why ``block_id`` cannot be a block id (a sentence), or None when it can."""
    shown = json.dumps(block_id)[:80]
    if not isinstance(block_id, str) or not _ID_PATTERN.match(block_id):
        return f"{shown} is not a valid id: {ID_RULE}."
    if block_id in RESERVED_IDS:
        return f"{shown} is reserved: {ID_RULE}. Rename the block, e.g. '{block_id}_1'."
    return None


def from_dict(raw: Any, source: str = "project") -> Project:
    """Build a :class:`Project` from parsed JSON, checking every field."""
    raw = migrate(_expect(raw, dict, f"{source}: the top level", "an object"), source)
    reader = _Reader(source)
    project = Project(
        name=reader.text(raw.get("name", "Untitled"), "name"),
        input=reader.input(raw.get("input", {})),
        task=reader.task(raw.get("task", {})),
        data=_expect(raw.get("data", {}), dict, f"{source}: data", "an object"),
        training=_expect(raw.get("training", {}), dict, f"{source}: training", "an object"),
    )
    raw_blocks = _expect(raw.get("blocks", []), list, f"{source}: blocks", "a list")
    seen: set[str] = set()
    for i, raw_block in enumerate(raw_blocks):
        spec = reader.block(raw_block, i)
        if spec.id in seen:
            raise ProjectFileError(
                f"{source}: blocks[{i}]: the id '{spec.id}' is used twice; ids must be unique."
            )
        seen.add(spec.id)
        project.blocks.append(spec)
    return project


def _expect(value: Any, kind: type, where: str, described: str) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise ProjectFileError(f"{where} must be {described}, got {json.dumps(value)[:60]}.")
    return value


class _Reader:
    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, what: str) -> ProjectFileError:
        return ProjectFileError(f"{self.source}: {where}: {what}")

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise self.fail(where, f"must be text, got {json.dumps(value)[:60]}.")
        return value

    def integer(self, value: Any, where: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, f"must be a whole number, got {json.dumps(value)[:60]}.")
        if not low <= value <= high:
            raise self.fail(where, f"must be between {low} and {high}, got {value}.")
        return value

    def input(self, raw: Any) -> InputSpec:
        raw = self.obj(raw, "input")
        shape = raw.get("shape", [3, 224, 224])
        if shape is not None:
            if not isinstance(shape, list) or not 1 <= len(shape) <= 3:
                raise self.fail(
                    "input.shape",
                    "must be a list of 1 to 3 sizes, such as [3, 224, 224] "
                    "(image), [100, 128] (sequence) or [64] (vector), or null.",
                )
            shape = tuple(
                self.integer(d, f"input.shape[{i}]", 1, MAX_DIM) for i, d in enumerate(shape)
            )
            if math.prod(shape) > MAX_SAMPLE_ELEMENTS:
                raise self.fail(
                    "input.shape",
                    f"{list(shape)} has {math.prod(shape):,} values per "
                    f"sample; the limit is {MAX_SAMPLE_ELEMENTS:,}.",
                )
        dtype = raw.get("dtype", "float32")
        if dtype not in ("float32",):
            raise self.fail("input.dtype", f"must be 'float32', got {json.dumps(dtype)}.")
        return InputSpec(shape=shape, dtype=dtype)

    def task(self, raw: Any) -> TaskSpec:
        raw = self.obj(raw, "task")
        kind = raw.get("kind", "classification")
        if kind not in TASK_KINDS:
            raise self.fail(
                "task.kind", f"must be one of {', '.join(TASK_KINDS)}; got {json.dumps(kind)}."
            )
        return TaskSpec(
            kind=kind,
            num_classes=self.integer(raw.get("num_classes", 10), "task.num_classes", 1, 100000),
            num_outputs=self.integer(raw.get("num_outputs", 1), "task.num_outputs", 1, 100000),
        )

    def obj(self, raw: Any, where: str) -> dict:
        if not isinstance(raw, dict):
            raise self.fail(where, f"must be an object, got {json.dumps(raw)[:60]}.")
        return raw

    def block(self, raw: Any, i: int) -> BlockSpec:
        where = f"blocks[{i}]"
        raw = self.obj(raw, where)
        block_id = raw.get("id")
        refused = check_block_id(block_id)
        if refused:
            raise self.fail(f"{where}.id", refused)
        where = f"blocks[{i}] (id '{block_id}')"
        type_name = self.text(raw.get("type"), f"{where}.type")
        try:
            block_type = blocks.get(type_name)
        except FTStudioError as exc:
            raise self.fail(where, str(exc)) from None
        params = self.obj(raw.get("params", {}), f"{where}.params")
        try:
            params = block_type.resolve(params, where)
        except FTStudioError as exc:
            raise ProjectFileError(f"{self.source}: {exc}") from None
        frozen = raw.get("frozen", False)
        if not isinstance(frozen, bool):
            raise self.fail(f"{where}.frozen", f"must be true or false, got {json.dumps(frozen)}.")
        stages = raw.get("frozen_stages", [])
        if not isinstance(stages, list) or not all(isinstance(s, str) for s in stages):
            raise self.fail(f"{where}.frozen_stages", "must be a list of stage names.")
        lr_scale = raw.get("lr_scale", 1.0)
        if (
            isinstance(lr_scale, bool)
            or not isinstance(lr_scale, (int, float))
            or not 0 <= lr_scale <= 1000
        ):
            raise self.fail(
                f"{where}.lr_scale", f"must be a number from 0 to 1000, got {json.dumps(lr_scale)}."
            )
        return BlockSpec(
            id=block_id,
            type=type_name,
            name=self.text(raw.get("name", ""), f"{where}.name"),
            params=params,
            frozen=frozen,
            frozen_stages=stages,
            lr_scale=float(lr_scale),
        )


# ---------------------------------------------------------------- versions


def _migrate_0_to_1(raw: dict) -> dict:
    """Format 0 (pre-release) called the block list 'layers'."""
    raw = dict(raw)
    if "layers" in raw and "blocks" not in raw:
        raw["blocks"] = raw.pop("layers")
    raw["version"] = 1
    return raw


MIGRATIONS = {0: _migrate_0_to_1}


def migrate(raw: dict, source: str) -> dict:
    version = raw.get("version", 0)
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise ProjectFileError(
            f"{source}: version must be a whole number, got {json.dumps(version)}."
        )
    if version > FORMAT_VERSION:
        raise ProjectFileError(
            f"{source} was written by a newer FT Studio (project format {version}; this version "
            f"reads up to {FORMAT_VERSION}). Update FT Studio to open it."
        )
    while version < FORMAT_VERSION:
        raw = MIGRATIONS[version](raw)
        version = raw["version"]
    return raw


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed in a project file")


def loads(text: str, source: str = "project") -> Project:
    """Parse project JSON text. Every problem is a :class:`ProjectFileError` naming the field."""
    try:
        raw = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ProjectFileError(
            f"{source} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}). "
            "The file may be truncated or edited by hand; restore it from a backup."
        ) from None
    except (ValueError, RecursionError) as exc:  # NaN, 5000-digit numbers, absurd nesting
        what = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        constant = re.search(r"\b(NaN|Infinity)\b", text) if "not allowed" in what else None
        if constant is not None:
            line = text.count("\n", 0, constant.start()) + 1
            what += f", line {line}"
        raise ProjectFileError(
            f"{source} is not a valid project file ({what}). It may have been edited by hand; "
            "restore it from a backup."
        ) from None
    return from_dict(raw, source)
