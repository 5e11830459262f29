"""Checking each section of a ``.ftproj`` document, collecting every problem.

:class:`SectionReader` reads the top level, ``input``, ``task``, each block, ``data`` and
``training``. A problem does not stop the reading: each one becomes a sentence naming the file,
the place and the fix, and the caller raises one :class:`ProjectFileError` listing them all.
The keys each section may hold are declared in :mod:`ftstudio.core.project_schema`.
"""

from __future__ import annotations

import json
import keyword
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from torch import nn

from ftstudio.core import blocks, project_code
from ftstudio.core.data.config import parse_data_config
from ftstudio.core.errors import FTStudioError
from ftstudio.core.keys import unknown_keys
from ftstudio.core.project_schema import (
    BLOCK_KEYS,
    DATA_KEYS,
    FORMAT_NAME,
    INPUT_KEYS,
    TASK_KEYS,
    TOP_LEVEL_KEYS,
    VALIDATION_KEYS,
    training_keys,
)
from ftstudio.core.project_spec import (
    TASK_KINDS,
    BlockSpec,
    InputSpec,
    Project,
    TaskSpec,
    resource_path,
)

MAX_DIM = 65536
MAX_SAMPLE_ELEMENTS = 64 * 1024 * 1024
LR_SCALE_MAX = 1000  # a block's learning rate is training.lr times its lr_scale
MAX_PROBLEMS = 100  # past this, a file is not worth reading on
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


def lr_scale_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a block's ``lr_scale`` (a sentence), or None when it can."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or not 0 <= value <= LR_SCALE_MAX:
        return f"must be a number from 0 to {LR_SCALE_MAX}, got {_shown(value)}."
    return None


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)[:60]


INPUT_DTYPES = ("float32", "int64")  # int64: token ids (text data sources)


class _Refused(Exception):
    """One problem, already worded; caught by :meth:`SectionReader.attempt`."""


