"""Evaluate a checkpoint on the project's validation data, keeping every sample's prediction.

:func:`evaluate_checkpoint` is what ``ftstudio evaluate`` and the window's Evaluate view both
call, so their counts agree. It returns an :class:`Evaluation`: the confusion matrix (rows:
true class, columns: predicted), per-class precision/recall/F1/support, accuracy and loss, and
one record per sample (per token for token classification) so that a confusion cell can list
exactly its samples; for regression the predicted/true pairs, MAE and RMSE. Positions whose
label is negative (``ignore_index``, padding) are left out of the counts and the records.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from ftstudio.core.builder import build_model
from ftstudio.core.data import DataBundle, load_data
from ftstudio.core.errors import FTStudioError
from ftstudio.core.project import Project
from ftstudio.core.training import checkpoint as ckpt
from ftstudio.core.training import entities
from ftstudio.core.training.config import parse_training_config
from ftstudio.core.training.device import autocast_factory, resolve_device
from ftstudio.core.training.metrics import make_loss, per_class


class EvaluationStopped(FTStudioError):
    """The evaluation was stopped before it ended (the window closed or a new one began)."""


@dataclass
class Evaluation:
    """The result of :func:`evaluate_checkpoint`.

    Classification and token classification fill ``confusion``, ``per_class``, ``accuracy``
    and the per-record arrays ``index`` (sample in the split), ``position`` (token position,
    -1 for whole samples), ``true``, ``predicted`` and ``probability`` (of the predicted
    class). Regression fills ``targets``/``predictions`` (samples x outputs), ``mae``, ``rmse``.
    """

    task: str
    split: str
    samples: int
    loss: float
    classes: list[str] = field(default_factory=list)
    confusion: list[list[int]] = field(default_factory=list)
    per_class: list[dict[str, float]] = field(default_factory=list)
    accuracy: float = math.nan
    index: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    position: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    true: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    predicted: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    probability: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    targets: np.ndarray | None = None
    predictions: np.ndarray | None = None
    mae: float = math.nan
    rmse: float = math.nan
    checkpoint: str = ""
    entities: dict[str, dict[str, float]] = field(default_factory=dict)  # BIO tags: per type
    dataset: Dataset | None = field(default=None, repr=False)
    standardizer: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def classification(self) -> bool:
        return self.task != "regression"

    def cell(self, true: int, predicted: int) -> np.ndarray:
        """Record numbers (positions in the record arrays) of confusion cell (true, predicted)."""
        return np.flatnonzero((self.true == true) & (self.predicted == predicted))

    def image_path(self, index: int) -> str | None:
        """The image file of sample ``index`` (image folders), else None."""
        items = getattr(self.dataset, "items", None)
        return str(items[index][0]) if items is not None else None

    def sample(self, index: int) -> np.ndarray | None:
        """Sample ``index`` of the split as the model's input shape, with standardisation
        undone (the values as in the file); None for image folders (use :meth:`image_path`)."""
        if self.dataset is None or self.image_path(index) is not None:
            return None
        x = self.dataset[index][0]
        if self.standardizer:
            mean = torch.as_tensor(self.standardizer["mean"], dtype=torch.float64)
            std = torch.as_tensor(self.standardizer["std"], dtype=torch.float64)
            x = x.double() * std + mean
        return x.float().numpy()

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``ftstudio evaluate --json`` (no per-sample records)."""
        out: dict[str, Any] = {"loss": self.loss, "samples": self.samples}
        if not self.classification:
            out.update(mae=self.mae, rmse=self.rmse)
        else:
            out.update(accuracy=self.accuracy, confusion=self.confusion)
        out.update(split=self.split, task=self.task)
        if self.classification:
            out.update(classes=self.classes, per_class=self.per_class)
        if self.entities:
            out.update(entities=self.entities)
        return out


def load_trained_model(
    project: Project, checkpoint: str | Path, data: DataBundle | None = None
) -> nn.Module:
    """The project's model with a checkpoint's weights (in eval mode, on the CPU).

    Raises :class:`~ftstudio.core.errors.TrainingError` for a checkpoint that is missing,
    damaged or trained from another project.
    """
    if project.input.shape:
        shape = tuple(project.input.shape)
    else:
        shape = (data or load_data(project)).sample_shape
    model = build_model(project, input_shape=shape, load_weights=False)
    ckpt.load_model_state(model, ckpt.model_weights(checkpoint), checkpoint)
    return model.eval()


