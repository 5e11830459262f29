"""Menus and toolbar of the main window, with standard shortcuts."""

from __future__ import annotations

from functools import partial

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QStyle

from ftstudio.gui.qt_help import add_help_menu
from ftstudio.gui.qt_undo_keys import redo_shortcuts


def plain_label(text: str) -> str:
    """A menu text as tooltips show it: no mnemonic '&' (a literal '&&' stays '&'), no '…'."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").replace("…", "")


def _action(window, text, slot, shortcut=None, icon=None, tip="") -> QAction:
    action = QAction(text, window)
    label = plain_label(text)
    action.setToolTip(label)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
        keys = action.shortcut().toString(QKeySequence.NativeText)
        action.setToolTip(f"{label} ({keys})")
    if icon is not None:
        action.setIcon(window.style().standardIcon(icon))
    action.setStatusTip(tip or label)
    action.triggered.connect(lambda _checked=False: slot())
    return action


def build_actions(window) -> dict[str, QAction]:
    """Create every action, put them in menus and the toolbar; returns them by name."""
    files = window.files
    sp = QStyle.StandardPixmap
    a = {
        "new": _action(window, "&New", files.new, QKeySequence.New, sp.SP_FileIcon),
        "open": _action(window, "&Open…", files.open, QKeySequence.Open, sp.SP_DialogOpenButton),
        "save": _action(window, "&Save", files.save, QKeySequence.Save, sp.SP_DialogSaveButton),
        "save_as": _action(window, "Save &As…", files.save_as, QKeySequence.SaveAs),
        "quit": _action(window, "&Quit", window.close, QKeySequence.Quit),
        "import_blocks": _action(
            window,
            "&Import custom blocks…",
            window.custom.import_file,
            tip="Load a Python file whose nn.Module classes become blocks (its code runs)",
        ),
        "reload_blocks": _action(
            window,
            "&Reload custom blocks",
            window.custom.reload,
            "Ctrl+R",
            tip="Run the imported blocks files again after editing them",
        ),
        "delete": _action(
            window, "&Delete block", window.delete_block, QKeySequence.Delete, sp.SP_TrashIcon
        ),
        "duplicate": _action(window, "D&uplicate block", window.duplicate_block, "Ctrl+D"),
        "move_up": _action(
            window, "Move &up", partial(window.move_block, -1), "Ctrl+Up", sp.SP_ArrowUp
        ),
        "move_down": _action(
            window, "Move do&wn", partial(window.move_block, 1), "Ctrl+Down", sp.SP_ArrowDown
        ),
        "validate": _action(
            window, "&Validate", window.validator.request, "F5", sp.SP_DialogApplyButton
        ),
        "export": window.exporter.action,
        "project_settings": _action(
            window,
            "&Project settings…",
            window.show_project_settings,
            tip="Edit the project's name, input shape, task and data source",
        ),
    }
    a["undo"] = window.undo.createUndoAction(window, "&Undo")
    a["undo"].setShortcut(QKeySequence.Undo)
    a["undo"].setIcon(window.style().standardIcon(sp.SP_ArrowBack))
    a["redo"] = window.undo.createRedoAction(window, "&Redo")
    a["redo"].setShortcuts(redo_shortcuts())  # Ctrl+Y and Ctrl+Shift+Z
    a["redo"].setIcon(window.style().standardIcon(sp.SP_ArrowForward))

    menu = window.menuBar()
    file_menu = menu.addMenu("&File")
    file_menu.addActions([a["new"], a["open"]])
    recent = QMenu("Open &Recent", window)
    recent.aboutToShow.connect(partial(_fill_recent, window, recent))
    window.recent_menu = recent
    file_menu.addMenu(recent)
    file_menu.addActions([a["save"], a["save_as"]])
    file_menu.addSeparator()
    file_menu.addActions([a["import_blocks"], a["reload_blocks"]])
    file_menu.addSeparator()
    file_menu.addAction(a["export"])
    file_menu.addSeparator()
    file_menu.addAction(a["quit"])
    edit_menu = menu.addMenu("&Edit")
    edit_menu.addActions([a["undo"], a["redo"]])
    edit_menu.addSeparator()
    edit_menu.addActions([a["delete"], a["duplicate"], a["move_up"], a["move_down"]])
    model_menu = menu.addMenu("&Model")
    model_menu.addAction(a["project_settings"])
    model_menu.addSeparator()
    model_menu.addAction(a["validate"])
    window.view_menu = menu.addMenu("&View")
    a.update(add_help_menu(window, menu))

    toolbar = window.addToolBar("Main")
    toolbar.setObjectName("mainToolbar")
    for name in ("new", "open", "save", "undo", "redo", "delete", "move_up", "move_down"):
        toolbar.addAction(a[name])
    toolbar.addSeparator()
    toolbar.addActions([a["validate"], a["export"]])
    return a


def _fill_recent(window, menu: QMenu) -> None:
    menu.clear()
    paths = window.files.recent()
    for path in paths:
        menu.addAction(path, partial(window.files.open, path))
    if not paths:
        menu.addAction("(none)").setEnabled(False)
