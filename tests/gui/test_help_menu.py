"""Help menu: shortcuts read from the window's actions, the docs, About."""

from __future__ import annotations

from pathlib import Path

import torch
from PySide6.QtCore import qVersion
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QTableWidget

import ftstudio
from ftstudio.gui import qt_help
from ftstudio.gui.qt_help_dialogs import shortcuts_dialog
from ftstudio.gui.qt_status import device_text


def shortcut_actions(window) -> list[QAction]:
    return [a for a in window.findChildren(QAction) if any(not k.isEmpty() for k in a.shortcuts())]


def test_help_is_the_last_menu(window):
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus[-1] == "&Help"
    help_menu = window.menuBar().actions()[-1].menu()
    names = ("shortcuts", "project_format_doc", "custom_blocks_doc", "own_weights_doc", "about")
    for name in names:
        assert window.actions[name] in help_menu.actions()


def test_shortcuts_dialog_lists_every_action_with_a_shortcut(window):
    window.actions["shortcuts"].trigger()
    (rows,) = window.dialogs.shortcut_rows
    actions = shortcut_actions(window)
    assert len(actions) >= 12  # new, open, save, ..., train, pause, stop, export
    assert len(rows) == len(actions) == len(set(rows))
    for action in actions:
        keys = action.shortcut().toString(QKeySequence.NativeText)
        assert (qt_help.action_label(action), keys) in [(r[0], r[1].split(", ")[0]) for r in rows]
    assert ("Train", "Ctrl+T") in rows
    assert ("Export", "Ctrl+E") in rows
    assert ("Validate", "F5") in rows
    assert ("Reload custom blocks", "Ctrl+R") in rows


def test_a_new_action_shows_up_without_editing_the_dialog(window):
    extra = QAction("&Frobnicate…", window)
    extra.setShortcut(QKeySequence("Ctrl+Shift+K"))
    window.actions["shortcuts"].trigger()
    assert ("Frobnicate", "Ctrl+Shift+K") in window.dialogs.shortcut_rows[-1]


def test_shortcuts_dialog_shows_the_rows_as_given(qtbot):
    rows = [("<b>Train</b>", "Ctrl+T"), ("Save", "Ctrl+S")]
    dialog = shortcuts_dialog(rows)
    qtbot.addWidget(dialog)
    table = dialog.findChild(QTableWidget, "shortcuts")
    assert table is not None and table.rowCount() == 2
    shown = [(table.item(r, 0).text(), table.item(r, 1).text()) for r in range(2)]
    assert shown == rows


def test_docs_open_the_checkout_files(window):
    opened = window.dialogs.opened_documents
    for key, _text, _file in qt_help.DOCS:
        action = window.actions[key]
        assert action.isEnabled()
        action.trigger()
    assert [Path(p).name for p in opened] == [
        "project-format.md",
        "custom-blocks.md",
        "bring-your-own-weights.md",
    ]
    assert all(Path(p).is_file() for p in opened)


def test_docs_missing_from_an_install_are_disabled_and_say_why(make_window, monkeypatch, tmp_path):
    monkeypatch.setattr(qt_help, "CHECKOUT", tmp_path)  # an installed package: no docs/
    monkeypatch.setattr(qt_help, "PACKAGED_DOCS", tmp_path / "none")  # and none shipped
    window = make_window()
    action = window.actions["custom_blocks_doc"]
    assert not action.isEnabled()
    assert "docs/custom-blocks.md" in action.statusTip()
    action.trigger()
    assert window.dialogs.opened_documents == []


def test_docs_shipped_in_the_package_open_without_a_checkout(make_window, monkeypatch, tmp_path):
    monkeypatch.setattr(qt_help, "CHECKOUT", tmp_path)  # installed from the wheel
    shipped = tmp_path / "resources_docs"
    shipped.mkdir()
    (shipped / "custom-blocks.md").write_text("# Custom blocks\n", encoding="utf-8")
    monkeypatch.setattr(qt_help, "PACKAGED_DOCS", shipped)
    window = make_window()
    window.actions["custom_blocks_doc"].trigger()
    assert window.dialogs.opened_documents == [str(shipped / "custom-blocks.md")]
    assert not window.actions["project_format_doc"].isEnabled()  # not shipped here


def test_about_names_the_versions_and_the_device(window):
    window.actions["about"].trigger()
    (text,) = window.dialogs.about_texts
    assert f"FT Studio {ftstudio.__version__}" in text
    assert f"PyTorch {torch.__version__}" in text
    assert (torch.version.cuda or "CPU-only") in text
    assert f"Qt {qVersion()}" in text
    assert device_text() in text
