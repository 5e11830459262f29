"""One editor widget per :class:`~ftstudio.core.params.Param` kind.

Each editor reports a committed value through ``on_commit(value)``; spin boxes use the
declared bounds, so most invalid values cannot even be typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDoubleSpinBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ftstudio.core.params import Param

INT_LIMIT = 2**31 - 1
FLOAT_LIMIT = 1e12
FILTER_AT = 30  # a longer list of choices (timm's model names) can be filtered by typing


def make_editor(
    param: Param,
    value: Any,
    on_commit: Callable[[Any], None],
    choose_file: Callable[[str], str | None],
) -> QWidget:
    if param.kind == "int":
        editor = QSpinBox()
        low = -INT_LIMIT if param.minimum is None else int(param.minimum)
        high = INT_LIMIT if param.maximum is None else int(param.maximum)
        editor.setRange(low, high)
        editor.setValue(int(value))
        editor.setKeyboardTracking(False)
        editor.valueChanged.connect(on_commit)
    elif param.kind == "float":
        editor = QDoubleSpinBox()
        editor.setDecimals(4)
        low = -FLOAT_LIMIT if param.minimum is None else float(param.minimum)
        high = FLOAT_LIMIT if param.maximum is None else float(param.maximum)
        editor.setRange(low, high)
        editor.setSingleStep(0.05 if high <= 1 else 1.0)
        editor.setValue(float(value))
        editor.setKeyboardTracking(False)
        editor.valueChanged.connect(on_commit)
    elif param.kind == "bool":
        editor = QCheckBox()
        editor.setChecked(bool(value))
        editor.toggled.connect(on_commit)
    elif param.kind == "choice":
        editor = QComboBox()
        editor.addItems([str(c) for c in param.choices])
        editor.setCurrentIndex(list(param.choices).index(value) if value in param.choices else -1)
        editor.currentIndexChanged.connect(
            lambda i: on_commit(param.choices[i]) if i >= 0 else None
        )
        if len(param.choices) > FILTER_AT:
            _make_filterable(editor)
    elif param.kind == "path":
        editor = QWidget()
        line = QLineEdit(str(value))
        line.setObjectName("path")
        browse = QPushButton("…", objectName="browse")  # narrow: the path gets the room
        browse.setToolTip(f"Choose the file: {param.help or param.title}")
        browse.setMaximumWidth(32)

        def show_path(text: str) -> None:  # the dock is narrow: the whole path on hover
            line.setToolTip("\n\n".join(t for t in (text, param.help) if t))

        def pick() -> None:
            chosen = choose_file(param.help or param.title)
            if chosen:
                line.setText(chosen)
                on_commit(chosen)

        browse.clicked.connect(pick)
        line.textChanged.connect(show_path)
        line.editingFinished.connect(lambda: on_commit(line.text()))
        show_path(line.text())
        layout = QHBoxLayout(editor)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(line, 1)
        layout.addWidget(browse)
    else:
        editor = QLineEdit(str(value))
        editor.editingFinished.connect(lambda: on_commit(editor.text()))
    editor.setToolTip(param.help)
    editor.setObjectName(f"param_{param.name}")
    return editor


def _make_filterable(editor: QComboBox) -> None:
    """Typing shows the choices that contain the text; picking one commits it, and text
    that names no choice reverts to the current one."""
    editor.setEditable(True)
    editor.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    completer = editor.completer()
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
    line = editor.lineEdit()

    def finished() -> None:
        index = editor.findText(line.text())
        if index >= 0:
            editor.setCurrentIndex(index)
        else:
            line.setText(editor.itemText(editor.currentIndex()))

    line.editingFinished.connect(finished)
