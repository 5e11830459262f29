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


def load_csv(config: DataConfig, path: str, regression: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Feature columns and a label column of a CSV file with a header row."""
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
        raise DataError(f"{config.described}: the file has a header but no rows.")
    try:
        x = np.array([[float(r[c]) for c in features] for r in rows], dtype=np.float32)
        labels = [float(r[config.label_column]) for r in rows]
    except (TypeError, ValueError) as exc:
        raise DataError(f"{config.described}: a value is not a number ({exc}).") from None
    y = torch.tensor(labels, dtype=torch.float32)
    if not regression:
        if any(not v.is_integer() for v in labels):
            raise DataError(
                f"{config.described}: column '{config.label_column}' holds non-integer labels; "
                "classification labels must be class numbers 0..k-1."
            )
        y = y.long()
    return torch.from_numpy(x), y


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
