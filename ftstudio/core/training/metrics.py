"""Loss functions per task, evaluation (loss, accuracy or MAE, confusion), the metrics CSV."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ftstudio.core.tempfiles import atomic_write_text

EPOCH_COLUMNS = (
    "kind",
    "epoch",
    "step",
    "train_loss",
    "train_accuracy",
    "train_mae",
    "val_loss",
    "val_accuracy",
    "val_mae",
    "lr",
    "samples_per_s",
    "peak_memory_mb",
    "time_s",
)


def make_loss(task: str, label_smoothing: float = 0.0) -> Callable[..., torch.Tensor]:
    """Loss for ``task``; per-token logits (B, T, C) get the class dimension moved to 1."""
    if task == "regression":
        return lambda out, y: F.mse_loss(out.float(), y)
    if task == "token_classification":
        return lambda out, y: F.cross_entropy(
            out.float().transpose(1, 2), y, label_smoothing=label_smoothing
        )
    return lambda out, y: F.cross_entropy(out.float(), y, label_smoothing=label_smoothing)


def batch_stats(task: str, out: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Device tensor of correct predictions (or absolute error sum), and the count."""
    if task == "regression":
        return (out.detach().float() - y).abs().sum(), y.numel()
    if task == "token_classification":  # negative labels (ignore_index, padding) never count
        keep = y >= 0
        return ((out.detach().argmax(-1) == y) & keep).sum(), int(keep.sum())
    return (out.detach().argmax(-1) == y).sum(), y.numel()


@torch.no_grad()
def evaluate(
    model: nn.Module,
    loader,
    task: str,
    num_classes: int,
    device: torch.device,
    autocast: Callable[[], Any],
    channels_last: bool = False,
) -> dict[str, Any]:
    """Loss, accuracy (or MAE) and confusion matrix over ``loader``; one sync at the end."""
    loss_fn = make_loss(task)
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), device=device)
    stat_sum = torch.zeros((), device=device)
    confusion = torch.zeros(num_classes * num_classes, dtype=torch.long, device=device)
    count = samples = 0
    for x, y in loader:
        x = x.to(device, non_blocking=True)
        y = y.to(device, non_blocking=True)
        if channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        with autocast():
            out = model(x)
        loss_sum += loss_fn(out, y).float() * len(x)
        stat, n = batch_stats(task, out, y)
        stat_sum += stat
        count += n
        samples += len(x)
        if task != "regression":
            index = y.flatten() * num_classes + out.argmax(-1).flatten()
            index = index[y.flatten() >= 0]  # ignore_index (padding, later sub-tokens)
            confusion += torch.bincount(index, minlength=num_classes * num_classes)
    model.train(was_training)
    result: dict[str, Any] = {"loss": float(loss_sum) / max(1, samples), "samples": samples}
    if task == "regression":
        result["mae"] = float(stat_sum) / max(1, count)
    else:
        result["accuracy"] = float(stat_sum) / max(1, count)
        result["confusion"] = confusion.view(num_classes, num_classes).cpu().tolist()
    return result


def per_class(confusion: list[list[int]]) -> list[dict[str, float]]:
    """Precision, recall, F1 and support per class from a confusion matrix (rows = truth)."""
    rows = []
    n = len(confusion)
    for c in range(n):
        tp = confusion[c][c]
        predicted = sum(confusion[r][c] for r in range(n))
        support = sum(confusion[c])
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append({"precision": precision, "recall": recall, "f1": f1, "support": support})
    return rows


class MetricsWriter:
    """Appends rows to ``RUN/metrics.csv`` (kind "step" or "epoch"), flushing each write."""

    def __init__(self, path: Path | None):
        self.path = path
        self._handle = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            new = not path.exists() or path.stat().st_size == 0
            self._handle = path.open("a", newline="", encoding="utf-8")
            self._writer = csv.DictWriter(self._handle, EPOCH_COLUMNS, extrasaction="ignore")
            if new:
                self._writer.writeheader()

    def keep_until(self, step: int) -> int:
        """Drop the rows logged after optimizer step ``step``: a run resumed from a checkpoint
        at that step logs them again. Returns how many rows were dropped."""
        if self._handle is None or self.path is None:
            return 0
        self._handle.close()
        with self.path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        kept = [row for row in rows if _step(row) is not None and _step(row) <= step]
        if len(kept) < len(rows):
            text = io.StringIO()
            writer = csv.DictWriter(text, EPOCH_COLUMNS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(kept)
            atomic_write_text(self.path, text.getvalue())
        self._handle = self.path.open("a", newline="", encoding="utf-8")
        self._writer = csv.DictWriter(self._handle, EPOCH_COLUMNS, extrasaction="ignore")
        return len(rows) - len(kept)

    def write(self, row: dict[str, Any]) -> None:
        if self._handle is None:
            return
        clean = {
            k: (f"{v:.6g}" if isinstance(v, float) and math.isfinite(v) else v)
            for k, v in row.items()
        }
        self._writer.writerow(clean)
        self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def _step(row: dict[str, Any]) -> int | None:
    """The row's optimizer step, or None for a damaged row (a write cut off by a kill)."""
    value = row.get("step")
    return int(value) if isinstance(value, str) and value.isdigit() else None
