"""Undoable edits: each QUndoCommand is a pair of :class:`StackDocument` primitives."""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtGui import QUndoCommand

from ftstudio.core.project import BlockSpec
from ftstudio.gui.stack_document import StackDocument


class QtInsertBlock(QUndoCommand):
    def __init__(self, doc: StackDocument, index: int, spec: BlockSpec, text: str = ""):
        super().__init__(text or f"Add {spec.label}")
        self.doc, self.spec = doc, copy.deepcopy(spec)
        self.index = max(0, min(index, len(doc.blocks)))

    def redo(self) -> None:
        self.doc.insert(self.index, copy.deepcopy(self.spec))

    def undo(self) -> None:
        self.doc.remove(self.index)


class QtRemoveBlock(QUndoCommand):
    def __init__(self, doc: StackDocument, index: int):
        super().__init__(f"Delete {doc.blocks[index].label}")
        self.doc, self.index = doc, index
        self.spec: BlockSpec | None = None

    def redo(self) -> None:
        self.spec = self.doc.remove(self.index)

    def undo(self) -> None:
        self.doc.insert(self.index, self.spec)


class QtMoveBlock(QUndoCommand):
    def __init__(self, doc: StackDocument, src: int, dst: int):
        super().__init__(f"Move {doc.blocks[src].label}")
        self.doc, self.src, self.dst = doc, src, dst

    def redo(self) -> None:
        self.doc.move(self.src, self.dst)

    def undo(self) -> None:
        self.doc.move(self.dst, self.src)


class QtUpdateBlock(QUndoCommand):
    """Param change, rename, freeze toggle, stage freeze: any set of block fields."""

    def __init__(self, doc: StackDocument, index: int, text: str, **fields: Any):
        super().__init__(text)
        self.doc, self.index, self.fields = doc, index, copy.deepcopy(fields)
        self.old: dict[str, Any] = {}

    def redo(self) -> None:
        self.old = self.doc.update(self.index, **self.fields)

    def undo(self) -> None:
        self.doc.update(self.index, **self.old)


class QtSetProjectField(QUndoCommand):
    """A top-level project field, e.g. ``data`` when a folder is dropped on the window."""

    def __init__(self, doc: StackDocument, key: str, value: Any, text: str):
        super().__init__(text)
        self.doc, self.key, self.value = doc, key, copy.deepcopy(value)
        self.old: Any = None

    def redo(self) -> None:
        self.old = self.doc.set_project_field(self.key, self.value)

    def undo(self) -> None:
        self.doc.set_project_field(self.key, self.old)
