"""The ``.ftproj`` project document: dataclasses, load/save, format version and migration.

A project file is JSON and never holds code. Keys are written in a fixed order so files diff
well, and load -> save -> load -> save gives identical bytes.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftstudio.core import blocks
from ftstudio.core.errors import FTStudioError, ProjectFileError

FORMAT_VERSION = 1
SUFFIX = ".ftproj"
TASK_KINDS = ("classification", "token_classification", "regression")
MAX_DIM = 65536
MAX_SAMPLE_ELEMENTS = 64 * 1024 * 1024
_ID_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


@dataclass
class InputSpec:
    """Shape of one sample (batch excluded) and its dtype; ``shape`` None means 'from the dataset'."""

    shape: tuple[int, ...] | None = (3, 224, 224)
    dtype: str = "float32"


@dataclass
class BlockSpec:
    """One block of the stack as the user configured it."""

    id: str
    type: str
    name: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    frozen: bool = False
    frozen_stages: list[str] = field(default_factory=list)
    lr_scale: float = 1.0

    @property
    def block_type(self) -> blocks.BlockType:
        return blocks.get(self.type)

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        try:
            return self.block_type.title
        except FTStudioError:  # an unknown type still gets a name to show
            return self.type


@dataclass
class TaskSpec:
    """What the model is trained to do."""

    kind: str = "classification"
    num_classes: int = 10
    num_outputs: int = 1


@dataclass
class Project:
    """A whole FT Studio project."""

    name: str = "Untitled"
    input: InputSpec = field(default_factory=InputSpec)
    blocks: list[BlockSpec] = field(default_factory=list)
    task: TaskSpec = field(default_factory=TaskSpec)
    data: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    path: Path | None = field(default=None, compare=False, repr=False)

    def block(self, block_id: str) -> BlockSpec:
        for spec in self.blocks:
            if spec.id == block_id:
                return spec
        raise KeyError(block_id)

    def index_of(self, block_id: str) -> int:
        return [b.id for b in self.blocks].index(block_id)

    def new_block_id(self, type_name: str) -> str:
        taken = {b.id for b in self.blocks}
        n = 1
        while f"{type_name}_{n}" in taken:
            n += 1
        return f"{type_name}_{n}"

    def copy(self) -> Project:
        return copy.deepcopy(self)

    def resolve_path(self, value: str) -> str:
        """Resolve a path parameter: ``resources:NAME`` is shipped with FT Studio; relative
        paths are relative to the project file's folder."""
        if not value:
            return value
        if value.startswith("resources:"):
            return str(RESOURCES / value.removeprefix("resources:"))
        path = Path(value).expanduser()
        if not path.is_absolute() and self.path is not None:
            path = self.path.parent / path
        return str(path)


RESOURCES = Path(__file__).resolve().parent.parent / "resources"


def make_block(type_name: str, project: Project | None = None, **params: Any) -> BlockSpec:
    """A new block of ``type_name`` with default params (overridden by ``params``)."""
    block_type = blocks.get(type_name)
    block_id = project.new_block_id(type_name) if project else f"{type_name}_1"
    return BlockSpec(
        id=block_id,
        type=type_name,
        name="",
        params=block_type.resolve(params, f"new '{block_type.title}' block"),
    )


# ---------------------------------------------------------------- to / from plain data


def to_dict(project: Project) -> dict[str, Any]:
    return {
        "format": "ftstudio-project",
        "version": FORMAT_VERSION,
        "name": project.name,
        "input": {
            "shape": list(project.input.shape) if project.input.shape else None,
            "dtype": project.input.dtype,
        },
        "task": {
            "kind": project.task.kind,
            "num_classes": project.task.num_classes,
            "num_outputs": project.task.num_outputs,
        },
        "blocks": [
            {
                "id": b.id,
                "type": b.type,
                "name": b.name,
                "params": dict(b.params),
                "frozen": b.frozen,
                "frozen_stages": list(b.frozen_stages),
                "lr_scale": b.lr_scale,
            }
            for b in project.blocks
        ],
        "data": project.data,
        "training": project.training,
    }


def dumps(project: Project) -> str:
    """The project as JSON text with a fixed key order; refuses NaN/Infinity and non-JSON values."""
    try:
        return json.dumps(to_dict(project), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    except (TypeError, ValueError) as exc:
        raise ProjectFileError(
            f"The project cannot be saved: {exc}. Project files hold plain numbers, text, "
            "lists and objects only (no NaN or Infinity)."
        ) from None


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
        if not isinstance(block_id, str) or not _ID_PATTERN.match(block_id):
            raise self.fail(
                f"{where}.id",
                "must be a name of letters, digits and '_' that does not "
                f"start with a digit, got {json.dumps(block_id)}.",
            )
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


# ---------------------------------------------------------------- files


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


def load(path: str | Path) -> Project:
    """Read a project file. Every problem is a :class:`ProjectFileError` naming the field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProjectFileError(
            f"No project file at {path}. Check the path, or create one with `ftstudio new`."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectFileError(f"Cannot read {path}: {exc}.") from None
    project = loads(text, path.name)
    project.path = path.resolve()
    return project


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder and ``os.replace``."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(project: Project, path: str | Path | None = None) -> Path:
    """Save atomically to ``path`` (default: where it was loaded from)."""
    target = Path(path) if path is not None else project.path
    if target is None:
        raise ProjectFileError("This project has never been saved; choose a file name.")
    atomic_write_text(target, dumps(project))
    project.path = target.resolve()
    return target
