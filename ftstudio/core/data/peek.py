"""The data check of ``validate --data``: read the data as training would, look at one
sample, and compare its shape, class count and label range with the project.

Training runs the same checks (it loads the data through :func:`load_data` too), so a data
check that passes means training will not refuse the data. The window runs it after edits
when the source is local and cheap to read (:func:`cheap_to_peek`); results are cached by
the project's text and the data files' sizes and times.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ftstudio.core.data.bundle import load_data
from ftstudio.core.data.config import FILE_SOURCES
from ftstudio.core.errors import FTStudioError
from ftstudio.core.project import dumps

PEEK_LIMIT_BYTES = 32 * 1024 * 1024  # the window reads files up to this size after edits
CHEAP_BUILT_IN = ("digits",)  # synthetic-sequence generates ~100 MB: not a peek


@dataclass
class DataCheck:
    """What one look at the data found. ``error`` is None when the data fits the project."""

    source: str
    sample_shape: tuple[int, ...] | None = None
    num_classes: int | None = None
    label_range: tuple[int, int] | None = None
    samples: int = 0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None

    def summary(self) -> str:
        """One line for the terminal or the status bar."""
        if self.error is not None:
            return f"Data: {self.error}"
        parts = [f"{self.samples} training samples of shape {list(self.sample_shape or ())}"]
        if self.num_classes is not None:
            parts.append(f"{self.num_classes} classes")
        if self.label_range is not None:
            parts.append(f"labels {self.label_range[0]}..{self.label_range[1]}")
        return f"Data ({self.source}): " + ", ".join(parts) + "; fits the project."

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "source": self.source,
            "sample_shape": list(self.sample_shape) if self.sample_shape else None,
            "num_classes": self.num_classes,
            "label_range": list(self.label_range) if self.label_range else None,
            "samples": self.samples,
            "error": self.error,
            "warnings": list(self.warnings),
        }


def _paths(project) -> list[Path]:
    data = project.data or {}
    raw = [data.get("path")]
    if isinstance(data.get("validation"), dict):
        raw.append(data["validation"].get("path"))
    return [Path(project.resolve_path(p)) for p in raw if isinstance(p, str) and p]


def cheap_to_peek(project) -> bool:
    """True for the built-in digits, for local files/folders that are small, and for a path
    that does not exist (the check says so at once, before the user presses Train)."""
    source = (project.data or {}).get("source", "digits")
    if source in CHEAP_BUILT_IN:
        return True
    if source not in FILE_SOURCES:
        return False
    paths = _paths(project)
    if not paths:
        return False
    for path in paths:
        if path.is_dir() or not path.exists():
            continue  # an image folder: names are listed, one image is decoded
        if not path.is_file() or path.stat().st_size > PEEK_LIMIT_BYTES:
            return False
    return True


def check_data(project) -> DataCheck:
    """Load the data as training does and check one sample against the project.

    Never raises for a data problem: it is returned as ``error`` (the message names the
    source, and both the data's and the project's shape or class count).
    """
    key = _cache_key(project)
    with _LOCK:
        if key is not None and key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    result = _check(project)
    if key is not None:
        with _LOCK:
            _CACHE[key] = result
            while len(_CACHE) > 8:
                _CACHE.popitem(last=False)
    return result


def _check(project) -> DataCheck:
    source = str((project.data or {}).get("source", "digits"))
    check = DataCheck(source)
    try:
        bundle = load_data(project)
        x = bundle.train[0][0]  # decodes one image for an image folder
    except FTStudioError as exc:
        check.error = str(exc)
        return check
    except (OSError, ValueError, RuntimeError) as exc:  # a reader's own failure
        check.error = f"the {source} data could not be read: {exc}"
        return check
    check.samples = len(bundle.train)
    check.warnings += list(getattr(bundle, "warnings", []))
    check.sample_shape = tuple(torch.as_tensor(x).shape)
    want = tuple(project.input.shape or ())
    if want and check.sample_shape != want:
        check.error = (
            f"{bundle.config.described}: a sample has shape {list(check.sample_shape)}, but the "
            f"project's input shape is {list(want)}. Change the input shape to "
            f"{list(check.sample_shape)} or use data of that shape."
        )
        return check
    if bundle.task == "regression":
        return check
    check.num_classes = bundle.num_classes
    labels = getattr(bundle.train, "tensors", (None, None))[1]
    if labels is not None and labels.numel():
        low, high = int(labels.min()), int(labels.max())
        if bundle.val is not None and getattr(bundle.val, "tensors", None):
            val_labels = bundle.val.tensors[1]
            low, high = min(low, int(val_labels.min())), max(high, int(val_labels.max()))
        check.label_range = (low, high)
        if high + 1 < bundle.num_classes:
            check.warnings.append(
                f"{bundle.config.described}: labels go up to {high}, so only {high + 1} of the "
                f"project's {bundle.num_classes} classes occur. If the data has {high + 1} "
                "classes, set the task's and the head's classes to that."
            )
    return check


_CACHE: OrderedDict[tuple, DataCheck] = OrderedDict()
_LOCK = threading.Lock()


def _stamp(path: Path) -> tuple:
    try:
        stat = path.stat()
    except OSError:
        return (str(path), None)
    stamp: list[Any] = [str(path), stat.st_size, stat.st_mtime_ns]
    if path.is_dir():  # class sub-folders change when images are added or removed
        try:
            stamp += [(d.name, d.stat().st_mtime_ns) for d in sorted(path.iterdir()) if d.is_dir()]
        except OSError:
            return (str(path), None)
    return tuple(stamp)


def _cache_key(project) -> tuple | None:
    """What the data check depends on: the data, input and task sections, the first block
    (its preprocessing), the head's name (in messages), and the data files' stamps."""
    try:
        body = json.loads(dumps(project))
    except (FTStudioError, TypeError, ValueError):
        return None
    blocks = body.get("blocks") or [{}]
    used = {k: body.get(k) for k in ("input", "task", "data")}
    used["first"], used["head"] = blocks[0], project.blocks[-1].label if project.blocks else ""
    files = tuple(_stamp(p) for p in _paths(project))
    return (json.dumps(used, sort_keys=True), str(project.path), files)
