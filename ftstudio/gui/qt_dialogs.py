"""Every modal question the window asks, in one replaceable object.

Tests pass a fake with the same methods, so no test ever blocks on a modal dialog.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QWidget

from ftstudio.gui.qt_plain_text import ask

if TYPE_CHECKING:
    from ftstudio.core.export import ExportResult
    from ftstudio.gui.qt_export_dialog import ExportOptions, ExportRequest

PROJECT_FILTER = "FT Studio projects (*.ftproj)"


class QtDialogs:
    def __init__(self, parent: QWidget | None = None):
        self.parent = parent

    def _yes_no(self, icon: QMessageBox.Icon, title: str, text: str, default_yes: bool) -> bool:
        """A plain-text Yes/No question; True for Yes."""
        default = QMessageBox.Yes if default_yes else QMessageBox.No
        buttons = QMessageBox.Yes | QMessageBox.No
        return ask(self.parent, icon, title, text, buttons, default) == QMessageBox.Yes

    def ask_save_changes(self, name: str) -> str:
        """'save', 'discard' or 'cancel'."""
        answer = ask(
            self.parent,
            QMessageBox.Question,
            "Unsaved changes",
            f"Save the changes to “{name}” first?",
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel,
            QMessageBox.Save,
        )
        return {QMessageBox.Save: "save", QMessageBox.Discard: "discard"}.get(answer, "cancel")

    def show_error(self, title: str, message: str) -> None:
        ask(self.parent, QMessageBox.Critical, title, message, QMessageBox.Ok, QMessageBox.Ok)

    def open_project_path(self) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self.parent, "Open project", "", PROJECT_FILTER)
        return path or None

    def save_project_path(self, suggested: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(
            self.parent, "Save project", suggested, PROJECT_FILTER
        )
        return path or None

    def choose_file(self, title: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self.parent, title)
        return path or None

    def choose_blocks_file(self) -> str | None:
        path, _ = QFileDialog.getOpenFileName(
            self.parent, "Import custom blocks", "", "Python files (*.py)"
        )
        return path or None

    def ask_run_code(self, message: str) -> bool:
        """Run a project's custom code? ``message`` names the file and its hash state.
        Default: No."""
        return self._yes_no(
            QMessageBox.Warning,
            "Run custom code?",
            f"{message}\n\nRun this Python code? Only say yes if you trust it.",
            default_yes=False,
        )

    def choose_folder(self, title: str) -> str | None:
        path = QFileDialog.getExistingDirectory(self.parent, title)
        return path or None

    def confirm_memory(self, shortfall: str) -> bool:
        """Start a run whose memory estimate is over the free memory? Default: No."""
        return self._yes_no(
            QMessageBox.Warning,
            "Not enough memory?",
            f"{shortfall}\n\nThe run may fail or make the computer unresponsive. Start anyway?",
            default_yes=False,
        )

    def confirm_stop_training(self) -> bool:
        """Close the window, stopping the running training? Default: No (keep training)."""
        return self._yes_no(
            QMessageBox.Warning,
            "Stop training?",
            "A training run is in progress. Closing FT Studio stops it after the current "
            "batch (the last checkpoint is kept).\n\nStop training and close?",
            default_yes=False,
        )

    def offer_recovery(self, saved_at: str) -> bool:
        return self._yes_no(
            QMessageBox.Question,
            "Recover unsaved work?",
            f"FT Studio did not close normally. Recover the unsaved project from {saved_at}?",
            default_yes=True,
        )

    def ask_export(self, options: ExportOptions) -> ExportRequest | None:
        """The export dialog: folder, weights, formats; None when cancelled."""
        from ftstudio.gui.qt_export_dialog import QtExportDialog

        dialog = QtExportDialog(options, self.parent)
        try:
            return dialog.request() if dialog.exec() == QDialog.Accepted else None
        finally:
            dialog.deleteLater()

    def ask_overwrite(self, folder: str, reason: str | None = None) -> bool:
        why = reason or f"“{folder}” is not empty and is not an earlier FT Studio export."
        return self._yes_no(
            QMessageBox.Question,
            "Write into this folder?",
            f"{why}\n\nWrite the export into “{folder}” anyway? Files with the names the export "
            "writes are replaced, and FT Studio's own unchanged files from an earlier export "
            "that this one no longer writes are removed; other files stay.",
            default_yes=False,
        )

    def show_export_result(self, result: ExportResult, project_name: str) -> None:
        from ftstudio.gui.qt_export_dialog import QtExportResultDialog

        dialog = QtExportResultDialog(result, project_name, self.parent)
        try:
            dialog.exec()
        finally:
            dialog.deleteLater()

    def show_shortcuts(self, rows: list[tuple[str, str]]) -> None:
        """The keyboard shortcuts dialog: one (action, shortcut) row each."""
        from ftstudio.gui.qt_help_dialogs import shortcuts_dialog

        dialog = shortcuts_dialog(rows, self.parent)
        try:
            dialog.exec()
        finally:
            dialog.deleteLater()

    def show_about(self, text: str) -> None:
        ask(
            self.parent,
            QMessageBox.Information,
            "About FT Studio",
            text,
            QMessageBox.Ok,
            QMessageBox.Ok,
        )

    def open_document(self, path: str) -> None:
        """Open a local file in the desktop's viewer for its type."""
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(path)):
            self.show_error(
                "Cannot open the document",
                f"No application opened {path}. Open it with a text editor or Markdown viewer.",
            )
