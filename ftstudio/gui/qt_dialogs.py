"""Every modal question the window asks, in one replaceable object.

Tests pass a fake with the same methods, so no test ever blocks on a modal dialog.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

PROJECT_FILTER = "FT Studio projects (*.ftproj)"


class QtDialogs:
    def __init__(self, parent: QWidget | None = None):
        self.parent = parent

    def ask_save_changes(self, name: str) -> str:
        """'save', 'discard' or 'cancel'."""
        answer = QMessageBox.question(
            self.parent,
            "Unsaved changes",
            f"Save the changes to “{name}” first?",
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel,
            QMessageBox.Save,
        )
        return {QMessageBox.Save: "save", QMessageBox.Discard: "discard"}.get(answer, "cancel")

    def show_error(self, title: str, message: str) -> None:
        QMessageBox.critical(self.parent, title, message)

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

    def offer_recovery(self, saved_at: str) -> bool:
        answer = QMessageBox.question(
            self.parent,
            "Recover unsaved work?",
            f"FT Studio did not close normally. Recover the unsaved project from {saved_at}?",
            QMessageBox.Yes | QMessageBox.No,
            QMessageBox.Yes,
        )
        return answer == QMessageBox.Yes
