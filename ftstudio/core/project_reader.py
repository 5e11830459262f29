"""Reading a ``.ftproj`` document: JSON parsing, per-field validation and format migration.

Every problem is a :class:`ProjectFileError` naming the file and the field.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ftstudio.core.errors import ProjectFileError
from ftstudio.core.project_schema import FORMAT_NAME, MAX_DEPTH, too_deep
from ftstudio.core.project_sections import (
    ID_RULE,
    MAX_DIM,
    MAX_SAMPLE_ELEMENTS,
    RESERVED_IDS,
    SectionReader,
    check_block_id,
)
from ftstudio.core.project_spec import Project

__all__ = [
    "FORMAT_VERSION",
    "ID_RULE",
    "MAX_DIM",
    "MAX_SAMPLE_ELEMENTS",
    "MIGRATIONS",
    "RESERVED_IDS",
    "check_block_id",
    "from_dict",
    "loads",
    "migrate",
    "read_section",
]

FORMAT_VERSION = 1


def from_dict(
    raw: Any, source: str = "project", base_dir: Path | None = None, trust: bool | None = None
) -> Project:
    """Build a :class:`Project` from parsed JSON, checking every section.

    The blocks files named under ``custom_blocks`` (relative to ``base_dir``) are loaded first,
    with consent only (``trust``; see :mod:`ftstudio.core.project_code`).

    Raises
    ------
    ProjectFileError
        Listing every problem found (``.problems``), each naming the place and the fix;
        :class:`~ftstudio.core.project_code.CustomCodeConsentError` for custom code without
        consent.
    """
    if not isinstance(raw, dict):
        raise ProjectFileError(f"{source}: the top level must be an object, got {_shown(raw)}.")
    deep = too_deep(raw)
    if deep is not None:
        raise ProjectFileError(
            f"{source}: {deep}: nested more than {MAX_DEPTH} levels deep; a project file "
            "never needs that. Restore the file from a backup."
        )
    raw = migrate(raw, source)
    reader = SectionReader(source, base_dir, trust)
    project = reader.project(raw)
    if reader.problems:
        raise ProjectFileError.from_problems(source, reader.problems)
    return project


def read_section(section: str, raw: Any, source: str = "project") -> Any:
    """One section (``input``, ``task``, ``data`` or ``training``) checked as the reader
    checks it in a file: an :class:`InputSpec`, a :class:`TaskSpec` or the checked dict.

    Raises
    ------
    ProjectFileError
        Listing every problem of that section.
    """
    deep = too_deep(raw)
    if deep is not None:
        raise ProjectFileError(f"{source}: {section}: nested more than {MAX_DEPTH} levels deep.")
    reader = SectionReader(source)
    value = reader.attempt(lambda: getattr(reader, section)(raw))
    if reader.problems:
        raise ProjectFileError.from_problems(source, reader.problems)
    return value


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)[:60]


# ---------------------------------------------------------------- versions


def _migrate_0_to_1(raw: dict) -> dict:
    """Format 0 (pre-release) called the block list 'layers' and had no "format" key."""
    raw = dict(raw)
    if "layers" in raw and "blocks" not in raw:
        raw["blocks"] = raw.pop("layers")
    raw.setdefault("format", FORMAT_NAME)
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


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {_shown(key)} appears twice in one object; keep one of them")
        out[key] = value
    return out


def loads(
    text: str, source: str = "project", base_dir: Path | None = None, trust: bool | None = None
) -> Project:
    """Parse project JSON text. Every problem is a :class:`ProjectFileError` naming the field."""
    try:
        raw = json.loads(
            text, parse_constant=_refuse_constant, object_pairs_hook=_refuse_duplicates
        )
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
    return from_dict(raw, source, base_dir, trust)
