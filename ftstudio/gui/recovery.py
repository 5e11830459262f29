"""Qt-free crash recovery file: the unsaved project plus where it came from."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from ftstudio.core import project as project_io
from ftstudio.core.project import Project
from ftstudio.core.tempfiles import atomic_write_text

PROJECT_NAME = "recovery.ftproj"
META_NAME = "recovery.json"


class RecoveryFile:
    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    @property
    def path(self) -> Path:
        return self.folder / PROJECT_NAME

    def write(self, project: Project) -> None:
        meta = {"path": str(project.path) if project.path else None, "saved_at": time.time()}
        # custom blocks' file paths relative to where this copy is, so it reads them back
        atomic_write_text(self.path, project_io.dumps(project, self.folder))
        atomic_write_text(self.folder / META_NAME, json.dumps(meta))

    def exists(self) -> bool:
        return self.path.is_file()

    def saved_at(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.path.stat().st_mtime))

    def read(self, trust: bool = False) -> Project:
        """The recovered project, with its original path (if any) restored; custom code it
        names runs only with ``trust`` (else a ``CustomCodeConsentError``).

        Raises
        ------
        ProjectFileError
            The recovery file cannot be read or is not a valid project (random bytes, a
            half-written file, text that is not a project).
        """
        project = project_io.load(self.path, trust=trust)
        try:
            meta = json.loads((self.folder / META_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        original = meta.get("path") if isinstance(meta, dict) else None
        project.path = Path(original) if isinstance(original, str) and original else None
        return project

    def set_aside(self) -> Path:
        """Keep an unreadable recovery file under a new name beside it; return that path.

        The next start then offers nothing, while the bytes stay for the user (or a bug
        report). Its companion ``recovery.json`` is removed.
        """
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for n in range(1, 1000):
            kept = self.folder / f"recovery-unreadable-{stamp}{f'-{n}' if n > 1 else ''}.ftproj"
            if not kept.exists():
                break
        os.replace(self.path, kept)
        (self.folder / META_NAME).unlink(missing_ok=True)
        return kept

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
        (self.folder / META_NAME).unlink(missing_ok=True)
