"""The Training settings form, bound to the project's ``training`` section (and the image
augmentations of ``data``).

Epochs, batch size, learning rate and the device are always shown; every other setting sits
in a folding section (Optimizer, Schedule, Regularisation, Augmentation, Performance,
Stopping, Run; see :mod:`ftstudio.gui.training_fields`). Every commit is one
:class:`QtSetProjectField` on the undo stack, checked by the core first: a value it refuses
is said under the field's section and never reaches the project. Document events (undo,
redo, open) refresh the form.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack, QValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QGridLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ftstudio.core.errors import FTStudioError
from ftstudio.core.training import TrainConfig
from ftstudio.gui.qt_collapsible import QtCollapsible
from ftstudio.gui.qt_commands import QtSetProjectField
from ftstudio.gui.qt_device_choice import AUTO, QtDeviceChoice
from ftstudio.gui.stack_document import StackDocument
from ftstudio.gui.training_fields import (
    BY_KEY,
    FIELDS,
    GROUPS,
    MONITOR_TITLES,
    Field,
    checked,
    current_value,
    inactive_reason,
    monitor_choices,
    parse_number,
    shown,
    summary,
)

DEFAULTS = TrainConfig()
ERROR_STYLE = "color: #9b1c1c;"
BAD_FIELD_STYLE = "QLineEdit { border: 1px solid #d05050; background: #fff3f3; }"


class QtLearningRateBox(QDoubleSpinBox):
    """A learning-rate box that shows ``0.001`` or ``3e-05``, not ``0.00100000``."""

    def __init__(self, parent: QWidget | None = None, **kwargs: Any):
        super().__init__(parent, **kwargs)
        self.setDecimals(10)
        self.setRange(1e-7, 10.0)
        self.setStepType(QAbstractSpinBox.AdaptiveDecimalStepType)

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt override
        return f"{value:g}"

    def valueFromText(self, text: str) -> float:  # noqa: N802 - Qt override
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):  # accepts 1e-4 as well as 0.0001
        try:
            value = float(text)
        except ValueError:
            typing = all(c in "0123456789.eE+-" for c in text)
            return (QValidator.Intermediate if typing else QValidator.Invalid), text, pos
        inside = self.minimum() <= value <= self.maximum()
        return (QValidator.Acceptable if inside else QValidator.Intermediate), text, pos


def _message_label(name: str) -> QLabel:
    label = QLabel(objectName=name, wordWrap=True)
    label.setTextFormat(Qt.PlainText)
    label.setStyleSheet(ERROR_STYLE)
    label.hide()
    return label


class QtTrainingSettings(QWidget):
    """Every training setting of the project, plus the device the run will use."""

    def __init__(self, doc: StackDocument, undo: QUndoStack, parent: QWidget | None = None):
        super().__init__(parent)
        self.doc, self.undo = doc, undo
        self.epochs = QSpinBox(objectName="epochs")
        self.epochs.setRange(1, 100000)
        self.batch_size = QSpinBox(objectName="batchSize")
        self.batch_size.setRange(1, 1 << 20)
        self.lr = QtLearningRateBox(objectName="learningRate")
        self.boxes = {"epochs": self.epochs, "batch_size": self.batch_size, "lr": self.lr}
        for key, box in self.boxes.items():
            box.setKeyboardTracking(False)  # commit on Enter / focus out / arrows, not per key
            box.setToolTip(f"training.{key} (saved with the project; applies to the next run)")
            box.valueChanged.connect(lambda value, key=key: self.commit(key, value))
        self.device = QtDeviceChoice()
        self.device.activated.connect(lambda i: self.set_device(self.device.itemData(i)))
        self.device_message = _message_label("deviceMessage")
        self.editors: dict[str, QWidget] = {}
        self.sections = {group: QtCollapsible(group) for group in GROUPS}
        self.messages = {group: _message_label(f"message_{group}") for group in GROUPS}
        for field in FIELDS:
            self._add_editor(field)
        for group, section in self.sections.items():
            section.form.addRow(self.messages[group])
            section.header.toggled.connect(lambda on, group=group: on and self._fold_others(group))
        self._lay_out()
        doc.connect(self._on_event)
        self.refresh()

    def _lay_out(self) -> None:
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(QLabel("Epochs"), 0, 0)
        grid.addWidget(self.epochs, 0, 1)
        grid.addWidget(QLabel("Batch size"), 0, 2)
        grid.addWidget(self.batch_size, 0, 3)
        grid.addWidget(QLabel("Learning rate"), 1, 0)
        grid.addWidget(self.lr, 1, 1)
        grid.addWidget(QLabel("Device"), 1, 2)
        grid.addWidget(self.device, 1, 3)
        grid.addWidget(self.device_message, 2, 0, 1, 4)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        inner = QWidget(objectName="trainingSections")
        column = QVBoxLayout(inner)
        column.setContentsMargins(0, 0, 4, 0)
        column.setSpacing(2)
        for section in self.sections.values():
            column.addWidget(section)
        column.addStretch(1)
        self.scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.scroll.setWidget(inner)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(grid)
        layout.addWidget(self.scroll, 1)

    def _add_editor(self, field: Field) -> None:
        name = f"train_{field.key}"
        if field.kind == "choice":
            editor = QComboBox(objectName=name)
            for value, title in field.choices:
                editor.addItem(title, value)
            editor.activated.connect(
                lambda i, key=field.key, e=editor: self.set_field(key, e.itemData(i))
            )
        elif field.kind == "flag":
            editor = QCheckBox(field.title, objectName=name)
            editor.toggled.connect(lambda on, key=field.key: self.set_field(key, on))
        else:
            editor = QLineEdit(objectName=name)
            editor.editingFinished.connect(lambda key=field.key: self.commit_text(key))
        editor.setToolTip(field.help)
        form = self.sections[field.group].form
        if field.kind == "flag":
            form.addRow(editor)
        else:
            label = QLabel(field.title)
            label.setToolTip(field.help)
            form.addRow(label, editor)
        self.editors[field.key] = editor

    def _fold_others(self, group: str) -> None:
        """One section open at a time: the dock is short, so the form stays short."""
        for name, section in self.sections.items():
            if name != group and section.expanded:
                section.set_expanded(False)
        self.scroll.ensureWidgetVisible(self.sections[group])

    # ------------------------------------------------------------ shown

    def value(self, key: str) -> Any:
        """The project's training setting, or the engine's default when unset or not valid."""
        if key in BY_KEY:
            return current_value(self.doc.project, BY_KEY[key])
        raw = self.doc.project.training.get(key, getattr(DEFAULTS, key))
        ok = isinstance(raw, (int, float)) and not isinstance(raw, bool)
        return raw if ok else getattr(DEFAULTS, key)

    def refresh(self) -> None:
        project = self.doc.project
        for key, box in self.boxes.items():
            box.blockSignals(True)
            box.setValue(self.value(key))
            box.blockSignals(False)
        self._refresh_monitor_items()
        for field in FIELDS:
            self._show_value(field, current_value(project, field))
            reason = inactive_reason(project, field)
            editor = self.editors[field.key]
            editor.setEnabled(reason is None)
            editor.setToolTip(field.help + (f"\n{reason}" if reason else ""))
            editor.setStyleSheet("")
        for group, section in self.sections.items():
            section.set_summary(summary(project, group))
            self.messages[group].hide()
        device = project.training.get("device", AUTO)
        self.device.show_device(device if isinstance(device, str) and device else AUTO)
        problem = self.device.problem
        self.device_message.setText(f"{problem} Choose a device here." if problem else "")
        self.device_message.setVisible(bool(problem))

    def _show_value(self, field: Field, value: Any) -> None:
        editor = self.editors[field.key]
        editor.blockSignals(True)
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(editor.findData(value))
        elif isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
        else:
            editor.setText(shown(value))
        editor.blockSignals(False)

    def _refresh_monitor_items(self) -> None:
        """Only the metrics this task reports (plus the project's own value, marked)."""
        box: QComboBox = self.editors["monitor"]
        box.blockSignals(True)
        box.clear()
        for name in monitor_choices(self.doc.project):
            box.addItem(MONITOR_TITLES[name], name)
        current = current_value(self.doc.project, BY_KEY["monitor"])
        if box.findData(current) < 0:
            box.addItem(
                f"{MONITOR_TITLES.get(current, current)} (not reported by this task)", current
            )
        box.blockSignals(False)

    def message(self, key: str) -> str:
        """The refusal shown for ``key``'s section ('' when none)."""
        label = self.messages[BY_KEY[key].group]
        return label.text() if label.isVisibleTo(self) else ""

    # ------------------------------------------------------------ edits

    def commit(self, key: str, value: float) -> None:
        """Epochs, batch size or learning rate from their spin boxes."""
        value = int(value) if key != "lr" else float(value)
        if self.doc.project.training.get(key) == value:
            return
        training = {**self.doc.project.training, key: value}
        self.undo.push(QtSetProjectField(self.doc, "training", training, f"Set {key} to {value}"))

    def commit_text(self, key: str) -> bool:
        """The text typed in ``key``'s field, as a number; refused with a message if bad."""
        field = BY_KEY[key]
        try:
            value = parse_number(self.editors[key].text(), field)
        except FTStudioError as exc:
            return self._refuse(field, str(exc))
        return self.set_field(key, value)

    def set_field(self, key: str, value: Any) -> bool:
        """Check ``value`` with the core and apply it as one undoable edit (False: refused or
        unchanged)."""
        field = BY_KEY[key]
        project = self.doc.project
        try:
            section = checked(project, field, value)
        except FTStudioError as exc:
            return self._refuse(field, str(exc))
        if section[key] == current_value(project, field):
            self.refresh()  # shows the value as the project holds it ("0.010" -> "0.01")
            return False
        text = f"Set {field.title.lower()} to {shown(section[key])}"
        self.undo.push(QtSetProjectField(self.doc, field.section, section, text))
        return True

    def set_device(self, name: str) -> bool:
        if name == self.doc.project.training.get("device", AUTO):
            return False
        training = {**self.doc.project.training, "device": name}
        self.undo.push(QtSetProjectField(self.doc, "training", training, f"Train on {name}"))
        return True

    def _refuse(self, field: Field, message: str) -> bool:
        label = self.messages[field.group]
        label.setText(f"Not applied: {message}")
        label.show()
        self.sections[field.group].set_expanded(True)
        if isinstance(self.editors[field.key], QLineEdit):
            self.editors[field.key].setStyleSheet(BAD_FIELD_STYLE)
        return False

    def _on_event(self, event: str, info: dict[str, Any]) -> None:
        if event == "reset" or (
            event == "project_changed" and info.get("key") in ("training", "data", "task")
        ):
            self.refresh()
