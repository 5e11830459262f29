"""Deferred imports and values, so that start-up does not pay for what it does not show.

Importing torchvision costs seconds (it pulls in ``torch._dynamo``); the block catalog names it
everywhere but needs it only when a torchvision block is built, checked or listed.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any


class LazyModule:
    """Stands for module ``name`` and imports it on the first attribute read."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


class LazyChoices(Sequence):
    """A tuple of choices computed on first use (``len``, ``in``, indexing, iteration)."""

    def __init__(self, load: Callable[[], Sequence[Any]]):
        self._load: Callable[[], Sequence[Any]] | None = load
        self._items: tuple[Any, ...] = ()
        self._lock = threading.Lock()

    def _get(self) -> tuple[Any, ...]:
        if self._load is not None:
            with self._lock:
                if self._load is not None:
                    self._items = tuple(self._load())
                    self._load = None
        return self._items

    def __getitem__(self, index):
        return self._get()[index]

    def __len__(self) -> int:
        return len(self._get())

    def __contains__(self, value: object) -> bool:
        return value in self._get()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._get())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyChoices):
            other = other._get()
        return self._get() == other if isinstance(other, tuple) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._get())

    def __repr__(self) -> str:
        return repr(self._get()) if self._load is None else "LazyChoices(<not loaded>)"
