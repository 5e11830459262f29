"""The "Project" form: name, input shape, task and data source of the open project.

Every commit is one :class:`QtSetProjectField` on the shared undo stack (``input`` and
``task`` are set as whole copies), so it marks the project dirty, re-runs validation and can be
undone; document events (undo, redo, open) refresh the form. A value the core would refuse when
reading the project file is refused here too, with the core's message, and nothing changes.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ftstudio.core import blocks
from ftstudio.core import project as project_io
from ftstudio.core.errors import FTStudioError
from ftstudio.core.project import TASK_KINDS, InputSpec, Project, TaskSpec
from ftstudio.gui.qt_commands import QtSetProjectField, QtUpdateBlock
from ftstudio.gui.qt_data_settings import QtDataSettings
from ftstudio.gui.stack_document import StackDocument

KIND_TITLES = {
    "classification": "Classification",
    "token_classification": "Per-token classes",
    "regression": "Regression",
}
SHAPE_HELP = "1 to 3 sizes such as '3, 224, 224' (image), '100, 128' (sequence) or '64' (vector)"
BLOCK_EVENTS = ("inserted", "removed", "moved", "changed")


def format_dims(shape: tuple[int, ...] | list[int] | None) -> str:
    return ", ".join(str(d) for d in shape) if shape else ""


def parse_input_shape(text: str, dtype: str = "float32") -> InputSpec:
    """``"3, 224, 224"`` (or ``3x224x224``) -> :class:`InputSpec`, checked by the core's
    project reader (1-3 sizes, each 1..MAX_DIM, limited values per sample).

    Raises
    ------
    FTStudioError
        The text is not 1-3 whole numbers, or the core refuses the shape.
    """
    tokens = [t for t in re.split(r"[\s,x×*()\[\]]+", text.strip()) if t]
    if not tokens:
        raise FTStudioError(f"Enter the input shape: {SHAPE_HELP}.")
    try:
        dims = [int(t) for t in tokens]
    except ValueError:
        raise FTStudioError(
            f"'{text.strip()}' is not a list of whole numbers; enter {SHAPE_HELP}."
        ) from None
    return project_io.read_section("input", {"shape": dims, "dtype": dtype}, "Input shape")


def checked_task(task: TaskSpec) -> TaskSpec:
    """The task as the core's project reader accepts it (raises FTStudioError otherwise)."""
    return project_io.read_section("task", dataclasses.asdict(task), "Task")


def weights_input_shape(project: Project) -> tuple[tuple[int, ...], str] | None:
    """The input shape the first block's weights expect, and where it comes from."""
    if not project.blocks:
        return None
    first = project.blocks[0]
    try:
        prep = first.block_type.preprocessing
        info = prep(first.params) if prep is not None else None
    except (FTStudioError, KeyError, ValueError, TypeError):
        return None
    shape = (info or {}).get("input_shape")
    if not shape:
        return None
    return tuple(int(d) for d in shape), str(info.get("source") or first.label)


def head_mismatch(project: Project) -> tuple[str, int] | None:
    """(param, wanted value) when the last block is a head whose classes/outputs param does
    not match the task; None when it matches or the last block is not such a head."""
    if not project.blocks:
        return None
    last = project.blocks[-1]
    try:
        names = {p.name for p in blocks.get(last.type).params}
    except FTStudioError:
        return None
    task = project.task
    key, want = (
        ("outputs", task.num_outputs)
        if task.kind == "regression"
        else ("classes", task.num_classes)
    )
    if key not in names or last.params.get(key) == want:
        return None
    return key, want


