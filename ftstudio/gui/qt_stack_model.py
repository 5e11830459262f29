"""The layer stack's Qt item model: an adapter over :class:`StackDocument`.

Top-level rows are blocks; a backbone's rows expand to its freeze stages. Structural events
of the document map to begin/end row calls; every user edit (rename, freeze, drop, reorder)
becomes a QUndoCommand on the shared undo stack, never a direct mutation.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QUndoStack

from ftstudio.core.blocks.registry import format_shape
from ftstudio.core.errors import FTStudioError
from ftstudio.core.project import make_block
from ftstudio.core.shapes import BlockReport, ValidationReport
from ftstudio.gui import qt_stack_mime as mime
from ftstudio.gui.qt_commands import QtInsertBlock, QtMoveBlock, QtUpdateBlock
from ftstudio.gui.qt_icons import ERROR_BG, ERROR_FG, OK_FG, UNKNOWN_FG, category_icon
from ftstudio.gui.qt_plain_text import plain_tooltip
from ftstudio.gui.stack_document import StackDocument

COLUMNS = ("#", "Name", "Type", "Output", "Trainable / frozen", "Frozen", "Status")
COL_POS, COL_NAME, COL_TYPE, COL_OUT, COL_PARAMS, COL_FROZEN, COL_STATUS = range(len(COLUMNS))
AnyIndex = QModelIndex | QPersistentModelIndex

# Roles as plain ints: views ask data() ~1000 times per repaint, and comparing an int with a
# Qt enum member is slow in Python. Roles not listed here are answered with None at once.
DISPLAY, EDIT, TOOLTIP, DECORATION = (
    Qt.DisplayRole.value,
    Qt.EditRole.value,
    Qt.ToolTipRole.value,
    Qt.DecorationRole.value,
)
CHECK, BACKGROUND, FOREGROUND = (
    Qt.CheckStateRole.value,
    Qt.BackgroundRole.value,
    Qt.ForegroundRole.value,
)
ROLES = frozenset((DISPLAY, EDIT, TOOLTIP, DECORATION, CHECK, BACKGROUND, FOREGROUND))


def human_count(n: int) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f}{unit}"
    return str(n)


def _checked(value: Any) -> bool:
    if isinstance(value, Qt.CheckState):
        return value == Qt.Checked
    return int(value) == Qt.Checked.value


class QtStackModel(QAbstractItemModel):
    def __init__(self, doc: StackDocument, undo: QUndoStack, parent=None):
        super().__init__(parent)
        self.doc, self.undo = doc, undo
        self.reports: dict[str, BlockReport] = {}
        self._stages: dict[str, list[str]] = {}  # block id -> stage rows shown
        self._keys: dict[str, int] = {}  # block id -> stable internal id for stage rows
        doc.connect(self._on_event)

    # ------------------------------------------------------------ structure

    def _key(self, block_id: str) -> int:
        return self._keys.setdefault(block_id, len(self._keys) + 1)

    def _block_row_of_key(self, key: int) -> int:
        for row, spec in enumerate(self.doc.blocks):
            if self._keys.get(spec.id) == key:
                return row
        return -1

    def index(self, row: int, column: int, parent: AnyIndex = QModelIndex()) -> QModelIndex:
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0)
        spec = self.doc.blocks[parent.row()]
        return self.createIndex(row, column, self._key(spec.id))

    def parent(self, child: AnyIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        if not child.isValid() or child.internalId() == 0:
            return QModelIndex()
        row = self._block_row_of_key(child.internalId())
        return self.createIndex(row, 0, 0) if row >= 0 else QModelIndex()

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        if not parent.isValid():
            return len(self.doc.blocks)
        if parent.internalId() != 0 or parent.column() != 0:
            return 0
        return len(self._stages.get(self.doc.blocks[parent.row()].id, []))

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return len(COLUMNS)

    def headerData(self, section: int, orientation, role=Qt.DisplayRole):
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return COLUMNS[section]
        return None

    def block_row(self, index: AnyIndex) -> int:
        """Row of the block an index belongs to (a stage row maps to its backbone)."""
        if not index.isValid():
            return -1
        return index.row() if index.internalId() == 0 else index.parent().row()

    # ------------------------------------------------------------ display

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemIsDropEnabled
        flags = Qt.ItemIsEnabled | Qt.ItemIsSelectable
        if index.internalId() == 0:
            flags |= Qt.ItemIsDragEnabled
            if index.column() == COL_NAME:
                flags |= Qt.ItemIsEditable
        if index.column() == COL_FROZEN:
            flags |= Qt.ItemIsUserCheckable
        return flags

    def data(self, index: AnyIndex, role: int = Qt.DisplayRole) -> Any:
        return self._data(index, role)

    def _data(self, index: AnyIndex, role: int) -> Any:
        role = role if isinstance(role, int) else role.value
        if role not in ROLES or not index.isValid():
            return None
        if index.internalId() != 0:
            return self._stage_data(index, role)
        spec = self.doc.blocks[index.row()]
        report = self.reports.get(spec.id)
        col = index.column()
        error = report is not None and report.status == "error"
        if role == BACKGROUND:
            return ERROR_BG if error else None
        if role == TOOLTIP:
            if error and report.issue:  # a message quoting a block name is never markup
                return plain_tooltip(report.issue.message)
            return spec.block_type.description
        if role == CHECK:
            return self._freeze_state(spec) if col == COL_FROZEN else None
        if role == DECORATION:
            return category_icon(spec.block_type.category) if col == COL_POS else None
        if role == FOREGROUND:
            if col != COL_STATUS:
                return None
            return {"ok": OK_FG, "error": ERROR_FG}.get(report.status if report else "", UNKNOWN_FG)
        if role == EDIT:
            return spec.label if col == COL_NAME else None
        return self._display(index.row(), col, spec, report)

    def _display(self, row: int, col: int, spec, report: BlockReport | None) -> str | None:
        if col == COL_POS:
            return str(row + 1)
        if col == COL_NAME:
            return spec.label
        if col == COL_TYPE:
            return spec.block_type.title
        if col == COL_OUT:
            return format_shape(report.out_shape) if report and report.out_shape else "?"
        if col == COL_PARAMS:
            if report is None or report.status != "ok":
                return "?"
            return f"{human_count(report.trainable)} / {human_count(report.frozen)}"
        if col == COL_FROZEN:
            return {Qt.Checked: "Frozen", Qt.PartiallyChecked: "Partly"}.get(
                self._freeze_state(spec), "Trains"
            )
        if col == COL_STATUS:
            return {"ok": "✓ OK", "error": "✗ Error"}.get(report.status if report else "", "…")
        return None

    def _freeze_state(self, spec) -> Qt.CheckState:
        if spec.frozen:
            return Qt.Checked
        stages = self._stages.get(spec.id, [])
        frozen = [s for s in stages if s in spec.frozen_stages]
        if stages and len(frozen) == len(stages):
            return Qt.Checked
        return Qt.PartiallyChecked if frozen else Qt.Unchecked

    def _stage_data(self, index: AnyIndex, role: int) -> Any:
        spec = self.doc.blocks[index.parent().row()]
        stage = self._stages[spec.id][index.row()]
        frozen = spec.frozen or stage in spec.frozen_stages
        col = index.column()
        if role == CHECK and col == COL_FROZEN:
            return Qt.Checked if frozen else Qt.Unchecked
        if role != DISPLAY:
            return None
        report = self.reports.get(spec.id)
        n = report.stage_params.get(stage, 0) if report else 0
        return {
            COL_NAME: stage,
            COL_TYPE: "stage",
            COL_PARAMS: f"0 / {human_count(n)}" if frozen else f"{human_count(n)} / 0",
            COL_FROZEN: "Frozen" if frozen else "Trains",
        }.get(col)

    # ------------------------------------------------------------ edits -> undo commands

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.EditRole) -> bool:
        if not index.isValid():
            return False
        row = self.block_row(index)
        spec = self.doc.blocks[row]
        if index.internalId() != 0 and role == Qt.CheckStateRole:
            return self.set_stage_frozen(row, self._stages[spec.id][index.row()], _checked(value))
        if role == Qt.CheckStateRole and index.column() == COL_FROZEN:
            return self.set_frozen(row, _checked(value))
        if role == Qt.EditRole and index.column() == COL_NAME:
            name = str(value).strip()
            if name == spec.label:
                return False
            self.undo.push(QtUpdateBlock(self.doc, row, f"Rename to {name}", name=name))
            return True
        return False

    def set_frozen(self, row: int, frozen: bool) -> bool:
        spec = self.doc.blocks[row]
        text = f"{'Freeze' if frozen else 'Unfreeze'} {spec.label}"
        self.undo.push(QtUpdateBlock(self.doc, row, text, frozen=frozen, frozen_stages=[]))
        return True

    def set_stage_frozen(self, row: int, stage: str, frozen: bool) -> bool:
        spec = self.doc.blocks[row]
        stages = self._stages.get(spec.id, [])
        current = set(stages) if spec.frozen else set(spec.frozen_stages)
        current = current | {stage} if frozen else current - {stage}
        ordered = [s for s in stages if s in current]
        text = f"{'Freeze' if frozen else 'Unfreeze'} {spec.label} / {stage}"
        self.undo.push(QtUpdateBlock(self.doc, row, text, frozen=False, frozen_stages=ordered))
        return True

    # ------------------------------------------------------------ drag and drop

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.MoveAction | Qt.CopyAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.MoveAction

    def mimeTypes(self) -> list[str]:
        return [mime.BLOCK_TYPE_MIME, mime.BLOCK_IDS_MIME]

    def mimeData(self, indexes) -> Any:
        rows = sorted({self.block_row(i) for i in indexes if i.isValid()})
        return mime.block_ids_mime([self.doc.blocks[r].id for r in rows])

    def dropMimeData(self, data, action, row: int, column: int, parent: AnyIndex) -> bool:
        if action == Qt.IgnoreAction:
            return True
        if parent.isValid():  # onto a block: before it; among a backbone's stages: after it
            inside = parent.internalId() != 0 or row >= 0
            row = self.block_row(parent) + (1 if inside else 0)
        if row < 0:
            row = len(self.doc.blocks)
        type_name = mime.read_block_type(data)
        if type_name is not None:
            return self.insert_type(row, type_name)
        ids = [i for i in mime.read_block_ids(data) if i in {b.id for b in self.doc.blocks}]
        if not ids:
            return False
        self.undo.beginMacro("Move blocks" if len(ids) > 1 else "Move block")
        for block_id in ids:
            src = self.doc.project.index_of(block_id)
            dst = row if row <= src else row - 1
            if dst != src:
                self.undo.push(QtMoveBlock(self.doc, src, dst))
            row = dst + 1
        self.undo.endMacro()
        return True  # no removeRows: the move already happened (napari does the same)

    def insert_type(self, row: int, type_name: str, text: str = "") -> bool:
        try:
            spec = make_block(type_name, self.doc.project)
        except FTStudioError:
            return False
        self.undo.push(QtInsertBlock(self.doc, row, spec, text))
        return True

    # ------------------------------------------------------------ document events

    def _on_event(self, event: str, info: dict) -> None:
        root = QModelIndex()
        if event == "resetting":
            self.beginResetModel()
        elif event == "reset":
            self.reports, self._stages = {}, {}
            self.endResetModel()
        elif event == "inserting":
            self.beginInsertRows(root, info["index"], info["index"])
        elif event == "removing":
            self.beginRemoveRows(root, info["index"], info["index"])
        elif event == "moving":
            src, dst = info["src"], info["dst"]
            self.beginMoveRows(root, src, src, root, dst + 1 if dst > src else dst)
        elif event in ("inserted", "removed", "moved"):
            {"inserted": self.endInsertRows, "removed": self.endRemoveRows}.get(
                event, self.endMoveRows
            )()
            self._refresh_rows()
        elif event == "changed":
            self._refresh_rows(info["index"], info["index"])

    def _refresh_rows(self, first: int = 0, last: int | None = None) -> None:
        last = len(self.doc.blocks) - 1 if last is None else last
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))
            for row in range(first, last + 1):
                n = self.rowCount(self.index(row, 0))
                if n:
                    parent = self.index(row, 0)
                    self.dataChanged.emit(
                        self.index(0, 0, parent), self.index(n - 1, len(COLUMNS) - 1, parent)
                    )

    def set_report(self, report: ValidationReport) -> None:
        """Show a new validation report: shapes, counts, status and stage rows."""
        self.reports = {b.block_id: b for b in report.blocks}
        for row, spec in enumerate(self.doc.blocks):
            b = self.reports.get(spec.id)
            new = list(b.stages) if b and b.status == "ok" else self._stages.get(spec.id, [])
            old = self._stages.get(spec.id, [])
            if new == old:
                continue
            parent = self.index(row, 0)
            if old:
                self.beginRemoveRows(parent, 0, len(old) - 1)
                self._stages[spec.id] = []
                self.endRemoveRows()
            if new:
                self.beginInsertRows(parent, 0, len(new) - 1)
                self._stages[spec.id] = new
                self.endInsertRows()
        self._refresh_rows()
