"""The timm backbone's model names are filterable in the properties (issue 12)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from ftstudio.core.blocks import get
from ftstudio.gui.qt_param_editors import make_editor

pytest.importorskip("timm")


def test_typing_filters_the_names_and_picking_one_commits_it(qtbot):
    param = next(p for p in get("timm_backbone").params if p.name == "architecture")
    committed = []
    editor = make_editor(param, "resnet18", committed.append, lambda _h: None)
    qtbot.addWidget(editor)
    assert editor.isEditable() and editor.count() == len(param.choices) > 100
    completer = editor.completer()
    assert completer.filterMode() == Qt.MatchFlag.MatchContains
    completer.setCompletionPrefix("resnet10")
    shown = [
        completer.completionModel().index(i, 0).data() for i in range(completer.completionCount())
    ]
    assert "resnet10t" in shown and all("resnet10" in name for name in shown)

    editor.lineEdit().setText("resnet10t")
    editor.lineEdit().editingFinished.emit()
    assert committed == ["resnet10t"]
    editor.lineEdit().setText("no such model")
    editor.lineEdit().editingFinished.emit()
    assert editor.lineEdit().text() == "resnet10t" and committed == ["resnet10t"]