class QtProjectSettings(QWidget):
    """Edits the open project's own fields; ``message`` shows why an edit was refused."""

    def __init__(
        self,
        doc: StackDocument,
        undo: QUndoStack,
        choose_file: Callable[[str], str | None],
        choose_folder: Callable[[str], str | None],
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.doc, self.undo = doc, undo
        self.name = QLineEdit(objectName="projectName")
        self.name.editingFinished.connect(self.commit_name)
        self.shape = QLineEdit(objectName="inputShape", placeholderText="e.g. 3, 224, 224")
        self.shape.setToolTip(f"input.shape of one sample, batch excluded: {SHAPE_HELP}")
        self.shape.editingFinished.connect(lambda: self.set_input_shape(self.shape.text()))
        self.from_weights = QPushButton(
            "Use the first block's input size", objectName="fromWeights"
        )
        self.from_weights.clicked.connect(self.use_weights_shape)
        self.kind = QComboBox(objectName="taskKind")
        self.kind.setMinimumContentsLength(8)
        self.kind.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        for kind in TASK_KINDS:
            self.kind.addItem(KIND_TITLES.get(kind, kind), kind)
        self.kind.setToolTip("task.kind: what the model's output is trained to predict")
        self.kind.activated.connect(lambda i: self.set_task(kind=self.kind.itemData(i)))
        self.classes = self._count_box("numClasses", "task.num_classes", "num_classes")
        self.outputs = self._count_box("numOutputs", "task.num_outputs", "num_outputs")
        self.sync_head = QPushButton(objectName="syncHead")
        self.sync_head.clicked.connect(self.sync_head_to_task)
        self.data = QtDataSettings(doc, undo, choose_file, choose_folder)
        self.message = QLabel(wordWrap=True, objectName="projectMessage")
        self.message.setTextFormat(Qt.PlainText)
        self.message.setStyleSheet("color: #9b1c1c;")
        self.message.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.data.message.connect(self.message.setText)
        layout = QVBoxLayout(self)
        general = self._group(layout, "Project")
        general.addRow("Name", self.name)
        self.inputs_form = self._group(layout, "Input (one sample)")
        self.inputs_form.addRow("Shape", self.shape)
        self.inputs_form.addRow("", self.from_weights)
        self.task_form = self._group(layout, "Task")
        self.task_form.addRow("Kind", self.kind)
        self.task_form.addRow("Classes", self.classes)
        self.task_form.addRow("Outputs", self.outputs)
        self.task_form.addRow(self.sync_head)
        data_box = QGroupBox("Data")
        data_layout = QVBoxLayout(data_box)
        data_layout.setContentsMargins(self.task_form.contentsMargins())
        data_layout.addWidget(self.data)
        layout.addWidget(data_box)
        layout.addWidget(self.message)
        layout.addStretch(1)
        doc.connect(self._on_event)
        self.refresh()

    def _group(self, layout: QVBoxLayout, title: str) -> QFormLayout:
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setRowWrapPolicy(QFormLayout.DontWrapRows)
        layout.addWidget(box)
        return form

    def _count_box(self, name: str, tip: str, field: str) -> QSpinBox:
        box = QSpinBox(objectName=name)
        box.setRange(1, 100000)
        box.setKeyboardTracking(False)
        box.setToolTip(f"{tip} (the last block must output this many values)")
        box.valueChanged.connect(lambda v: self.set_task(**{field: int(v)}))
        return box

    # ------------------------------------------------------------ shown

    def refresh(self) -> None:
        project = self.doc.project
        widgets = (self.name, self.shape, self.kind, self.classes, self.outputs)
        for widget in widgets:
            widget.blockSignals(True)
        self.name.setText(project.name)
        self.shape.setText(format_dims(project.input.shape))
        kind = project.task.kind
        self.kind.setCurrentIndex(TASK_KINDS.index(kind) if kind in TASK_KINDS else -1)
        self.classes.setValue(project.task.num_classes)
        self.outputs.setValue(project.task.num_outputs)
        for widget in widgets:
            widget.blockSignals(False)
        self.task_form.setRowVisible(self.classes, kind != "regression")
        self.task_form.setRowVisible(self.outputs, kind == "regression")
        self.data.refresh()
        self.refresh_block_hints()

    def refresh_block_hints(self) -> None:
        """The parts that depend on the blocks: the weights' input size and the head check."""
        project = self.doc.project
        found = weights_input_shape(project)
        self.inputs_form.setRowVisible(self.from_weights, found is not None)
        if found is not None:
            self.from_weights.setEnabled(found[0] != project.input.shape)
            self.from_weights.setText(f"Use {format_dims(found[0])} (weights)")
            self.from_weights.setToolTip(
                f"The input size the first block's weights expect: {found[1]}"
            )
        mismatch = head_mismatch(project)
        self.sync_head.setVisible(mismatch is not None)
        if mismatch is not None:
            key, want = mismatch
            self.sync_head.setText(f"Set the head's {key} to {want}")
            self.sync_head.setToolTip(
                f"'{project.blocks[-1].label}' has {key} = {project.blocks[-1].params.get(key)}; "
                f"the task needs {want} (one undoable step)"
            )

    def _on_event(self, event: str, info: dict[str, Any]) -> None:
        if event in ("reset", "project_changed"):
            self.refresh()
        elif event in BLOCK_EVENTS:
            self.refresh_block_hints()

    def _refuse(self, exc: Exception) -> bool:
        self.message.setText(f"Not applied: {exc}")
        self.refresh()
        return False

    def _push(self, key: str, value: Any, text: str) -> bool:
        self.message.clear()
        self.undo.push(QtSetProjectField(self.doc, key, value, text))
        return True

    # ------------------------------------------------------------ edits

    def commit_name(self) -> bool:
        name = self.name.text().strip()
        if name == self.doc.project.name:
            return False
        if not name:
            return self._refuse(FTStudioError("the project needs a name."))
        return self._push("name", name, f"Rename project to {name}")

    def set_input_shape(self, text: str) -> bool:
        """Parse and apply the input shape; bad text is refused with a message."""
        try:
            spec = parse_input_shape(text, self.doc.project.input.dtype)
        except FTStudioError as exc:
            return self._refuse(exc)
        if spec == self.doc.project.input:
            self.refresh()  # shows the canonical text, e.g. "3x32x32" -> "3, 32, 32"
            return False
        return self._push("input", spec, f"Set input shape to {format_dims(spec.shape)}")

    def use_weights_shape(self) -> bool:
        found = weights_input_shape(self.doc.project)
        return found is not None and self.set_input_shape(format_dims(found[0]))

    def set_task(self, **changes: Any) -> bool:
        task = dataclasses.replace(self.doc.project.task, **changes)
        if task == self.doc.project.task:
            return False
        try:
            task = checked_task(task)
        except FTStudioError as exc:
            return self._refuse(exc)
        what = ", ".join(f"{k} = {v}" for k, v in changes.items())
        return self._push("task", task, f"Set task {what}")

    def sync_head_to_task(self) -> bool:
        """Set the last block's classes/outputs to the task's count (one undoable step)."""
        mismatch = head_mismatch(self.doc.project)
        if mismatch is None:
            return False
        key, want = mismatch
        row = len(self.doc.blocks) - 1
        spec = self.doc.blocks[row]
        try:
            params = spec.block_type.resolve({**spec.params, key: want}, f"'{spec.label}'")
        except FTStudioError as exc:
            return self._refuse(exc)
        self.message.clear()
        text = f"Set {spec.label}.{key} = {want} to match the task"
        self.undo.push(QtUpdateBlock(self.doc, row, text, params=params))
        return True