class SectionReader:
    """Reads a migrated document into a :class:`Project`, collecting ``problems``."""

    def __init__(self, source: str, base_dir: Path | None = None, trust: bool | None = None):
        self.source = source
        self.base_dir = base_dir
        self.trust = trust
        self.problems: list[str] = []

    # ------------------------------------------------------------ collecting problems

    def add(self, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            prefix = f"{self.source}: "
            self.problems.append(message if message.startswith(prefix) else prefix + message)

    def fail(self, where: str, what: str) -> _Refused:
        return _Refused(f"{where}: {what}")

    def attempt(self, check: Callable[[], Any], default: Any = None) -> Any:
        """``check()``, or ``default`` after recording the problem it raised."""
        try:
            return check()
        except (_Refused, FTStudioError) as exc:
            self.add(str(exc))
            return default

    def keys(self, raw: dict, known: tuple[str, ...], where: str) -> None:
        for message in unknown_keys(raw, known, where):
            self.add(message)

    def obj(self, raw: Any, where: str) -> dict:
        if not isinstance(raw, dict):
            raise self.fail(where, f"must be an object, got {_shown(raw)}.")
        return raw

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise self.fail(where, f"must be text, got {_shown(value)}.")
        return value

    def integer(self, value: Any, where: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, f"must be a whole number, got {_shown(value)}.")
        if not low <= value <= high:
            raise self.fail(where, f"must be between {low} and {high}, got {_shown(value)}.")
        return value

    # ------------------------------------------------------------ sections

    def project(self, raw: dict) -> Project:
        self.keys(raw, TOP_LEVEL_KEYS, "the top level")
        if raw.get("format") != FORMAT_NAME:
            self.add(
                f'format: must be "{FORMAT_NAME}", got {_shown(raw.get("format"))}. '
                "This is not an FT Studio project file, or its first key was edited."
            )
        # Custom blocks' files load (with consent) before the blocks that use them are read.
        refs = project_code.read_refs(raw.get("custom_blocks", []), self.source)
        project_code.ensure_loaded(refs, self.base_dir, self.source, self.trust)
        project = Project(
            custom_blocks=refs,
            name=self.attempt(lambda: self.text(raw.get("name", "Untitled"), "name"), ""),
            input=self.attempt(lambda: self.input(raw.get("input", {})), InputSpec()),
            task=self.attempt(lambda: self.task(raw.get("task", {})), TaskSpec()),
            data=self.attempt(lambda: self.data(raw.get("data", {})), {}),
            training=self.attempt(lambda: self.training(raw.get("training", {})), {}),
        )
        raw_blocks = raw.get("blocks", [])
        if not isinstance(raw_blocks, list):
            self.add(f"blocks: must be a list, got {_shown(raw_blocks)}.")
            raw_blocks = []
        seen: set[str] = set()
        for i, raw_block in enumerate(raw_blocks):
            spec = self.attempt(lambda i=i, raw_block=raw_block: self.block(raw_block, i))
            if spec is None:
                continue
            if spec.id in seen:
                self.add(f"blocks[{i}]: the id '{spec.id}' is used twice; ids must be unique.")
            seen.add(spec.id)
            project.blocks.append(spec)
        return project

    def input(self, raw: Any) -> InputSpec:
        raw = self.obj(raw, "input")
        self.keys(raw, INPUT_KEYS, "input")
        shape = self.attempt(lambda: self.shape(raw.get("shape", [3, 224, 224])))
        dtype = raw.get("dtype", "float32")
        if dtype not in INPUT_DTYPES:
            self.add(f"input.dtype: must be 'float32' or 'int64' (token ids), got {_shown(dtype)}.")
            dtype = "float32"
        return InputSpec(shape=shape, dtype=dtype)

    def shape(self, shape: Any) -> tuple[int, ...] | None:
        if shape is None:
            return None
        if not isinstance(shape, list) or not 1 <= len(shape) <= 3:
            raise self.fail(
                "input.shape",
                "must be a list of 1 to 3 sizes, such as [3, 224, 224] "
                "(image), [100, 128] (sequence) or [64] (vector), or null.",
            )
        shape = tuple(self.integer(d, f"input.shape[{i}]", 1, MAX_DIM) for i, d in enumerate(shape))
        if math.prod(shape) > MAX_SAMPLE_ELEMENTS:
            raise self.fail(
                "input.shape",
                f"{list(shape)} has {math.prod(shape):,} values per "
                f"sample; the limit is {MAX_SAMPLE_ELEMENTS:,}.",
            )
        return shape

    def task(self, raw: Any) -> TaskSpec:
        raw = self.obj(raw, "task")
        self.keys(raw, TASK_KEYS, "task")
        kind = raw.get("kind", "classification")
        if kind not in TASK_KINDS:
            self.add(f"task.kind: must be one of {', '.join(TASK_KINDS)}; got {_shown(kind)}.")
            kind = "classification"
        count = raw.get("num_classes", 10), raw.get("num_outputs", 1)
        return TaskSpec(
            kind=kind,
            num_classes=self.attempt(
                lambda: self.integer(count[0], "task.num_classes", 1, 100000), 10
            ),
            num_outputs=self.attempt(
                lambda: self.integer(count[1], "task.num_outputs", 1, 100000), 1
            ),
        )

    def block(self, raw: Any, i: int) -> BlockSpec:
        where = f"blocks[{i}]"
        raw = self.obj(raw, where)
        block_id = raw.get("id")
        refused = check_block_id(block_id)
        if refused:
            raise self.fail(f"{where}.id", refused)
        where = f"blocks[{i}] (id '{block_id}')"
        self.keys(raw, BLOCK_KEYS, where)
        type_name = self.text(raw.get("type"), f"{where}.type")
        try:
            block_type = blocks.get(type_name)
        except FTStudioError as exc:
            raise self.fail(where, str(exc)) from None
        params = self.obj(raw.get("params", {}), f"{where}.params")
        params = self.attempt(lambda: block_type.resolve(params, where), block_type.resolve({}))
        for param in block_type.params:
            if param.kind == "path":
                self.attempt(lambda p=param: self.resources(params[p.name], f"{where}.{p.name}"))
        frozen = raw.get("frozen", False)
        if not isinstance(frozen, bool):
            self.add(f"{where}.frozen: must be true or false, got {_shown(frozen)}.")
        stages = raw.get("frozen_stages", [])
        if not isinstance(stages, list) or not all(isinstance(s, str) for s in stages):
            self.add(f"{where}.frozen_stages: must be a list of stage names.")
            stages = []
        lr_scale = raw.get("lr_scale", 1.0)
        problem = lr_scale_problem(lr_scale)
        if problem is not None:
            self.add(f"{where}.lr_scale: {problem}")
            lr_scale = 1.0
        return BlockSpec(
            id=block_id,
            type=type_name,
            name=self.attempt(lambda: self.text(raw.get("name", ""), f"{where}.name"), ""),
            params=params,
            frozen=frozen is True,
            frozen_stages=stages,
            lr_scale=float(lr_scale),
        )

    def resources(self, value: Any, where: str) -> None:
        if isinstance(value, str) and value.startswith("resources:"):
            try:
                resource_path(value)
            except FTStudioError as exc:
                raise self.fail(where, str(exc)) from None

    def data(self, raw: Any) -> dict[str, Any]:
        raw = self.obj(raw, "data")
        self.keys(raw, DATA_KEYS, "data")
        known = {k: v for k, v in raw.items() if k in DATA_KEYS}
        self.values(parse_data_config, known, "data")
        self.attempt(lambda: self.resources(raw.get("path"), "data.path"))
        validation = raw.get("validation")
        if isinstance(validation, dict):
            self.keys(validation, VALIDATION_KEYS, "data.validation")
            merged = {k: v for k, v in known.items() if k != "validation"}
            merged.update((k, v) for k, v in validation.items() if k in VALIDATION_KEYS)
            self.values(parse_data_config, merged, "data.validation")
            self.attempt(lambda: self.resources(validation.get("path"), "data.validation.path"))
        return raw

    def training(self, raw: Any) -> dict[str, Any]:
        from ftstudio.core.training.config import parse_training_config  # see training_keys()

        raw = self.obj(raw, "training")
        known = training_keys()
        self.keys(raw, known, "training")
        for key in known:
            if key in raw:
                self.attempt(lambda key=key: parse_training_config({key: raw[key]}))
        return raw

    def values(self, parse: Callable[[dict], Any], raw: dict, where: str) -> None:
        """Every value problem ``parse`` finds in ``raw``: after each, the key it names is
        left out and ``parse`` runs again, so one wrong key does not hide the next."""
        raw = dict(raw)
        for _ in range(len(raw) + 1):
            try:
                parse(raw)
                return
            except FTStudioError as exc:
                message = str(exc)
                if where != "data":
                    message = f"{where}: {message.removeprefix('data.')}"
                self.add(message)
                named = re.match(r"^data\.(\w+)", str(exc))
                if named is None or named.group(1) not in raw:
                    return
                del raw[named.group(1)]
