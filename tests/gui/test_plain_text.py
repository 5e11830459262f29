"""User strings (block names, messages, paths) show as text in the window, never as markup."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QMessageBox

from ftstudio.gui.qt_commands import QtRemoveBlock, QtUpdateBlock
from ftstudio.gui.qt_plain_text import message_box, plain_tooltip

MARKUP = "<h1>Big</h1><img src='x'> &amp; <a href='http://x'>link</a>"


def rendered(text: str) -> str:
    """What Qt shows for ``text`` when it takes it as rich text."""
    doc = QTextDocument()
    doc.setHtml(text)
    return doc.toPlainText()


@pytest.fixture
def starter(make_window):
    return make_window("digits-transfer")


def test_a_block_name_with_html_shows_as_text_in_the_properties_header(starter, settle):
    starter.undo.push(QtUpdateBlock(starter.doc, 0, "Rename", name=MARKUP))
    settle(starter)
    starter.stack_view.select_row(0)
    title = starter.properties.title
    assert title.textFormat() == Qt.RichText  # our own formatting around the name...
    assert MARKUP in rendered(title.text())  # ...but the name itself is shown as written


def test_messages_that_quote_a_name_are_plain_text_labels_and_tooltips(starter, settle):
    head = len(starter.doc.blocks) - 1
    starter.undo.push(QtUpdateBlock(starter.doc, head, "Rename", name=MARKUP))
    starter.undo.push(QtRemoveBlock(starter.doc, 1))  # Flatten: a shape error at the head
    settle(starter)
    assert not starter.validator.report.ok
    starter.stack_view.select_row(head - 1)
    props = starter.properties
    assert props.issue_label.textFormat() == Qt.PlainText
    assert props.message.textFormat() == Qt.PlainText
    model = starter.stack_view.model()
    tip = model.data(model.index(head - 1, 1), Qt.ToolTipRole)
    assert rendered(tip) == starter.validator.report.issue.message
    panel = starter.training
    for label in (panel.state, panel.error, panel.metrics, panel.folder):
        assert label.textFormat() == Qt.PlainText


def test_tooltips_and_message_boxes_keep_text_as_written(qtbot):
    text = "line 1\n" + MARKUP
    assert rendered(plain_tooltip(text)) == text
    box = message_box(None, QMessageBox.Critical, "t", MARKUP)
    try:
        assert box.textFormat() == Qt.PlainText and box.text() == MARKUP
    finally:
        box.deleteLater()
