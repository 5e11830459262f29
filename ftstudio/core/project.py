"""The ``.ftproj`` project file: to JSON and back, atomic load/save.

A project file is JSON and never holds code. Keys are written in a fixed order so files diff
well, and load -> save -> load -> save gives identical bytes. The dataclasses live in
:mod:`ftstudio.core.project_spec`, reading and migration in :mod:`ftstudio.core.project_reader`;
both are re-exported here, the public home of every name.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from ftstudio.core import tempfiles
from ftstudio.core.errors import ProjectFileError
from ftstudio.core.project_reader import (
    FORMAT_VERSION,
    MAX_DIM,
    MAX_SAMPLE_ELEMENTS,
    MIGRATIONS,
    from_dict,
    loads,
    migrate,
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
    "save",
    "to_dict",
]

SUFFIX = ".ftproj"


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


def load(path: str | Path) -> Project:
    """Read a project file. Every problem is a :class:`ProjectFileError` naming the field."""
    path = Path(path)
    try:
        text = read_regular_text(path, MAX_FILE_BYTES)
    except FileNotFoundError:
        raise ProjectFileError(
            f"No project file at {path}. Check the path, or create one with `ftstudio new`."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProjectFileError(f"Cannot read {path}: {exc}.") from None
    project = loads(text, path.name)
    project.path = path.resolve()
    return project


MAX_FILE_BYTES = 64 * 1024 * 1024  # a real project is a few kB


def read_regular_text(path: Path, limit: int) -> str:
    """The UTF-8 text of ``path``, refusing before reading anything that is not a regular file
    (a folder, a FIFO, ``/dev/zero``) or is larger than ``limit`` bytes."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ProjectFileError(
                f"{path} is not a regular file (it is a folder, a device or a pipe); "
                "give the path of a .ftproj file."
            )
        if info.st_size > limit:
            raise ProjectFileError(
                f"{path} is {info.st_size:,} bytes, far more than a project file holds "
                f"(the limit is {limit:,}); check the path."
            )
        chunks, size = [], 0
        while size <= limit and (chunk := os.read(fd, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
        data = b"".join(chunks)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise ProjectFileError(f"{path} grew past {limit:,} bytes while being read.")
    return data.decode("utf-8")


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder and ``os.replace``."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=tempfiles.prefix(path.name), suffix=tempfiles.SUFFIX, dir=path.parent
    )
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
    """Save atomically to ``path`` (default: where it was loaded from).

    Through a symbolic link, the file it points to is replaced and the link stays.
    """
    target = Path(path) if path is not None else project.path
    if target is None:
        raise ProjectFileError("This project has never been saved; choose a file name.")
    if target.is_symlink():
        target = Path(os.path.realpath(target))
    atomic_write_text(target, dumps(project))
    tempfiles.remove_stale_temps(target.parent, [target.name])  # left by a killed save
    project.path = target.resolve()
    return target
