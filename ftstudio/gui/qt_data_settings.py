"""The project's ``data`` section as a form: a source combo and only that source's fields.

Each commit builds a whole new ``data`` dict, checks it with the core's
:func:`~ftstudio.core.data.parse_data_config` and pushes one :class:`QtSetProjectField`; a value
the core refuses is not applied and the message says why. Keys the form does not show
(``validation``, ``num_workers``, ``feature_columns`` ...) are kept as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ftstudio.core.data import SOURCES, parse_data_config
from ftstudio.core.errors import FTStudioError
from ftstudio.gui.qt_commands import QtSetProjectField
from ftstudio.gui.stack_document import StackDocument

SOURCE_TITLES = {
    "digits": ("Digits (built-in)", "scikit-learn's 8×8 handwritten digits, 10 classes"),
    "synthetic-sequence": ("Synthetic sequences", "generated token sequences (built-in)"),
    "image-folder": ("Image folder", "a folder with one sub-folder of images per class"),
    "csv": ("CSV file", "a table with a header row: a label column and feature columns"),
    "tensor-file": ("Tensor file", ".npz, .safetensors or .pt holding X (samples) and y (labels)"),
}
FOLDER_SOURCES = ("image-folder",)
FILE_SOURCES = ("csv", "tensor-file")
# which source each source-specific key belongs to; keys absent here apply to every source
FIELD_SOURCES: dict[str, tuple[str, ...]] = {
    "path": FOLDER_SOURCES + FILE_SOURCES,
    "classes": ("digits",),
    "samples": ("synthetic-sequence",),
    "label_column": ("csv",),
    "feature_columns": ("csv",),
    "flip": ("image-folder",),
    "random_crop": ("image-folder",),
    "standardize": FILE_SOURCES,
}
DEFAULTS: dict[str, Any] = {"samples": 2000, "seed": 0, "val_fraction": 0.2}


def describe_classes(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(c) for c in value)
    return value if isinstance(value, str) else ""


class QtDataSettings(QWidget):
    """The data form; ``message(text)`` reports a refused value ('' when an edit applied)."""

    message = Signal(str)

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
        self._choose_file, self._choose_folder = choose_file, choose_folder
        self.source = QComboBox(objectName="dataSource")
        for i, name in enumerate(SOURCES):
            title, tip = SOURCE_TITLES.get(name, (name, ""))
            self.source.addItem(title, name)
            self.source.setItemData(i, tip, Qt.ToolTipRole)
        self.source.setToolTip("data.source: where training samples come from")
        self.source.activated.connect(lambda i: self.set_source(self.source.itemData(i)))
        self.path = QLineEdit(objectName="dataPath")
        self.path.setToolTip("data.path: relative paths are relative to the project file")
        self.path.editingFinished.connect(lambda: self.commit("path", self.path.text().strip()))
        self.browse = QPushButton("…", objectName="dataBrowse")
        self.browse.setToolTip("Choose the file or folder")
        self.browse.setMaximumWidth(32)
        self.browse.clicked.connect(self.browse_path)
        self.path_row = QWidget()
        row = QHBoxLayout(self.path_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.path, 1)
        row.addWidget(self.browse)
        self.classes = QLineEdit(objectName="dataClasses", placeholderText="all (0-9)")
        self.classes.setToolTip('data.classes: digits to use, e.g. "5-9" or "0,2,4"')
        self.classes.editingFinished.connect(self._commit_classes)
        self.samples = self._spin("dataSamples", 10, 1_000_000, "samples")
        self.samples.setToolTip("data.samples: number of synthetic sequences")
        self.val_fraction = QSpinBox(objectName="dataValFraction", suffix=" %")
        self.val_fraction.setRange(0, 90)
        self.val_fraction.setSingleStep(5)
        self.val_fraction.setKeyboardTracking(False)
        self.val_fraction.setToolTip("data.val_fraction: share held out for validation (0 = none)")
        self.val_fraction.valueChanged.connect(lambda v: self.commit("val_fraction", v / 100))
        self.seed = self._spin("dataSeed", 0, 2**31 - 1, "seed")
        self.seed.setToolTip("data.seed: seed of the split and of synthetic data")
        self.label_column = QLineEdit(objectName="dataLabelColumn")
        self.label_column.setToolTip("data.label_column: the CSV column holding the label")
        self.label_column.editingFinished.connect(
            lambda: self.commit("label_column", self.label_column.text().strip())
        )
        self.flip = QCheckBox("Random horizontal flip", objectName="dataFlip")
        self.flip.setToolTip("data.flip: training-time augmentation")
        self.flip.toggled.connect(lambda on: self.commit("flip", on))
        self.random_crop = QCheckBox("Random resized crop", objectName="dataRandomCrop")
        self.random_crop.setToolTip("data.random_crop: training-time augmentation")
        self.random_crop.toggled.connect(lambda on: self.commit("random_crop", on))
        self.standardize = QCheckBox("Standardize features", objectName="dataStandardize")
        self.standardize.setToolTip(
            "data.standardize: scale each feature to mean 0, std 1 with statistics from the "
            "training split; kept with the run, the checkpoint and the export"
        )
        self.standardize.toggled.connect(lambda on: self.commit("standardize", on))
        self.warning = QLabel(objectName="dataWarning", wordWrap=True)
        self.warning.setStyleSheet("color: #8a5a00;")
        self.warning.setTextFormat(Qt.PlainText)
        self.warning.setVisible(False)
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setRowWrapPolicy(QFormLayout.DontWrapRows)
        self.form.addRow("Source", self.source)
        self.form.addRow("Path", self.path_row)
        self.form.addRow("Digits", self.classes)
        self.form.addRow("Samples", self.samples)
        self.form.addRow("Label column", self.label_column)
        self.form.addRow("Augment", self.flip)
        self.form.addRow("", self.random_crop)
        self.form.addRow("Scaling", self.standardize)
        self.form.addRow("Validation", self.val_fraction)
        self.form.addRow("Seed", self.seed)
        self.form.addRow(self.warning)
        self.field_widgets = {
            "path": self.path_row,
            "classes": self.classes,
            "samples": self.samples,
            "label_column": self.label_column,
            "flip": self.flip,
            "random_crop": self.random_crop,
            "standardize": self.standardize,
        }
        self.refresh()

    def _spin(self, name: str, low: int, high: int, key: str) -> QSpinBox:
        box = QSpinBox(objectName=name)
        box.setRange(low, high)
        box.setKeyboardTracking(False)  # commit on Enter / focus out / arrows, not per key
        box.valueChanged.connect(lambda v: self.commit(key, int(v)))
        return box

    # ------------------------------------------------------------ shown

    def current_source(self) -> str:
        source = self.doc.project.data.get("source", "digits")
        return source if source in SOURCES else "digits"

    def refresh(self) -> None:
        data = self.doc.project.data
        source = self.current_source()
        widgets = [self.source, self.path, self.classes, self.samples, self.val_fraction]
        widgets += [self.seed, self.label_column, self.flip, self.random_crop, self.standardize]
        for widget in widgets:
            widget.blockSignals(True)
        self.source.setCurrentIndex(SOURCES.index(source))
        self.path.setText(str(data.get("path", "")))
        self.classes.setText(describe_classes(data.get("classes")))
        for key, box in (("samples", self.samples), ("seed", self.seed)):
            value = data.get(key, DEFAULTS[key])
            box.setValue(value if isinstance(value, int) else DEFAULTS[key])
        fraction = data.get("val_fraction", DEFAULTS["val_fraction"])
        ok = isinstance(fraction, (int, float)) and not isinstance(fraction, bool)
        self.val_fraction.setValue(round(100 * (fraction if ok else DEFAULTS["val_fraction"])))
        self.label_column.setText(str(data.get("label_column", "label")))
        self.flip.setChecked(data.get("flip") is True)
        self.random_crop.setChecked(data.get("random_crop") is True)
        self.standardize.setChecked(data.get("standardize") is True)
        for widget in widgets:
            widget.blockSignals(False)
        for key, widget in self.field_widgets.items():
            self.form.setRowVisible(widget, source in FIELD_SOURCES[key])
        self.path.setPlaceholderText("a folder" if source in FOLDER_SOURCES else "a file")

    def set_report(self, report) -> None:
        """Show the data check's warnings (e.g. feature scales 100x apart) under the form."""
        data = getattr(report, "data", None)
        warnings = list(data.warnings) if data is not None else []
        self.warning.setText("\n".join(f"⚠ {w}" for w in warnings))
        self.warning.setVisible(bool(warnings))

    def field_visible(self, key: str) -> bool:
        """Whether the row of data key ``key`` is shown for the current source."""
        widget = self.field_widgets.get(key)
        return widget is None or widget.isVisibleTo(self)

    # ------------------------------------------------------------ edits

    def apply(self, data: dict[str, Any], text: str) -> bool:
        """Check a whole new ``data`` dict with the core and push it; False when refused."""
        if data == self.doc.project.data:
            return False
        try:
            parse_data_config(data)
        except FTStudioError as exc:
            self.message.emit(f"Not applied: {exc}")
            self.refresh()
            return False
        self.message.emit("")
        self.undo.push(QtSetProjectField(self.doc, "data", data, text))
        return True

    def commit(self, key: str, value: Any) -> bool:
        data = dict(self.doc.project.data)
        if value in ("", None) and key in ("path", "classes", "label_column"):
            if key == "label_column":
                value = "label"
            elif key == "classes":
                data.pop(key, None)
                return self.apply(data, "Use all digit classes")
        data[key] = value
        return self.apply(data, f"Set data {key} to {value}")

    def _commit_classes(self) -> None:
        text = self.classes.text().strip()
        self.commit("classes", text or None)

    def set_source(self, source: str) -> bool:
        """Switch the data source, dropping the old source's own keys (path included); a file
        source asks for its path first (cancel: nothing changes)."""
        if source == self.current_source() and "source" in self.doc.project.data:
            return False
        data = {
            key: value
            for key, value in self.doc.project.data.items()
            if key != "path" and (key not in FIELD_SOURCES or source in FIELD_SOURCES[key])
        }
        data["source"] = source
        if source in FIELD_SOURCES["standardize"]:
            data.setdefault("standardize", True)  # on for a new tabular source
        if source in FIELD_SOURCES["path"]:  # a folder or file of the new kind
            path = self._pick(source)
            if not path:
                self.refresh()
                return False
            data["path"] = path
        return self.apply(data, f"Use data source {source}")

    def _pick(self, source: str) -> str | None:
        if source in FOLDER_SOURCES:
            return self._choose_folder("Image folder (one sub-folder per class)")
        return self._choose_file(f"Data file for the '{source}' source")

    def browse_path(self) -> bool:
        path = self._pick(self.current_source())
        return bool(path) and self.commit("path", path)
