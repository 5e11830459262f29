"""A file parameter in the narrow Properties dock: the path gets the room, and its whole
text shows on hover."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit, QPushButton

from ftstudio.core.params import Param
from ftstudio.gui.qt_param_editors import make_editor

LONG = "/home/someone/models/pretrained/digits-0-4/small-cnn-digits04.safetensors"


def test_the_path_field_takes_the_width_and_shows_the_whole_path_on_hover(qtbot):
    param = Param("path", "path", "", help="A .safetensors or .pt state dict")
    committed = []
    picked = "/data/other.safetensors"
    editor = make_editor(param, LONG, committed.append, lambda _title: picked)
    qtbot.addWidget(editor)
    editor.resize(220, 30)
    editor.show()
    qtbot.waitExposed(editor)
    line = editor.findChild(QLineEdit, "path")
    browse = editor.findChild(QPushButton, "browse")
    assert browse.width() <= 32 and line.width() >= editor.width() - 32 - 12
    assert line.toolTip().startswith(LONG + "\n") and param.help in line.toolTip()
    browse.click()
    assert committed == [picked] and line.toolTip().startswith(picked + "\n")
    line.setText("")
    assert line.toolTip() == param.help  # no empty first line
