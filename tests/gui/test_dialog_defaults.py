"""The real QtDialogs questions: plain Yes/No, with the safe answer as the default button."""

import pytest
from PySide6.QtWidgets import QMessageBox

import ftstudio.gui.qt_dialogs as qt_dialogs


@pytest.mark.parametrize(
    "ask_it, title, default_yes",
    [
        (lambda d: d.ask_run_code("blocks.py (changed)"), "Run custom code?", False),
        (lambda d: d.confirm_memory("needs 9 GiB"), "Not enough memory?", False),
        (lambda d: d.confirm_stop_training(), "Stop training?", False),
        (lambda d: d.offer_recovery("12:00"), "Recover unsaved work?", True),
        (lambda d: d.ask_overwrite("out"), "Write into this folder?", False),
    ],
)
def test_questions_default_to_the_safe_answer(qapp, monkeypatch, ask_it, title, default_yes):
    asked = []

    def fake_ask(parent, icon, shown_title, text, buttons, default):
        asked.append((shown_title, buttons, default))
        return QMessageBox.No

    monkeypatch.setattr(qt_dialogs, "ask", fake_ask)
    assert ask_it(qt_dialogs.QtDialogs(None)) is False  # "No" is never taken for yes
    ((shown_title, buttons, default),) = asked
    assert shown_title == title
    assert buttons == QMessageBox.Yes | QMessageBox.No
    assert default == (QMessageBox.Yes if default_yes else QMessageBox.No)
