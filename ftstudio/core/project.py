"""The ``.ftproj`` project file: to JSON and back, atomic load/save.

A project file is JSON and never holds code. Keys are written in a fixed order so files diff
well, and load -> save -> load -> save gives identical bytes. The dataclasses live in
:mod:`ftstudio.core.project_spec`, reading and migration in :mod:`ftstudio.core.project_reader`;
both are re-exported here, the public home of every name.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ftstudio.core import blocks, project_code
from ftstudio.core.errors import FTStudioError, ProjectFileError
from ftstudio.core.files import require_regular_file
from ftstudio.core.project_reader import (
    FORMAT_VERSION,
    MAX_DIM,
    MAX_SAMPLE_ELEMENTS,
    MIGRATIONS,
    from_dict,
    loads,
    migrate,
    read_section,
)
from ftstudio.core.project_spec import (
    RESOURCES,
    TASK_KINDS,
    BlockSpec,
    InputSpec,
    Project,
    TaskSpec,
    make_block,
)
from ftstudio.core.tempfiles import atomic_write_bytes, atomic_write_text
from ftstudio.core.text import printable

__all__ = [
    "FORMAT_VERSION",
    "MAX_DIM",
    "MAX_SAMPLE_ELEMENTS",
    "MIGRATIONS",
    "RESOURCES",
    "SUFFIX",
    "TASK_KINDS",
    "BlockSpec",
    "InputSpec",
    "Project",
    "TaskSpec",
    "atomic_write_bytes",
    "atomic_write_text",
    "dumps",
    "from_dict",
    "load",
    "loads",
    "make_block",
    "migrate",
    "read_section",
    "save",
    "to_dict",
]

SUFFIX = ".ftproj"


def to_dict(project: Project, folder: Path | None = None) -> dict[str, Any]:
    """The project as a JSON-ready dict; ``custom_blocks`` paths are relative to ``folder``
    (default: the project's own folder) and written only when a block is custom."""
    if folder is None and project.path is not None:
        folder = project.path.parent
    out = {
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
    refs = project_code.refs_for(project.blocks, folder) or _unloaded_refs(project)
    if refs:
        out["custom_blocks"] = refs
    return out


def _unloaded_refs(project: Project) -> list[dict[str, str]]:
    """The refs as read, for blocks whose types are not loaded (kept, never dropped)."""
    return list(project.custom_blocks) if any(not _known(b.type) for b in project.blocks) else []


def _known(type_name: str) -> bool:
    try:
        blocks.get(type_name)
    except FTStudioError:
        return False
    return True


def dumps(project: Project, folder: Path | None = None) -> str:
    """The project as JSON text with a fixed key order; refuses NaN/Infinity and non-JSON values."""
    try:
        return (
            json.dumps(to_dict(project, folder), indent=2, ensure_ascii=False, allow_nan=False)
            + "\n"
        )
    except (TypeError, ValueError) as exc:
        raise ProjectFileError(
            f"The project cannot be saved: {exc}. Project files hold plain numbers, text, "
            "lists and objects only (no NaN or Infinity)."
        ) from None


def load(path: str | Path, trust: bool | None = None) -> Project:
    """Read a project file. Every problem is a :class:`ProjectFileError` naming the field.

    Custom code it names runs only with consent (``trust``, :mod:`ftstudio.core.project_code`).
    """
    path = Path(path)
    try:
        require_regular_file(path, "Project file", ProjectFileError, _CHECK_PATH)
        text = _read_bounded(path, MAX_FILE_BYTES)
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectFileError(f"Cannot read {path}: {exc}.") from None
    project = loads(text, path.name, path.resolve().parent, trust)
    project.path = path.resolve()
    return project


MAX_FILE_BYTES = 64 * 1024 * 1024  # a real project is a few kB
_CHECK_PATH = "Check the path, or create one with `ftstudio new`."


def _read_bounded(path: Path, limit: int) -> str:
    """The UTF-8 text of the regular file ``path``; refuses one over ``limit`` bytes."""
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ProjectFileError(
            f"{printable(str(path))} holds more than {limit:,} bytes, far more than a project "
            "file does; check the path."
        )
    return data.decode("utf-8")


def save(project: Project, path: str | Path | None = None) -> Path:
    """Save atomically to ``path`` (default: where it was loaded from).

    Through a symbolic link, the file it points to is replaced and the link stays.
    """
    target = Path(path) if path is not None else project.path
    if target is None:
        raise ProjectFileError("This project has never been saved; choose a file name.")
    if target.is_symlink():
        target = Path(os.path.realpath(target))
    atomic_write_text(target, dumps(project, target.resolve().parent))
    project.path = target.resolve()
    return target
