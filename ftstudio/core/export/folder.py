"""The export folder: refuse to clobber unrelated files; remember what an export wrote.

An export records each file it wrote, with its SHA-256, in ``ftstudio-export.json``. A later
export trusts that list only for plain file names in the folder (no ``..``, no separators, no
symlinks) whose content still has the recorded hash: only such files are replaced without
``overwrite``, and only they are ever deleted (and only with ``overwrite``). A manifest that
someone else wrote or edited can therefore never make an export delete the user's files.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ftstudio.core.export.errors import ExportError
from ftstudio.core.tempfiles import atomic_write_text

MANIFEST = "ftstudio-export.json"
MANIFEST_MAX_BYTES = 1 << 20
_CHUNK = 1 << 20


@dataclass
class ExportFolder:
    """What an export may do in its folder.

    Attributes
    ----------
    path : Path
        The folder.
    overwrite : bool
        The user allowed replacing files that FT Studio did not write there.
    owned : dict of str to str
        Files an earlier export wrote there, unchanged since (name -> SHA-256).
    changed : list of str
        Files an earlier export listed that were changed, replaced or removed since: never
        deleted.
    """

    path: Path
    overwrite: bool
    owned: dict[str, str] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)


def safe_name(name: object) -> bool:
    """``name`` is one plain file name inside the folder (no path, no ``..``, no drive)."""
    return (
        isinstance(name, str)
        and name not in ("", ".", "..", MANIFEST)
        and not any(c in name for c in "/\\:\0")
        and Path(name).name == name
    )


def file_sha256(path: Path) -> str | None:
    """SHA-256 of a regular file at ``path`` (a symlink is not followed), or None."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        fd = os.open(path, flags)
    except OSError:
        return None
    digest = hashlib.sha256()
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _listed_files(out_dir: Path) -> dict[str, str] | None:
    """The ``files`` of the folder's manifest (name -> hash), or None if there is none.

    A manifest of an older version (a list of names without hashes) counts as an earlier
    export whose files cannot be verified: an empty mapping.
    """
    manifest = out_dir / MANIFEST
    try:
        info = os.lstat(manifest)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MANIFEST_MAX_BYTES:
            return None
        data = json.loads(manifest.read_bytes().decode("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != "ftstudio-export":
        return None
    files = data.get("files")
    if isinstance(files, list):
        return {}
    if not isinstance(files, dict):
        return None
    return {n: h for n, h in files.items() if safe_name(n) and isinstance(h, str)}


def open_folder(out_dir: Path, overwrite: bool, names: list[str]) -> ExportFolder:
    """Check that an export writing ``names`` may write into ``out_dir``.

    Only names in ``names`` are ever taken as the export's own files.

    Raises
    ------
    ExportError
        ``out_dir`` is a file; or, without ``overwrite``, a non-empty folder that is not an
        earlier export, or one where a file the export would replace was not written by it.
    """
    folder = ExportFolder(out_dir, overwrite)
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"{out_dir} is a file; choose a folder for the export.")
    if not out_dir.is_dir() or not any(out_dir.iterdir()):
        return folder
    listed = _listed_files(out_dir)
    for name, digest in (listed or {}).items():
        if name not in names:
            continue  # an export only ever writes (and so only ever deletes) its own names
        if file_sha256(out_dir / name) == digest:
            folder.owned[name] = digest
        else:
            folder.changed.append(name)
    if overwrite:
        return folder
    if listed is None:
        raise ExportError(
            f"{out_dir} is not empty and is not an earlier FT Studio export. Choose an empty "
            "or new folder, or allow writing into it anyway (the window asks; on the command line "
            "add --overwrite)."
        )
    foreign = [n for n in names if n not in folder.owned and os.path.lexists(out_dir / n)]
    if foreign:
        raise ExportError(
            f"{out_dir / foreign[0]} was not written by FT Studio, or was changed since, and "
            "this export would replace it. Choose another folder, or allow replacing it (the "
            "window asks; on the command line add --overwrite)."
        )
    return folder


def write_manifest(
    folder: ExportFolder,
    project_name: str,
    written: dict[str, str],
    mode: str,
    parity: dict | None = None,
):
    """Record ``written`` (name -> SHA-256), plus earlier files that were kept, and the
    parity check's report (``parity``; left out when the check did not run)."""
    kept = {n: h for n, h in folder.owned.items() if n not in written}
    data = {
        "format": "ftstudio-export",
        "project": project_name,
        "mode": mode,
        "files": {**written, **kept},
    }
    if parity is not None:
        data["parity"] = parity
    atomic_write_text(folder.path / MANIFEST, json.dumps(data, indent=2) + "\n")


def remove_stale(folder: ExportFolder, written: dict[str, str]) -> list[str]:
    """Notes on files of an earlier export that this one did not write (e.g. an old model.onnx).

    With ``overwrite`` such a file is deleted when it is still exactly what FT Studio wrote;
    otherwise it is kept (and stays listed, so a later export may remove it). Call it before
    :func:`write_manifest`. Files the manifest lists that were changed since are never touched.
    """
    notes = []
    for name, digest in list(folder.owned.items()):
        if name in written:
            continue
        path = folder.path / name
        if not folder.overwrite:
            notes.append(
                f"Kept {name} from an earlier export; export with overwrite (--overwrite) "
                "to remove it."
            )
        elif file_sha256(path) == digest:
            path.unlink(missing_ok=True)
            del folder.owned[name]
            notes.append(f"Removed {name}, written by an earlier export.")
    notes += [
        f"Kept {name}: an earlier export listed it, but it was changed or replaced since."
        for name in folder.changed
        if name not in written and os.path.lexists(folder.path / name)
    ]
    return notes
