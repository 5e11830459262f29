"""The block palette: block types grouped by category, with a filter box.

Items drag as block-type mime data; Enter or a double-click asks to append the type.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QLineEdit,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ftstudio.core import blocks
from ftstudio.core.blocks import custom
from ftstudio.core.blocks.registry import CUSTOM_CATEGORY
from ftstudio.gui import qt_stack_mime as mime
from ftstudio.gui.qt_icons import category_icon

TYPE_ROLE = Qt.UserRole + 1


class QtPaletteModel(QStandardItemModel):
    """Categories with their block types; only type items drag."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.refresh()

    def refresh(self) -> None:
        """Rebuild from the catalog (custom blocks come and go)."""
        self.clear()
        for category, types in blocks.by_category().items():
            group = QStandardItem(category)
            group.setFlags(Qt.ItemIsEnabled)
            group.setIcon(category_icon(category))
            if category == CUSTOM_CATEGORY:
                group.setToolTip(f"Your blocks folder: {custom.user_blocks_dir()}")
            for block_type in types:
                origin = Path(block_type.origin).name if block_type.origin else ""
                item = QStandardItem(
                    f"{block_type.title} ({origin})" if origin else block_type.title
                )
                item.setData(block_type.name, TYPE_ROLE)
                where = f"<br><i>from {block_type.origin}</i>" if origin else ""
                item.setToolTip(f"<b>{block_type.title}</b><br>{block_type.description}{where}")
                item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsDragEnabled)
                group.appendRow(item)
            self.appendRow(group)

    def mimeTypes(self) -> list[str]:
        return [mime.BLOCK_TYPE_MIME]

    def mimeData(self, indexes):
        names = [i.data(TYPE_ROLE) for i in indexes if i.data(TYPE_ROLE)]
        return mime.block_type_mime(names[0]) if names else None

    def type_index(self, type_name: str):
        """Model index of a block type's item (for tests and keyboard use)."""
        for group_row in range(self.rowCount()):
            group = self.item(group_row)
            for row in range(group.rowCount()):
                if group.child(row).data(TYPE_ROLE) == type_name:
                    return group.child(row).index()
        raise KeyError(type_name)


class QtPaletteView(QTreeView):
    activatedType = Signal(str)

    def keyPressEvent(self, event) -> None:  # Enter appends, like a double-click
        if event.key() in (Qt.Key_Return, Qt.Key_Enter) and self.currentIndex().isValid():
            self._activate(self.currentIndex())
            return
        super().keyPressEvent(event)

    def _activate(self, index) -> None:
        name = index.data(TYPE_ROLE)
        if name:
            self.activatedType.emit(name)


class QtPalette(QWidget):
    """Filter box over a tree of block types. ``appendRequested(type_name)``."""

    appendRequested = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = QtPaletteModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setRecursiveFilteringEnabled(True)
        self.proxy.setFilterCaseSensitivity(Qt.CaseInsensitive)
        self.filter = QLineEdit(placeholderText="Filter blocks…", clearButtonEnabled=True)
        self.filter.textChanged.connect(self._filter)
        self.filter.returnPressed.connect(self._filter_entered)
        self.view = QtPaletteView()
        self.view.setObjectName("palette")
        self.view.setModel(self.proxy)
        self.view.setHeaderHidden(True)
        self.view.setDragEnabled(True)
        self.view.setDragDropMode(QAbstractItemView.DragOnly)
        self.view.expandAll()
        self.view.doubleClicked.connect(self.view._activate)
        self.view.activatedType.connect(self.appendRequested)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.filter)
        layout.addWidget(self.view)
        self.folder_label = QLabel(f"Your blocks folder: {custom.user_blocks_dir()}")
        self.folder_label.setWordWrap(True)
        self.folder_label.setToolTip("Every *.py file there is loaded as custom blocks at start")
        layout.addWidget(self.folder_label)

    def refresh(self) -> None:
        """The catalog changed (custom blocks imported or reloaded)."""
        self.model.refresh()
        self.view.expandAll()

    def _filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text)
        self.view.expandAll()

    def _filter_entered(self) -> None:
        """Enter in the filter box: one match is appended; several put the keyboard on the
        first, where Enter appends and the arrow keys choose."""
        types = self.visible_types()
        if len(types) == 1:
            self.appendRequested.emit(types[0])
        elif types:
            first = self.proxy.index(0, 0, self.proxy.index(0, 0))
            self.view.setCurrentIndex(first)
            self.view.setFocus(Qt.ShortcutFocusReason)

    def preferred_width(self) -> int:
        """Width that shows every block title unelided (the tree's column, plus room for
        the frame, the margins and a vertical scroll bar)."""
        view = self.view
        extra = 2 * view.frameWidth() + view.verticalScrollBar().sizeHint().width()
        margins = self.layout().contentsMargins()
        return view.sizeHintForColumn(0) + extra + margins.left() + margins.right()

    def visible_types(self) -> list[str]:
        out = []
        for g in range(self.proxy.rowCount()):
            group = self.proxy.index(g, 0)
            out += [
                self.proxy.index(r, 0, group).data(TYPE_ROLE)
                for r in range(self.proxy.rowCount(group))
            ]
        return out
