"""The Help menu: keyboard shortcuts (read from the window's actions), the docs, About."""

from __future__ import annotations

import platform
from functools import partial
from pathlib import Path

from PySide6.QtCore import qVersion
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

import ftstudio
from ftstudio.core.resources import RESOURCES

CHECKOUT = Path(ftstudio.__file__).resolve().parent.parent
PACKAGED_DOCS = RESOURCES / "docs"  # the wheel and the desktop bundle copy docs/*.md here
DOCS = (
    ("project_format_doc", "&Project file format", "project-format.md"),
    ("custom_blocks_doc", "&Custom blocks", "custom-blocks.md"),
    ("own_weights_doc", "Bring your own &weights", "bring-your-own-weights.md"),
)
NO_DOCS_TIP = (
    "Not installed with this copy of FT Studio: the docs folder is in the source repository "
    "(docs/{name})"
)


def doc_path(name: str) -> Path | None:
    """A doc shipped inside the package, else one of the source checkout FT Studio runs
    from; None when neither has it."""
    if (PACKAGED_DOCS / name).is_file():
        return PACKAGED_DOCS / name
    path = CHECKOUT / "docs" / name
    if (CHECKOUT / "pyproject.toml").is_file() and path.is_file():
        return path
    return None


def action_label(action: QAction) -> str:
    """The action's menu text without its mnemonic '&' and trailing '…'."""
    return action.text().replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…")


def shortcut_rows(window: QWidget) -> list[tuple[str, str]]:
    """(action, shortcut) for every action of the window that has a shortcut: menu order
    first, then actions outside the menus. Read live, so the list cannot drift."""
    actions: list[QAction] = []

    def walk(menu: QMenu) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu())
            elif action not in actions:
                actions.append(action)

    for top in window.menuBar().actions():
        if top.menu() is not None:
            walk(top.menu())
    actions += [a for a in window.findChildren(QAction) if a not in actions]
    rows = []
    for action in actions:
        keys = [k.toString(QKeySequence.NativeText) for k in action.shortcuts() if not k.isEmpty()]
        if keys:
            rows.append((action_label(action), ", ".join(keys)))
    return rows


def about_text() -> str:
    """Versions and device, as plain text."""
    import torch
    import torchvision
    from PySide6 import __version__ as pyside_version

    from ftstudio.gui.qt_status import device_text

    cuda = f"CUDA {torch.version.cuda}" if torch.version.cuda else "CPU-only build"
    return "\n".join(
        [
            f"FT Studio {ftstudio.__version__}",
            "Assemble, fine-tune and export PyTorch models.",
            "",
            f"Python {platform.python_version()}",
            f"PyTorch {torch.__version__} ({cuda})",
            f"torchvision {torchvision.__version__}",
            f"Qt {qVersion()} (PySide6 {pyside_version})",
            device_text(),
        ]
    )


def add_help_menu(window, menu_bar) -> dict[str, QAction]:
    """Fill the Help menu; returns its actions by name."""
    actions: dict[str, QAction] = {}
    help_menu = menu_bar.addMenu("&Help")
    shortcuts = QAction("&Keyboard shortcuts", window)
    shortcuts.setStatusTip("List every action that has a keyboard shortcut")
    shortcuts.triggered.connect(
        lambda _checked=False: window.dialogs.show_shortcuts(shortcut_rows(window))
    )
    actions["shortcuts"] = shortcuts
    help_menu.addAction(shortcuts)
    help_menu.addSeparator()
    for key, text, name in DOCS:
        action = QAction(text, window)
        path = doc_path(name)
        if path is None:
            action.setEnabled(False)
            action.setStatusTip(NO_DOCS_TIP.format(name=name))
        else:
            action.setStatusTip(f"Open {path}")
            action.triggered.connect(partial(_open_doc, window, path))
        actions[key] = action
        help_menu.addAction(action)
    help_menu.addSeparator()
    about = QAction("&About FT Studio", window)
    about.setMenuRole(QAction.AboutRole)
    about.setStatusTip("FT Studio's version, the PyTorch, CUDA and Qt versions, and the device")
    about.triggered.connect(lambda _checked=False: window.dialogs.show_about(about_text()))
    actions["about"] = about
    help_menu.addAction(about)
    return actions


def _open_doc(window, path: Path, _checked: bool = False) -> None:
    window.dialogs.open_document(str(path))
