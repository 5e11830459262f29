"""The first-run hint on the starter project: one line, dismissable, remembered."""

from __future__ import annotations

import pytest
from conftest import FakeDialogs
from PySide6.QtCore import QSettings, Qt

from ftstudio.core.templates import load_template
from ftstudio.gui.qt_first_run_hint import DISMISSED_KEY


@pytest.fixture
def open_window(qtbot, tmp_path):
    """Factory: a shown main window (the starter project unless ``project`` is given)."""
    from ftstudio.gui.qt_main_window import QtMainWindow

    windows = []

    def make(settings: QSettings, project=None):
        window = QtMainWindow(
            project, settings=settings, dialogs=FakeDialogs(), recovery_dir=tmp_path / "rec"
        )
        qtbot.addWidget(window)
        windows.append(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    yield make
    for window in windows:
        window.close()


def test_the_starter_shows_one_line_saying_what_to_try_first(open_window, settings):
    window = open_window(settings)
    hint = window.first_run_hint
    assert hint.isVisible()
    text = hint.label.text()
    assert "\n" not in text and "Train (Ctrl+T)" in text  # the real shortcut
    assert hint.label.sizeHint().height() < 2 * hint.fontMetrics().height()  # one line
    stack_top = window.stack_view.mapTo(hint.parentWidget(), window.stack_view.rect().topLeft())
    assert hint.geometry().bottom() < stack_top.y()  # a line above the stack


def test_dismissing_hides_it_and_is_remembered_by_the_next_window(
    open_window, settings, tmp_path, qtbot
):
    window = open_window(settings)
    qtbot.mouseClick(window.first_run_hint.close_button, Qt.LeftButton)
    assert not window.first_run_hint.isVisible()
    window.close()
    reread = QSettings(settings.fileName(), QSettings.IniFormat)  # as a new start reads it
    assert reread.value(DISMISSED_KEY, False, type=bool)
    again = open_window(reread)
    assert not again.first_run_hint.isVisible()


def test_another_project_shows_no_hint(open_window, settings):
    window = open_window(settings, load_template("seed-sequence"))
    assert not window.first_run_hint.isVisible()
    starter = open_window(settings)
    starter.files.set_project(load_template("seed-sequence"))  # File > Open, New...
    assert not starter.first_run_hint.isVisible()
    assert not settings.value(DISMISSED_KEY, False, type=bool)  # hidden, not dismissed
