"""A Qt-free, evented editing layer over a :class:`~ftstudio.core.project.Project`.

Like napari's evented layer list: every mutation goes through one of the primitive methods
below, which tell listeners before and after (``inserting``/``inserted``, ``moving``/``moved``
...). The Qt item model only maps these events to ``beginInsertRows``/``endInsertRows`` etc.,
and undo commands are pairs of primitives.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ftstudio.core.project import BlockSpec, Project

Listener = Callable[[str, dict[str, Any]], None]
BLOCK_FIELDS = ("name", "params", "frozen", "frozen_stages", "lr_scale")


class StackDocument:
    """The open project plus change events. ``project`` is replaced only via :meth:`replace`."""

    def __init__(self, project: Project):
        self.project = project
        self._listeners: list[Listener] = []

    def connect(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _emit(self, event: str, **info: Any) -> None:
        for listener in list(self._listeners):
            listener(event, info)

    @property
    def blocks(self) -> list[BlockSpec]:
        return self.project.blocks

    def replace(self, project: Project) -> None:
        self._emit("resetting")
        self.project = project
        self._emit("reset")

    def insert(self, index: int, spec: BlockSpec) -> None:
        index = max(0, min(index, len(self.blocks)))
        self._emit("inserting", index=index)
        self.blocks.insert(index, spec)
        self._emit("inserted", index=index)

    def remove(self, index: int) -> BlockSpec:
        self._emit("removing", index=index)
        spec = self.blocks.pop(index)
        self._emit("removed", index=index)
        return spec

    def move(self, src: int, dst: int) -> None:
        """Move the block at ``src`` so that it ends up at index ``dst``."""
        if src == dst:
            return
        self._emit("moving", src=src, dst=dst)
        self.blocks.insert(dst, self.blocks.pop(src))
        self._emit("moved", src=src, dst=dst)

    def update(self, index: int, **fields: Any) -> dict[str, Any]:
        """Set block fields (see ``BLOCK_FIELDS``); returns their old values for undo."""
        spec = self.blocks[index]
        old = {}
        for key, value in fields.items():
            if key not in BLOCK_FIELDS:
                raise KeyError(key)
            old[key] = copy.deepcopy(getattr(spec, key))
            setattr(spec, key, copy.deepcopy(value))
        self._emit("changed", index=index)
        return old

    def set_project_field(self, key: str, value: Any) -> Any:
        """Set a top-level project field such as ``data``; returns the old value."""
        old = copy.deepcopy(getattr(self.project, key))
        setattr(self.project, key, copy.deepcopy(value))
        self._emit("project_changed", key=key)
        return old
