"""The properties panel: the selected block's validation message and its parameter form."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ftstudio.core import blocks
from ftstudio.core.errors import FTStudioError
from ftstudio.core.project_sections import lr_scale_problem
from ftstudio.core.shapes import BlockIssue, ValidationReport
from ftstudio.core.weights_remedies import CHOOSE_FILE, WeightsRemedy, weights_remedies
from ftstudio.gui.qt_commands import QtUpdateBlock
from ftstudio.gui.qt_param_editors import make_editor
from ftstudio.gui.qt_undo_keys import share_undo_keys
from ftstudio.gui.stack_document import StackDocument

ISSUE_STYLE = (
    "QFrame#issue { background: #fde2e2; border: 1px solid #d05050; border-radius: 4px; }"
    " QLabel { color: #7a1010; }"
)
WARNING_STYLE = (
    "QFrame#warning { background: #fff4d6; border: 1px solid #c99a2e; border-radius: 4px; }"
    " QLabel { color: #6b4a00; }"
)
LR_SCALE_HELP = (
    "lr_scale: this block trains with the learning rate times this (0 to 1000); 0 freezes "
    "it, 0.1 is a common choice for a pretrained backbone"
)


class QtProperties(QWidget):
    """Shows one block; ``insertFixRequested(row)`` asks for the suggested adapter."""

    insertFixRequested = Signal(int)

    def __init__(
        self,
        doc: StackDocument,
        undo: QUndoStack,
        choose_file: Callable[[str], str | None],
        parent=None,
    ):
        super().__init__(parent)
        self.doc, self.undo, self._choose_file = doc, undo, choose_file
        self.block_id: str | None = None  # by id: a move must not change the block shown
        self.report: ValidationReport | None = None
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.RichText)
        self.note = QLabel(wordWrap=True, objectName="blockNote")
        self.note.setStyleSheet("color: #555;")
        self.note.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.issue_box = QFrame(objectName="issue")
        self.issue_box.setStyleSheet(ISSUE_STYLE)
        self.issue_label = QLabel(wordWrap=True)
        self.issue_label.setTextFormat(Qt.PlainText)  # messages quote block names
        self.issue_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.fix_button = QPushButton("Insert suggested block")
        self.fix_button.clicked.connect(lambda: self.insertFixRequested.emit(self.row))
        box = QVBoxLayout(self.issue_box)
        box.addWidget(self.issue_label)
        box.addWidget(self.fix_button)
        self.remedy_row = QHBoxLayout()  # a weights problem's remedies, as buttons
        box.addLayout(self.remedy_row)
        self.remedy_buttons: list[QPushButton] = []
        self.details = QLabel(wordWrap=True, objectName="issueDetails")
        self.details.setTextFormat(Qt.PlainText)
        self.details.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.details.hide()
        box.addWidget(self.details)
        self.warning_box = QFrame(objectName="warning")
        self.warning_box.setStyleSheet(WARNING_STYLE)
        self.warning_label = QLabel(wordWrap=True, objectName="warningText")
        self.warning_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        QVBoxLayout(self.warning_box).addWidget(self.warning_label)
        self.message = QLabel(wordWrap=True, objectName="paramMessage")
        self.message.setTextFormat(Qt.PlainText)
        self.message.setStyleSheet("color: #9b1c1c;")
        self.form_host = QWidget()
        self.form_layout = QVBoxLayout(self.form_host)
        self.form_layout.setContentsMargins(0, 0, 0, 0)
        self.form: QWidget | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.note)
        layout.addWidget(self.issue_box)
        layout.addWidget(self.warning_box)
        layout.addWidget(self.form_host)
        layout.addWidget(self.message)
        layout.addStretch(1)
        doc.connect(self._on_event)
        self.show_block(-1)

    # ------------------------------------------------------------ what is shown

    @property
    def row(self) -> int:
        """Row of the block shown, -1 when none (or it was removed)."""
        for row, spec in enumerate(self.doc.blocks):
            if spec.id == self.block_id:
                return row
        return -1

    def show_block(self, row: int) -> None:
        self.block_id = self.doc.blocks[row].id if 0 <= row < len(self.doc.blocks) else None
        self.message.clear()
        self._rebuild()

    def set_report(self, report: ValidationReport) -> None:
        self.report = report
        self._show_issue()

    def current_issue(self) -> BlockIssue | None:
        if self.report is None:
            return None
        if self.row < 0:
            return self.report.issue
        spec_id = self.block_id
        issue = self.report.issue
        return issue if issue is not None and issue.block_id == spec_id else None

    def current_warnings(self) -> list[str]:
        """Warnings of the selected block (of the whole stack when none is selected)."""
        if self.report is None:
            return []
        if self.row < 0:
            return list(self.report.warnings)
        spec_id = self.block_id
        block = next((b for b in self.report.blocks if b.block_id == spec_id), None)
        return list(block.warnings) if block is not None else []

    def current_note(self) -> str:
        """The selected block's status from the last validation ('' if none)."""
        if self.report is None or self.row < 0:
            return ""
        spec_id = self.block_id
        return next((b.note for b in self.report.blocks if b.block_id == spec_id), "")

    def _show_issue(self) -> None:
        note = self.current_note()
        self.note.setText(note)
        self.note.setVisible(bool(note))
        warnings = self.current_warnings()
        self.warning_box.setVisible(bool(warnings))
        self.warning_label.setText("\n\n".join(warnings))
        issue = self.current_issue()
        self.issue_box.setVisible(issue is not None)
        self._show_remedies(issue)
        if issue is None:
            return
        self.issue_label.setText(issue.message)
        self.fix_button.setVisible(bool(issue.fix) and self.row >= 0)
        if issue.fix:  # the message names the block; a long title here widened the dock
            title = blocks.get(issue.fix).title
            self.fix_button.setToolTip(f"Insert '{title}' before this block (undoable)")

    def _show_remedies(self, issue: BlockIssue | None) -> None:
        for button in self.remedy_buttons:
            button.deleteLater()
        self.remedy_buttons = []
        self.details.setText(issue.details if issue is not None else "")
        self.details.hide()
        if issue is None or issue.kind != "weights" or self.row < 0:
            return
        if issue.details:
            button = QPushButton("Show all keys", checkable=True)
            button.toggled.connect(self.details.setVisible)
            self.remedy_row.addWidget(button)
            self.remedy_buttons.append(button)
        for remedy in weights_remedies(self.doc.blocks[self.row]):
            button = QPushButton(remedy.label)
            button.clicked.connect(lambda _checked=False, r=remedy: self.apply_remedy(r))
            self.remedy_row.addWidget(button)
            self.remedy_buttons.append(button)

    def _focused_param(self) -> str | None:
        """objectName of the form editor holding the keyboard focus, if any."""
        widget = QApplication.focusWidget()
        while widget is not None and widget is not self.form:
            if widget.objectName().startswith("param_"):
                return widget.objectName()
            widget = widget.parentWidget()
        return None

    def _rebuild(self) -> None:
        # a commit on Tab rebuilds the form while focus is already on the next editor:
        # give that focus back to the same editor in the new form (keyboard-only use)
        focused = self._focused_param() if self.form is not None else None
        if self.form is not None:
            self.form.hide()
            self.form.deleteLater()
        self.form = QWidget()
        form = QFormLayout(self.form)
        form.setContentsMargins(0, 0, 0, 0)
        row = self.row
        if row < 0:
            self.title.setText("<i>Select a block to edit its parameters.</i>")
        else:
            spec = self.doc.blocks[row]
            block_type = spec.block_type
            self.title.setText(
                f"<b>{html.escape(spec.label)}</b> &nbsp;<span style='color:#666'>{block_type.title} · "
                f"{block_type.category}</span><br><small>{block_type.description}</small>"
            )
            if not block_type.params:
                form.addRow(QLabel("<i>This block has no parameters.</i>"))
            for param in block_type.params:
                editor = make_editor(
                    param,
                    spec.params.get(param.name, param.default),
                    lambda value, name=param.name: self.apply_param(name, value),
                    self._choose_file,
                )
                label = QLabel(param.title)
                label.setToolTip(param.help)
                form.addRow(label, editor)
            form.addRow(self._lr_scale_label(), self._lr_scale_editor(spec.lr_scale))
        share_undo_keys(self.form)  # Ctrl+Z in a field undoes the project edit (see module)
        self.form_layout.addWidget(self.form)
        self._show_issue()
        target = self.form.findChild(QWidget, focused) if focused else None
        if target is not None:
            target.setFocus(Qt.TabFocusReason)

    def _lr_scale_label(self) -> QLabel:
        label = QLabel("LR scale")
        label.setToolTip(LR_SCALE_HELP)
        return label

    def _lr_scale_editor(self, value: float) -> QLineEdit:
        editor = QLineEdit(f"{value:g}", objectName="param_lr_scale")
        editor.setToolTip(LR_SCALE_HELP)
        editor.editingFinished.connect(lambda: self.apply_lr_scale(editor.text()))
        return editor

    # ------------------------------------------------------------ edits

    def apply_lr_scale(self, text: str) -> bool:
        """Set the block's ``lr_scale`` from the typed text; a bad value is refused, said."""
        row = self.row
        if row < 0:
            return False
        spec = self.doc.blocks[row]
        try:
            value: object = float(text.strip())
        except ValueError:
            value = text.strip()
        problem = lr_scale_problem(value)
        if problem is not None:
            self.message.setText(f"Not applied: LR scale {problem}")
            return False
        if value == spec.lr_scale:
            return False
        self.message.clear()
        text = f"Set {spec.label} LR scale to {value:g}"
        self.undo.push(QtUpdateBlock(self.doc, row, text, lr_scale=float(value)))
        return True

    def apply_param(self, name: str, value: Any) -> bool:
        """Check and apply one parameter; an invalid value is refused with a message."""
        row = self.row
        if row < 0:
            return False
        return self._apply({name: value}, f"Set {self.doc.blocks[row].label}.{name} = {value}")

    def apply_remedy(self, remedy: WeightsRemedy) -> bool:
        """Apply a weights problem's remedy (asking for the file first), undoable."""
        row = self.row
        if row < 0:
            return False
        spec = self.doc.blocks[row]
        updates = dict(remedy.params)
        if remedy.kind == CHOOSE_FILE:
            chosen = self._choose_file(f"Weights for {spec.label}")
            if not chosen:
                return False
            updates[remedy.param] = chosen
        return self._apply(updates, f"{remedy.label.rstrip('…')}: {spec.label}")

    def _apply(self, updates: dict[str, Any], text: str) -> bool:
        row = self.row
        spec = self.doc.blocks[row]
        if all(spec.params.get(name) == value for name, value in updates.items()):
            return False
        params = {**spec.params, **updates}
        try:
            params = spec.block_type.resolve(params, f"'{spec.label}'")
        except FTStudioError as exc:
            self.message.setText(f"Not applied: {exc}")
            self._rebuild()
            return False
        self.message.clear()
        self.undo.push(QtUpdateBlock(self.doc, row, text, params=params))
        return True

    def _on_event(self, event: str, info: dict) -> None:
        if event in ("reset", "removed", "inserted", "moved"):
            self._rebuild()  # the window then shows the highlighted block (see sync)
        elif event == "changed" and info["index"] == self.row:
            self._rebuild()

    def editor(self, name: str) -> QWidget:
        return self.form.findChild(QWidget, f"param_{name}")
