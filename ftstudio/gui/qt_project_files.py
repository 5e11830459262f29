"""New / Open / Save / Save As, recent files, dropped files and crash recovery."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths, QTimer

from ftstudio.core import project as project_io
from ftstudio.core.errors import FTStudioError, ProjectFileError
from ftstudio.core.project import Project, make_block
from ftstudio.core.project_code import CustomCodeConsentError, CustomCodeMissingError
from ftstudio.core.templates import DEFAULT_TEMPLATE, load_template
from ftstudio.gui.qt_commands import QtInsertBlock, QtSetProjectField
from ftstudio.gui.recovery import RecoveryFile

WEIGHT_SUFFIXES = (".pt", ".pth", ".safetensors", ".ckpt", ".bin")
MAX_RECENT = 8
AUTOSAVE_MS = 3000


def starter_project() -> Project:
    """The first-start project: the default template, or seed-sequence until it exists."""
    try:
        return load_template(DEFAULT_TEMPLATE)
    except FTStudioError:
        return load_template("seed-sequence")


def default_recovery_dir() -> Path:
    override = os.environ.get("FTSTUDIO_RECOVERY_DIR")
    if override:
        return Path(override)
    return Path(QStandardPaths.writableLocation(QStandardPaths.AppDataLocation)) / "recovery"


class QtProjectFiles:
    """File handling for one main window (``window`` gives doc, undo, dialogs, settings)."""

    def __init__(self, window, settings: QSettings, recovery_dir: str | Path | None = None):
        self.window = window
        self.settings = settings
        self.recovery = RecoveryFile(recovery_dir or default_recovery_dir())
        self.forced_dirty = False  # a recovered project is unsaved even with a clean stack
        self.autosave_timer = QTimer(window)
        self.autosave_timer.setSingleShot(True)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)

    @property
    def doc(self):
        return self.window.doc

    @property
    def dialogs(self):
        return self.window.dialogs

    def is_dirty(self) -> bool:
        return self.forced_dirty or not self.window.undo.isClean()

    # ------------------------------------------------------------ project lifecycle

    def set_project(self, project: Project, dirty: bool = False) -> None:
        self.window.undo.clear()
        self.doc.replace(project)
        self.forced_dirty = dirty
        self.window.update_title()

    def maybe_save(self) -> bool:
        """Ask to save unsaved changes; False means the user cancelled."""
        if not self.is_dirty():
            return True
        answer = self.dialogs.ask_save_changes(self.doc.project.name)
        if answer == "save":
            return self.save()
        return answer == "discard"

    def new(self) -> bool:
        if not self.maybe_save():
            return False
        self.set_project(Project(name="Untitled"))
        self.recovery.clear()
        return True

    def open(self, path: str | None = None) -> bool:
        path = path or self.dialogs.open_project_path()
        if not path:
            return False
        try:
            project = self._load_with_consent(path)
        except ProjectFileError as exc:  # the open project stays as it was
            self.dialogs.show_error("Cannot open project", str(exc))
            return False
        if not self.maybe_save():
            return False
        self.set_project(project)
        self.recovery.clear()
        self.add_recent(str(project.path))
        return True

    def _load_with_consent(self, path: str) -> Project:
        """The project; its custom code runs only after the user agrees (declined: the
        :class:`CustomCodeConsentError` naming the file)."""
        try:
            return project_io.load(path, trust=False)
        except CustomCodeMissingError:
            raise
        except CustomCodeConsentError as exc:
            if not self.window.custom.ask_consent(str(exc)):
                raise
        project = project_io.load(path, trust=True)
        self.window.custom.changed()
        return project

    def save(self) -> bool:
        if self.doc.project.path is None:
            return self.save_as()
        return self._write(self.doc.project.path)

    def save_as(self) -> bool:
        suggested = str(self.doc.project.path or f"{self.doc.project.name}.ftproj")
        path = self.dialogs.save_project_path(suggested)
        if not path:
            return False
        if not path.endswith(project_io.SUFFIX):
            path += project_io.SUFFIX
        return self._write(Path(path))

    def _write(self, path: Path) -> bool:
        try:
            project_io.save(self.doc.project, path)  # atomic: temp file + os.replace
        except (OSError, FTStudioError) as exc:
            self.dialogs.show_error("Cannot save project", f"{path}: {exc}")
            return False
        self.window.undo.setClean()
        self.forced_dirty = False
        self.recovery.clear()
        self.add_recent(str(self.doc.project.path))
        self.window.update_title()
        return True

    # ------------------------------------------------------------ recent files

    def recent(self) -> list[str]:
        value = self.settings.value("recent", [])
        items = [value] if isinstance(value, str) else list(value or [])
        return [p for p in items if isinstance(p, str)]

    def add_recent(self, path: str) -> None:
        items = [path] + [p for p in self.recent() if p != path]
        self.settings.setValue("recent", items[:MAX_RECENT])

    # ------------------------------------------------------------ dropped files

    def drop_paths(self, paths: list[str]) -> None:
        for raw in paths:
            path = Path(raw)
            if path.is_dir():
                data = {"source": "image-folder", "path": str(path)}
                self.window.undo.push(
                    QtSetProjectField(self.doc, "data", data, f"Use image folder {path.name}")
                )
            elif path.suffix == project_io.SUFFIX:
                self.open(str(path))
            elif path.suffix == ".py":
                self.window.custom.import_file(str(path))
            elif path.suffix in WEIGHT_SUFFIXES:
                spec = make_block("backbone_from_file", self.doc.project, path=str(path))
                self.window.undo.push(
                    QtInsertBlock(self.doc, 0, spec, f"Add backbone from {path.name}")
                )
            else:
                self.dialogs.show_error(
                    "Cannot use this file",
                    f"{path.name}: drop a .ftproj project, a .py blocks file, a .pt/.pth/.ckpt/.bin/.safetensors weights "
                    "file, or a folder of images (one sub-folder per class).",
                )

    # ------------------------------------------------------------ crash recovery

    def edited(self) -> None:
        # the undo stack's clean state updates after this event, so check dirt on timeout
        self.autosave_timer.start()

    def autosave(self) -> None:
        if self.is_dirty():
            try:
                self.recovery.write(self.doc.project)
            except OSError:
                pass  # recovery is best effort; the user's own saves report errors

    def offer_recovery(self) -> bool:
        if not self.recovery.exists():
            return False
        try:
            saved_at = self.recovery.saved_at()
        except OSError:
            saved_at = "an earlier session"
        if not self.dialogs.offer_recovery(saved_at):
            self.recovery.clear()
            return False
        try:
            project = self._recover_with_consent()
        except CustomCodeConsentError:  # declined: the file stays for the next start
            return False
        except ProjectFileError as exc:
            self._unreadable_recovery(str(exc))
            return False
        self.set_project(project, dirty=True)
        return True

    def _recover_with_consent(self) -> Project:
        try:
            return self.recovery.read(trust=False)
        except CustomCodeMissingError:
            raise
        except CustomCodeConsentError as exc:
            if not self.window.custom.ask_consent(str(exc)):
                raise
        project = self.recovery.read(trust=True)
        self.window.custom.changed()
        return project

    def _unreadable_recovery(self, reason: str) -> None:
        """Report an unreadable recovery file and keep it under another name; start anew."""
        try:
            kept = f"It was kept as {self.recovery.set_aside()}."
        except OSError as exc:
            kept = (
                f"Copy {self.recovery.path} now if you need it: it could not be moved aside "
                f"({exc.strerror or exc})."
            )
        self.dialogs.show_error(
            "Cannot recover",
            f"The unsaved work from the last session cannot be read: {reason} {kept} "
            "FT Studio continues with the project it opened.",
        )

    def shutdown(self) -> None:
        """A normal close: stop autosaving and remove the recovery file."""
        self.autosave_timer.stop()
        self.recovery.clear()