def evaluate_checkpoint(
    project: Project,
    checkpoint: str | Path,
    device: str = "auto",
    batch_size: int | None = None,
    stop: threading.Event | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Evaluation:
    """Evaluate ``checkpoint`` on the project's validation split (the training data when
    there is none), keeping each sample's prediction.

    Parameters
    ----------
    project : Project
        The project the checkpoint was trained from.
    checkpoint : path
        A ``last.pt`` / ``best.pt`` checkpoint of one of its runs.
    device : str
        ``auto``, ``cpu``, ``cuda`` or ``mps``.
    batch_size : int, optional
        Default: the project's training batch size.
    stop : threading.Event, optional
        Set from another thread to stop between batches (:class:`EvaluationStopped`).
    progress : callable, optional
        ``progress(batches_done, batches_total)`` after each batch.
    """
    config = parse_training_config(project.training, {"device": device})
    standardizer = ckpt.saved_standardizer(checkpoint)
    data = load_data(project, standardizer=standardizer)
    model = load_trained_model(project, checkpoint, data)
    dev = resolve_device(config.device, 0)
    model.to(dev)
    dataset = data.val if data.val is not None and len(data.val) else data.train
    loader = DataLoader(dataset, batch_size or config.batch_size, num_workers=data.num_workers)
    outputs, labels, loss = _predict_all(
        model, loader, data.task, dev, autocast_factory(dev, config.amp), stop, progress
    )
    result = Evaluation(
        task=data.task,
        split="validation" if dataset is data.val else "train",
        samples=len(labels),
        loss=loss,
        checkpoint=str(checkpoint),
        dataset=dataset,
        standardizer=standardizer or {},
    )
    if data.task == "regression":
        _fill_regression(result, outputs, labels)
    else:
        _fill_classification(result, outputs, labels, data.num_classes)
        result.classes = list(data.class_names[: data.num_classes])
        if data.task == "token_classification" and entities.is_bio(result.classes):
            result.entities = _entity_scores(result)
    return result


def _entity_scores(result: Evaluation) -> dict[str, dict[str, float]]:
    """seqeval-style entity scores over the records (one per word for text sources)."""
    where = (result.index, result.position)
    true = entities.sentences(*where, result.true, result.classes)
    predicted = entities.sentences(*where, result.predicted, result.classes)
    return entities.entity_scores(true, predicted)


@torch.no_grad()
def _predict_all(model, loader, task, device, autocast, stop, progress):
    """Every output and label (CPU tensors) and the mean loss per sample."""
    loss_fn = make_loss(task)
    outputs, labels = [], []
    loss_sum, samples = 0.0, 0
    total = len(loader)
    for done, (x, y) in enumerate(loader, 1):
        if stop is not None and stop.is_set():
            raise EvaluationStopped("The evaluation was stopped.")
        x, y = x.to(device), y.to(device)
        with autocast():
            out = model(x)
        loss_sum += float(loss_fn(out, y).float()) * len(x)
        samples += len(x)
        outputs.append(out.float().cpu())
        labels.append(y.cpu())
        if progress is not None:
            progress(done, total)
    if not outputs:
        return torch.zeros(0), torch.zeros(0), math.nan
    return torch.cat(outputs), torch.cat(labels), loss_sum / max(1, samples)


def _fill_classification(result: Evaluation, out: torch.Tensor, y: torch.Tensor, n: int) -> None:
    probs = out.softmax(-1)
    prob, pred = probs.max(-1)
    index = torch.arange(len(y)).view(-1, *([1] * (y.dim() - 1))).expand_as(y)
    if y.dim() > 1:  # token classification: one record per (sample, position)
        position = torch.arange(y.shape[1]).expand_as(y)
    else:
        position = torch.full_like(y, -1)
    keep = y.flatten() >= 0  # negative labels: ignored (padding) positions
    true = y.flatten()[keep]
    predicted = pred.flatten()[keep]
    confusion = torch.bincount(true * n + predicted, minlength=n * n).view(n, n)
    result.confusion = confusion.tolist()
    result.per_class = per_class(result.confusion)
    result.accuracy = float((true == predicted).sum()) / max(1, len(true))
    result.true, result.predicted = true.numpy(), predicted.numpy()
    result.probability = prob.flatten()[keep].numpy()
    result.index = index.flatten()[keep].numpy()
    result.position = position.flatten()[keep].numpy()


def _fill_regression(result: Evaluation, out: torch.Tensor, y: torch.Tensor) -> None:
    out, y = out.reshape(len(y), -1).double(), y.reshape(len(y), -1).double()
    error = out - y
    result.mae = float(error.abs().mean()) if error.numel() else math.nan
    result.rmse = float(error.pow(2).mean().sqrt()) if error.numel() else math.nan
    result.predictions, result.targets = out.numpy(), y.numpy()
    result.index = np.arange(len(y))


def evaluate_project(
    project: Project, checkpoint: str | Path, device: str = "auto", batch_size: int | None = None
) -> dict[str, Any]:
    """``ftstudio evaluate``'s result: :func:`evaluate_checkpoint` as a JSON-ready dict."""
    return evaluate_checkpoint(project, checkpoint, device, batch_size).to_dict()
