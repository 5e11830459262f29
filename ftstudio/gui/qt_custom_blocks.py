"""Custom blocks in the window: import a blocks file, consent before a project's code runs,
reload (Ctrl+R, and when the file changes on disk), the user's blocks folder at start.

The work is :mod:`ftstudio.core.blocks.custom`; this adapter asks the questions, refreshes the
palette and re-validates. The stack keeps its blocks and their parameters across a reload, so
undo and redo go on working: commands hold block data, not classes.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QTimer

from ftstudio.core.blocks import custom
from ftstudio.core.errors import FTStudioError

RELOAD_DELAY_MS = 300  # an editor's save can be several writes


class QtCustomBlocks:
    """Custom blocks for one main window (``window`` gives dialogs, palette, validator)."""

    def __init__(self, window):
        self.window = window
        self.watcher = QFileSystemWatcher(window)
        self.watcher.fileChanged.connect(self._file_changed)
        self.reload_timer = QTimer(window)
        self.reload_timer.setSingleShot(True)
        self.reload_timer.setInterval(RELOAD_DELAY_MS)
        self.reload_timer.timeout.connect(self.reload)
        self.warnings: list[str] = []
        for path in custom.user_blocks_files():  # the user's own folder: their consent
            try:
                custom.load_blocks_file(path)
            except FTStudioError as exc:
                self.warnings.append(str(exc))
        self._watch()

    def import_file(self, path: str | None = None) -> bool:
        """File > Import custom blocks…: run the file and add its classes to the palette."""
        path = path or self.window.dialogs.choose_blocks_file()
        if not path:
            return False
        try:
            custom.load_blocks_file(path)
        except FTStudioError as exc:
            self.window.dialogs.show_error("Cannot import custom blocks", str(exc))
            return False
        self.changed()
        return True

    def reload(self) -> None:
        """Run every loaded blocks file again; a failure is shown, the others still reload."""
        self.reload_timer.stop()
        problems = []
        for record in custom.loaded_files():
            try:
                custom.reload_blocks_file(record.path)
            except FTStudioError as exc:
                problems.append(str(exc))
        if problems:
            self.window.dialogs.show_error("Cannot reload custom blocks", "\n".join(problems))
        self.changed()

    def changed(self) -> None:
        self.window.palette.refresh()
        self._watch()
        self.window.validator.request()

    def ask_consent(self, message: str) -> bool:
        """A project names custom code: may it run? ``message`` names the file and its hash
        state (:class:`~ftstudio.core.project_code.CustomCodeConsentError`)."""
        return self.window.dialogs.ask_run_code(message)

    def _watch(self) -> None:
        wanted = {str(r.path) for r in custom.loaded_files() if r.path.is_file()}
        watched = set(self.watcher.files())
        if watched - wanted:
            self.watcher.removePaths(sorted(watched - wanted))
        if wanted - watched:
            self.watcher.addPaths(sorted(wanted - watched))

    def _file_changed(self, path: str) -> None:
        if Path(path).is_file():
            self.reload_timer.start()

    def shutdown(self) -> None:
        self.reload_timer.stop()
        if self.watcher.files():
            self.watcher.removePaths(self.watcher.files())
