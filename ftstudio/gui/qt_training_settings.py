"""Epochs, batch size and learning rate, bound to the project's ``training`` section.

Every commit is a :class:`QtSetProjectField` on the undo stack, so it marks the project dirty
and is undoable; document events (undo, redo, open) refresh the boxes.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QUndoStack, QValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QDoubleSpinBox,
    QGridLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from ftstudio.core.errors import FTStudioError
from ftstudio.core.training import TrainConfig
from ftstudio.core.training.device import resolve_device
from ftstudio.gui.qt_commands import QtSetProjectField
from ftstudio.gui.stack_document import StackDocument

DEFAULTS = TrainConfig()


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


def device_text(raw: Any) -> str:
    """``auto → cpu``, ``cuda:0`` or ``cuda (not available)``."""
    name = raw if isinstance(raw, str) and raw else DEFAULTS.device
    try:
        device = str(resolve_device(name))
    except FTStudioError:
        return f"{name} (not available)"
    return f"{name} → {device}" if name == "auto" else device


class QtTrainingSettings(QWidget):
    """The three most-used training settings plus the device the run will use."""

    def __init__(self, doc: StackDocument, undo: QUndoStack, parent: QWidget | None = None):
        super().__init__(parent)
        self.doc, self.undo = doc, undo
        self.epochs = QSpinBox(objectName="epochs")
        self.epochs.setRange(1, 100000)
        self.batch_size = QSpinBox(objectName="batchSize")
        self.batch_size.setRange(1, 1 << 20)
        self.lr = QtLearningRateBox(objectName="learningRate")
        self.device = QLabel(objectName="device")
        self.device.setToolTip("The project's training.device; 'auto' picks CUDA, MPS, then CPU")
        self.boxes = {"epochs": self.epochs, "batch_size": self.batch_size, "lr": self.lr}
        titles = {"epochs": "Epochs", "batch_size": "Batch size", "lr": "Learning rate"}
        for key, box in self.boxes.items():
            box.setKeyboardTracking(False)  # commit on Enter / focus out / arrows, not per key
            box.setToolTip(f"training.{key} (saved with the project; applies to the next run)")
            box.valueChanged.connect(lambda value, key=key: self.commit(key, value))
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(titles["epochs"]), 0, 0)
        layout.addWidget(self.epochs, 0, 1)
        layout.addWidget(QLabel(titles["batch_size"]), 0, 2)
        layout.addWidget(self.batch_size, 0, 3)
        layout.addWidget(QLabel(titles["lr"]), 1, 0)
        layout.addWidget(self.lr, 1, 1)
        layout.addWidget(QLabel("Device"), 1, 2)
        layout.addWidget(self.device, 1, 3)
        layout.setColumnStretch(1, 1)
        layout.setColumnStretch(3, 1)
        doc.connect(self._on_event)
        self.refresh()

    def value(self, key: str) -> Any:
        """The project's setting, or the engine's default when unset or not a number."""
        raw = self.doc.project.training.get(key, getattr(DEFAULTS, key))
        ok = isinstance(raw, (int, float)) and not isinstance(raw, bool)
        return raw if ok else getattr(DEFAULTS, key)

    def refresh(self) -> None:
        for key, box in self.boxes.items():
            box.blockSignals(True)
            box.setValue(self.value(key))
            box.blockSignals(False)
        self.device.setText(device_text(self.doc.project.training.get("device")))

    def commit(self, key: str, value: float) -> None:
        value = int(value) if key != "lr" else float(value)
        if self.doc.project.training.get(key) == value:
            return
        training = {**self.doc.project.training, key: value}
        self.undo.push(QtSetProjectField(self.doc, "training", training, f"Set {key} to {value}"))

    def _on_event(self, event: str, info: dict[str, Any]) -> None:
        if event == "reset" or (event == "project_changed" and info.get("key") == "training"):
            self.refresh()
