"""The project's ``data`` section parsed into a :class:`DataConfig`, with clear errors."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, fields
from typing import Any

from ftstudio.core.errors import DataError
from ftstudio.core.keys import unknown_keys
from ftstudio.core.text import shorten, summarise

SOURCES = (
    "digits",
    "synthetic-sequence",
    "image-folder",
    "csv",
    "tensor-file",
    "text-csv",
    "token-jsonl",
)
FILE_SOURCES = ("image-folder", "csv", "tensor-file", "text-csv", "token-jsonl")
SEQUENCE_LABELS = ("tagging", "symbols")  # labelling rules of synthetic-sequence (see builtin)
SOURCE_CLASSES = {"digits": 10}  # built-in sources whose classes are known before reading
MAX_CLASS = 100_000  # as task.num_classes
_CLASS_SPEC = re.compile(r"^ *[0-9]+ *(- *[0-9]+ *)?(, *[0-9]+ *(- *[0-9]+ *)?)*$")


@dataclass
class DataConfig:
    """Where samples come from and how they are split. See :mod:`ftstudio.core.data`."""

    source: str = "digits"
    path: str = ""
    classes: str | list[int] | None = None
    samples: int = 2000
    labels: str = "tagging"
    seed: int = 0
    val_fraction: float = 0.2
    validation: dict[str, Any] | None = None
    label_column: str = "label"
    feature_columns: list[str] | None = None
    standardize: bool = False  # absent in older projects: off; new projects write true
    flip: bool = False
    random_crop: bool = False
    num_workers: int | None = None
    text_column: str = "text"  # text-csv only
    max_length: int = 64  # text sources: tokens per text, longer ones truncated

    @property
    def described(self) -> str:
        return f"data source '{self.source}'" + (f" ({self.path})" if self.path else "")


FIX_HINT = "Fix the project's data section."  # the window leaves it out (the form is the fix)


def _fail(where: str, what: str) -> DataError:
    return DataError(f"data.{where}: {what} {FIX_HINT}")


def _number(raw: dict, key: str, default: Any, kind: type, low: float, high: float) -> Any:
    value = raw.get(key, default)
    if value is None and default is None:
        return None
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        ok = ok and float(value).is_integer()
    if not ok or not low <= value <= high:
        raise _fail(key, f"must be a number from {low:g} to {high:g}, got {json.dumps(value)}.")
    return kind(value)


def _flag(raw: dict, key: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise _fail(key, f"must be true or false, got {json.dumps(value)}.")
    return value


def parse_data_config(raw: dict[str, Any] | None) -> DataConfig:
    """Check the ``data`` dict of a project and return a :class:`DataConfig`.

    Raises
    ------
    DataError
        A key has a wrong type or value; the message names the key.
    """
    raw = dict(raw or {})
    known = [f.name for f in fields(DataConfig)]
    unknown = unknown_keys(raw, known, "data")
    if unknown:
        raise DataError(f"{unknown[0]} {FIX_HINT}")
    source = raw.get("source", "digits")
    if source not in SOURCES:
        raise _fail("source", f"must be one of {', '.join(SOURCES)}; got {json.dumps(source)}.")
    path = raw.get("path", "")
    if not isinstance(path, str):
        raise _fail("path", f"must be a file or folder path, got {json.dumps(path)}.")
    if source in FILE_SOURCES and not path:
        raise _fail("path", f"the '{source}' source needs a path to read from.")
    classes = raw.get("classes")
    if classes is not None and not (
        isinstance(classes, str)
        or isinstance(classes, list)
        and all(isinstance(c, int) and not isinstance(c, bool) for c in classes)
    ):
        raise _fail("classes", 'must be a range such as "5-9" or a list of class numbers.')
    if classes is not None:
        class_ranges(classes)
        if source in SOURCE_CLASSES:
            parse_classes(classes, list(range(SOURCE_CLASSES[source])))
    validation = raw.get("validation")
    if validation is not None and not isinstance(validation, dict):
        raise _fail("validation", "must be an object describing a data source, or absent.")
    features = raw.get("feature_columns")
    if features is not None and not (
        isinstance(features, list) and all(isinstance(c, str) for c in features)
    ):
        raise _fail("feature_columns", "must be a list of column names, or absent (= all others).")
    label_column = raw.get("label_column", "label")
    if not isinstance(label_column, str):
        raise _fail("label_column", "must be a column name.")
    text_column = raw.get("text_column", "text")
    if not isinstance(text_column, str):
        raise _fail("text_column", "must be a column name.")
    labels = raw.get("labels", "tagging")
    if labels not in SEQUENCE_LABELS:
        raise _fail(
            "labels", f"must be one of {', '.join(SEQUENCE_LABELS)}; got {json.dumps(labels)}."
        )
    if features is not None:
        _check_feature_columns(features, label_column)
    return DataConfig(
        source=source,
        path=path,
        classes=classes,
        samples=_number(raw, "samples", 2000, int, 10, 1_000_000),
        labels=labels,
        seed=_number(raw, "seed", 0, int, 0, 2**31 - 1),
        val_fraction=_number(raw, "val_fraction", 0.2, float, 0.0, 0.9),
        validation=validation,
        label_column=label_column,
        feature_columns=features,
        standardize=_flag(raw, "standardize"),
        flip=_flag(raw, "flip"),
        random_crop=_flag(raw, "random_crop"),
        num_workers=_number(raw, "num_workers", None, int, 0, 64),
        text_column=text_column,
        max_length=_number(raw, "max_length", 64, int, 4, 8192),
    )


def _check_feature_columns(features: list[str], label_column: str) -> None:
    """No column twice, and never the label: the model would be handed the answer."""
    if label_column in features:
        raise _fail(
            "feature_columns",
            f"includes the label column '{shorten(label_column, 40)}', so the model would be "
            "given the answer as an input. Remove it from feature_columns (or set "
            "data.label_column to the right column).",
        )
    twice = sorted(c for c, n in Counter(features).items() if n > 1)
    if twice:
        names = ", ".join(f"'{shorten(c, 40)}'" for c in twice[:12])
        raise _fail("feature_columns", f"names {names} more than once. List each column once.")


def class_ranges(spec: str | list[int]) -> list[tuple[int, int]]:
    """``"5-9,12"`` or ``[5, 12]`` -> ``[(5, 9), (12, 12)]``, never expanded (a range may be
    huge); refuses bad syntax, a range going down and numbers above :data:`MAX_CLASS`."""
    if isinstance(spec, list):
        ranges = [(c, c) for c in spec]
    elif len(spec) <= 10_000 and _CLASS_SPEC.match(spec):
        ranges = []
        for part in spec.split(","):
            lo, _, hi = part.partition("-")
            ranges.append((int(lo), int(hi) if hi.strip() else int(lo)))
    else:
        raise _fail("classes", f'must look like "5-9" or "0,2,4"; got {json.dumps(spec)[:60]}.')
    for lo, hi in ranges:
        if lo > hi:
            raise _fail("classes", f"the range {lo}-{hi} goes down; write {hi}-{lo}.")
        if lo < 0 or hi > MAX_CLASS:
            raise _fail(
                "classes",
                f"class numbers go from 0 to {MAX_CLASS:,}; got {lo if lo < 0 else hi:,}.",
            )
    return ranges


def parse_classes(spec: str | list[int] | None, available: list[int]) -> list[int]:
    """``"5-9"``, ``"0,2,4"`` or ``[5, 6]`` -> sorted class numbers (all when None)."""
    if spec is None:
        return list(available)
    ranges = class_ranges(spec)
    chosen = sorted(c for c in set(available) if any(lo <= c <= hi for lo, hi in ranges))
    merged: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    asked = sum(hi - lo + 1 for lo, hi in merged)
    known = summarise(sorted(available), len(available), limit=10)
    if not ranges:
        raise _fail("classes", f"selects no class; choose some of the data's classes ({known}).")
    if asked > len(chosen):
        have = set(available)
        missing = (c for lo, hi in merged for c in range(lo, hi + 1) if c not in have)
        what = summarise(missing, asked - len(chosen))
        raise _fail("classes", f"{what} not among the data's classes ({known}).")
    return chosen
