"""A project's custom code: which blocks files it uses, and consent before any of it runs.

A project stores, under ``custom_blocks``, each blocks file its blocks come from: the path
(relative to the project's folder, or ``resources:...`` for a file FT Studio ships) and the
SHA-256 of its content. Reading such a project runs nothing by itself: a file already loaded
(the user chose it: ``--blocks FILE``, File > Import, the per-user blocks folder) is used as
it is; any other is loaded only when the caller trusts the project (``--trust``). Otherwise a
:class:`CustomCodeConsentError` names the file and whether its content changed since the save.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from ftstudio.core.blocks import custom
from ftstudio.core.errors import ProjectFileError
from ftstudio.core.project_spec import RESOURCES, resource_path

_SHA = re.compile(r"^[0-9a-f]{64}$")
_TRUST = [False]


class CustomCodeConsentError(ProjectFileError):
    """A project uses custom code that the user has not agreed to run."""


class CustomCodeMissingError(CustomCodeConsentError):
    """A blocks file the project names is not there (nothing to agree to)."""


def trust_project_code(trust: bool) -> None:
    """Whether reading a project may load the blocks files it names (the CLI's ``--trust``)."""
    _TRUST[0] = bool(trust)


def read_refs(raw: Any, source: str) -> list[dict[str, str]]:
    """The ``custom_blocks`` section checked: a list of ``{"path": text, "sha256": hex}``."""
    if not isinstance(raw, list):
        raise ProjectFileError(f"{source}: custom_blocks: must be a list, got {_shown(raw)}.")
    refs = []
    for i, ref in enumerate(raw):
        where = f"{source}: custom_blocks[{i}]"
        if not isinstance(ref, dict) or set(ref) != {"path", "sha256"}:
            raise ProjectFileError(
                f'{where}: must be an object with exactly "path" and "sha256", got {_shown(ref)}.'
            )
        if not isinstance(ref["path"], str) or not ref["path"]:
            raise ProjectFileError(f"{where}.path: must be a file path, got {_shown(ref['path'])}.")
        if not isinstance(ref["sha256"], str) or not _SHA.match(ref["sha256"]):
            raise ProjectFileError(
                f"{where}.sha256: must be 64 lowercase hex digits, got {_shown(ref['sha256'])}."
            )
        refs.append({"path": ref["path"], "sha256": ref["sha256"]})
    return refs


def file_path(ref_path: str, base_dir: Path | None) -> Path:
    if ref_path.startswith("resources:"):
        return resource_path(ref_path)
    path = Path(ref_path).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return path.resolve()


def ensure_loaded(
    refs: list[dict[str, str]], base_dir: Path | None, source: str, trust: bool | None = None
) -> None:
    """Make every blocks file of ``refs`` loaded, with consent; see the module docstring.

    Files shipped with FT Studio (``resources:``) are ours and load without asking.
    """
    trust = _TRUST[0] if trust is None else trust
    for ref in refs:
        path = file_path(ref["path"], base_dir)
        if custom.loaded(path) is not None or _loaded_by_name(path) is not None:
            continue
        if not path.is_file():
            raise CustomCodeMissingError(
                f"{source} uses custom blocks from {ref['path']}, but that file is missing "
                f"({path}). Put it back, or pass its new location with --blocks FILE."
            )
        if not trust and not ref["path"].startswith("resources:"):
            changed = custom.sha256_of(path) != ref["sha256"]
            state = (
                "its content CHANGED since the project was saved"
                if changed
                else "unchanged since the project was saved"
            )
            raise CustomCodeConsentError(
                f"{source} uses custom code in {ref['path']} ({state}). FT Studio runs a "
                f"project's code only with your consent: pass --blocks {ref['path']}, or "
                "--trust to run the blocks files the project names."
            )
        custom.load_blocks_file(path)


def _loaded_by_name(path: Path) -> custom.BlocksFile | None:
    """A loaded file of the same name (the user gave a moved copy with --blocks)."""
    return next((f for f in custom.loaded_files() if f.path.name == path.name), None)


def refs_for(blocks: list, folder: Path | None) -> list[dict[str, str]]:
    """``custom_blocks`` for a project whose blocks are ``blocks``, saved in ``folder``."""
    refs: list[dict[str, str]] = []
    for spec in blocks:
        record = custom.file_of(spec.type)
        if record is None or any(r["sha256"] == record.sha256 for r in refs):
            continue
        refs.append({"path": _stored_path(record.path, folder), "sha256": record.sha256})
    return refs


def _stored_path(path: Path, folder: Path | None) -> str:
    if path.is_relative_to(RESOURCES.resolve()):
        return "resources:" + path.relative_to(RESOURCES.resolve()).as_posix()
    if folder is None:
        return str(path)
    try:
        return Path(os.path.relpath(path, folder.resolve())).as_posix()
    except ValueError:  # another drive on Windows
        return str(path)


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)[:60]
