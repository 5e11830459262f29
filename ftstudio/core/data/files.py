"""File sources read fully into memory: ``csv`` and ``tensor-file`` (.npz/.safetensors/.pt)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import torch

from ftstudio.core.data.config import DataConfig
from ftstudio.core.errors import DataError

TENSOR_SUFFIXES = (".npz", ".safetensors", ".pt", ".pth")


def existing(path: str, config: DataConfig, folder: bool = False) -> Path:
    """The path, or a :class:`DataError` saying it is missing."""
    p = Path(path)
    if not (p.is_dir() if folder else p.is_file()):
        kind = "folder" if folder else "file"
        raise DataError(
            f"{config.described}: the {kind} {p} does not exist. Check data.path in the project."
        )
    return p


def load_csv(
    config: DataConfig, path: str, regression: bool, classes: list[str] | None = None
) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """Feature columns and a label column of a CSV file with a header row.

    Classification labels are class numbers 0..k-1, or names (``cat``, ``dog``) that become
    classes in sorted order; ``classes`` gives the training data's names so that a validation
    file maps the same way. Returns ``(X, y, class_names)`` (names empty for numeric labels).
    """
    p = existing(path, config)
    with p.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        rows = list(reader)
    if config.label_column not in header:
        raise DataError(
            f"{config.described}: no column '{config.label_column}' (columns: "
            f"{', '.join(header) or 'none'}). Set data.label_column to the label's column."
        )
    features = config.feature_columns or [c for c in header if c != config.label_column]
    missing = [c for c in features if c not in header]
    if missing:
        raise DataError(
            f"{config.described}: feature column(s) {', '.join(missing)} not in the file "
            f"(columns: {', '.join(header)}). Fix data.feature_columns."
        )
    if not rows:
        raise DataError(
            f"{config.described}: the file has a header but no rows. Add data rows below it."
        )
    x = np.array([_numbers(config, r, features, line) for line, r in enumerate(rows, 2)])
    raw_labels = [(r.get(config.label_column) or "").strip() for r in rows]
    if regression or classes is None and all(_is_number(v) for v in raw_labels):
        y = torch.tensor(
            [_label_number(config, v, line) for line, v in enumerate(raw_labels, 2)],
            dtype=torch.float32,
        )
        if not regression:
            if not torch.equal(y, y.round()):
                raise DataError(
                    f"{config.described}: column '{config.label_column}' holds non-integer "
                    "labels; classification labels must be class numbers 0..k-1 or class names."
                )
            y = y.long()
        x = torch.from_numpy(x.astype(np.float32))
        check_finite(config, x, y if regression else None)
        return x, y, []
    if "" in raw_labels:
        line = raw_labels.index("") + 2
        raise DataError(
            f"{config.described}: line {line} has no label in column '{config.label_column}'. "
            "Fill it in or remove the row."
        )
    names = classes if classes is not None else sorted(set(raw_labels))
    index = {name: i for i, name in enumerate(names)}
    unknown = sorted(set(raw_labels) - set(index))
    if unknown:
        raise DataError(
            f"{config.described}: label(s) {', '.join(map(repr, unknown[:5]))} in column "
            f"'{config.label_column}' are not among the training classes {names}. Use the "
            "training data's class names."
        )
    y = torch.tensor([index[v] for v in raw_labels], dtype=torch.long)
    x = torch.from_numpy(x.astype(np.float32))
    check_finite(config, x, None)
    return x, y, list(names)


def check_finite(config: DataConfig, x: torch.Tensor, y: torch.Tensor | None) -> None:
    """No NaN or infinite feature (or regression target): it would only surface as a NaN loss."""
    for values, what in ((x, "values"), (y, "targets")):
        if values is None or not values.is_floating_point():
            continue
        bad = ~torch.isfinite(values.reshape(len(values), -1)).all(dim=1)
        if bool(bad.any()):
            first = int(bad.nonzero()[0])
            where = f"line {first + 2}" if config.source == "csv" else f"sample {first}"
            raise DataError(
                f"{config.described}: {int(bad.sum())} sample(s) have NaN or infinite "
                f"{what}, the first at {where}. Fill in or remove those samples."
            )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _numbers(config: DataConfig, row: dict, columns: list[str], line: int) -> list[float]:
    values = []
    for column in columns:
        text = (row.get(column) or "").strip()
        try:
            value = float(text)
        except ValueError:
            shown = "is empty" if not text else f"holds {text[:40]!r}, not a number"
            raise DataError(
                f"{config.described}: line {line}, column '{column}' {shown}. Feature columns "
                "must hold numbers: fix that cell, remove the row, or leave the column out "
                "with data.feature_columns."
            ) from None
        values.append(value)
    return values


def _label_number(config: DataConfig, text: str, line: int) -> float:
    try:
        return float(text)
    except ValueError:
        shown = "is empty" if not text else f"holds {text[:40]!r}, not a number"
        raise DataError(
            f"{config.described}: line {line}, column '{config.label_column}' {shown}. "
            "Regression targets must be numbers: fix that cell or remove the row."
        ) from None


def load_tensor_file(config: DataConfig, path: str) -> tuple[torch.Tensor, torch.Tensor]:
    """``X`` and ``y`` from a .npz, .safetensors or weights-only .pt file."""
    p = existing(path, config)
    try:
        if p.suffix == ".npz":
            with np.load(p, allow_pickle=False) as npz:
                store = {k: torch.from_numpy(np.array(npz[k])) for k in npz.files}
        elif p.suffix == ".safetensors":
            from safetensors.torch import load_file

            store = load_file(str(p))
        elif p.suffix in (".pt", ".pth"):
            store = torch.load(p, map_location="cpu", weights_only=True)
        else:
            raise DataError(
                f"{config.described}: unknown file type '{p.suffix}'; use one of "
                f"{', '.join(TENSOR_SUFFIXES)}."
            )
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure becomes one message
        raise DataError(f"{config.described}: cannot read the file: {exc}") from None
    if not isinstance(store, dict) or not {"X", "y"} <= set(store):
        keys = ", ".join(map(str, store)) if isinstance(store, dict) else type(store).__name__
        raise DataError(
            f"{config.described}: the file must hold tensors named 'X' and 'y' (found: {keys})."
        )
    x, y = store["X"], store["y"]
    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise DataError(f"{config.described}: 'X' and 'y' must be tensors.")
    if len(x) != len(y):
        raise DataError(f"{config.described}: X has {len(x)} samples but y has {len(y)}.")
    y = y.float() if y.is_floating_point() else y.long()
    return x.float(), y
