"""Qt-free crash recovery file: the unsaved project plus where it came from."""

from __future__ import annotations

import json
import time
from pathlib import Path

from ftstudio.core import project as project_io
from ftstudio.core.project import Project

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
        project_io.atomic_write_text(self.path, project_io.dumps(project))
        project_io.atomic_write_text(self.folder / META_NAME, json.dumps(meta))

    def exists(self) -> bool:
        return self.path.is_file()

    def saved_at(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.path.stat().st_mtime))

    def read(self) -> Project:
        """The recovered project, with its original path (if any) restored."""
        project = project_io.loads(self.path.read_text(encoding="utf-8"), "the recovery file")
        try:
            meta = json.loads((self.folder / META_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        project.path = Path(meta["path"]) if meta.get("path") else None
        return project

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
        (self.folder / META_NAME).unlink(missing_ok=True)
