"""The export folder: refuse to clobber unrelated files; remember what an export wrote."""

from __future__ import annotations

import json
from pathlib import Path

from ftstudio.core.export.errors import ExportError
from ftstudio.core.project import atomic_write_text

MANIFEST = "ftstudio-export.json"


def previous_files(out_dir: Path, overwrite: bool) -> list[str]:
    """Check that ``out_dir`` may be written; return the files a previous export listed.

    Raises
    ------
    ExportError
        ``out_dir`` is a file, or a non-empty folder that is not a previous export and
        ``overwrite`` is False.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"{out_dir} is a file; choose a folder for the export.")
    if not out_dir.is_dir() or not any(out_dir.iterdir()):
        return []
    manifest = out_dir / MANIFEST
    try:
        listed = json.loads(manifest.read_text(encoding="utf-8")).get("files", [])
    except (OSError, ValueError, AttributeError):
        listed = None
    if listed is None and not overwrite:
        raise ExportError(
            f"{out_dir} is not empty and is not an earlier FT Studio export. Choose an empty "
            "or new folder, or allow writing into it anyway (the window asks; on the command line "
            "add --overwrite)."
        )
    return [f for f in listed or [] if isinstance(f, str) and "/" not in f and "\\" not in f]


def write_manifest(out_dir: Path, project_name: str, files: list[str], mode: str) -> None:
    data = {"format": "ftstudio-export", "project": project_name, "mode": mode, "files": files}
    atomic_write_text(out_dir / MANIFEST, json.dumps(data, indent=2) + "\n")


def remove_stale(out_dir: Path, old: list[str], new: list[str]) -> None:
    """Delete files an earlier export wrote that this one did not (e.g. an old model.onnx)."""
    for name in old:
        if name not in new and name != MANIFEST:
            (out_dir / name).unlink(missing_ok=True)
