"""Load a project's data: the source, the train/validation split, and the checks that run
before any training step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.utils.data import Dataset, TensorDataset

from ftstudio.core.data import builtin, files, images, scaling, text
from ftstudio.core.data.config import DataConfig, parse_data_config
from ftstudio.core.errors import DataError
from ftstudio.core.text import shorten, summarise


@dataclass
class DataBundle:
    """Train and validation datasets plus what the engine needs to know about them."""

    train: Dataset
    val: Dataset | None
    sample_shape: tuple[int, ...]
    task: str
    num_classes: int
    class_names: list[str]
    config: DataConfig
    num_workers: int = 0
    info: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def split_indices(
    n: int, fraction: float, seed: int, labels: list[int] | None = None
) -> tuple[list[int], list[int]]:
    """Seeded split of ``range(n)`` into (train, validation).

    With ``labels`` (classification) the split is stratified: each class gives the same
    fraction to validation (at least one sample when it has two or more), so a small data
    set never loses a class from either side.
    """
    gen = torch.Generator().manual_seed(seed)
    if labels is None:
        order = torch.randperm(n, generator=gen).tolist()
        n_val = int(round(n * fraction))
        if fraction > 0 and n_val == 0 and n > 1:
            n_val = 1
        return order[n_val:], order[:n_val]
    by_class: dict[int, list[int]] = {}
    for i in torch.randperm(n, generator=gen).tolist():
        by_class.setdefault(int(labels[i]), []).append(i)
    train, val = [], []
    for members in by_class.values():
        k = int(round(len(members) * fraction))
        if fraction > 0 and k == 0 and len(members) > 1:
            k = 1
        val += members[:k]
        train += members[k:]
    shuffle = torch.randperm(len(train), generator=gen).tolist()
    return [train[i] for i in shuffle], sorted(val)


def _head_label(project) -> str:
    if not project.blocks:
        return "the model"
    return f"block {len(project.blocks)} '{project.blocks[-1].label}'"


def _first_label(project) -> str:
    if not project.blocks:
        return "the model"
    return f"block 1 '{project.blocks[0].label}'"


def _read(
    project,
    config: DataConfig,
    shape: tuple[int, ...] | None,
    task: str,
    classes: list[str] | None = None,
    notes: files.SourceNotes | None = None,
) -> tuple[Any, Any, list[str]]:
    """(X, y, class names) for in-memory sources; ``notes`` gets file lines and warnings."""
    path = project.resolve_path(config.path) if config.path else ""
    if config.source == "digits":
        return builtin.load_digits_source(config, shape)
    if config.source == "synthetic-sequence":
        x, y = builtin.synthetic_sequence(config.samples, config.seed, config.labels)
        return x, y, builtin.sequence_class_names(config.labels)
    if config.source == "csv":
        return files.load_csv(config, path, task == "regression", classes, notes)
    if config.source in text.TEXT_SOURCES:
        return text.load_text_source(
            project, config, path, task, classes, notes or files.SourceNotes()
        )
    x, y = files.load_tensor_file(config, path)
    files.check_finite(config, x, y if y.is_floating_point() else None)
    return x, y, []


def load_data(
    project,
    input_shape: tuple[int, ...] | None = None,
    standardizer: dict[str, Any] | None = None,
) -> DataBundle:
    """Read the project's ``data`` section into a :class:`DataBundle` and check it.

    Parameters
    ----------
    project : Project
        The project; its ``data``, ``input`` and ``task`` sections are used.
    input_shape : tuple of int, optional
        Override for the model's input shape (default: the project's).
    standardizer : dict, optional
        ``{"mean", "std"}`` saved with a run (evaluate, resume, export of a checkpoint);
        default: fitted on the training split when ``data.standardize`` is on.

    Raises
    ------
    DataError
        A missing file or column, a label out of range, a class-count mismatch with the head,
        samples that do not fit the model's input, or too little memory; the message names
        the source and block (and a CSV's file line). Warnings found before the error (such
        as labels read as class names) are added to its message.
    """
    config = parse_data_config(project.data)
    notes: list[files.SourceNotes] = []
    try:
        return _load(project, config, input_shape, notes, standardizer)
    except MemoryError:
        raise DataError(
            f"{config.described}: not enough memory to load the data. Use a smaller data set "
            "or a machine with more memory."
        ) from None
    except DataError as exc:
        warnings = [w for n in notes for w in n.warnings]
        if not warnings:
            raise
        raise DataError(f"{exc} Note: {' '.join(warnings)}") from None


def _load(project, config: DataConfig, input_shape, notes: list, standardizer=None) -> DataBundle:
    shape = tuple(input_shape or project.input.shape or ()) or None
    task = project.task.kind
    val_config = None
    if config.validation is not None:
        merged = {k: v for k, v in project.data.items() if k != "validation"}
        val_config = parse_data_config({**merged, **config.validation})
    if config.source == "image-folder":
        return _image_bundle(project, config, val_config, shape, task)
    notes.append(files.SourceNotes())
    x, y, names = _read(project, config, shape, task, notes=notes[-1])
    if names:
        check_class_count(project, config, len(names))
    # labels are checked in file order, so a message names the file line, not a split index
    check_samples(project, config, x, shape)
    y = check_labels(project, config, y, x, notes[-1].place)
    if val_config is not None:
        notes.append(files.SourceNotes())
        vx, vy, val_names = _read(project, val_config, shape, task, names or None, notes[-1])
        if val_names and not names:
            raise DataError(
                f"{val_config.described}: labels are class names, but the training data's are "
                "class numbers. Use the same kind of labels in both."
            )
        check_samples(project, val_config, vx, shape)
        vy = check_labels(project, val_config, vy, vx, notes[-1].place)
        train, val = (x, y), (vx, vy)
    else:
        strata = y.tolist() if task != "regression" and y.dim() == 1 else None
        tr, va = split_indices(len(x), config.val_fraction, config.seed, strata)
        train, val = (x[tr], y[tr]), (x[va], y[va]) if va else None
    num_classes = len(names) or project.task.num_classes
    class_names = names or [str(i) for i in range(project.task.num_classes)]
    warnings = [w for n in notes for w in n.warnings]
    if task != "regression":
        warnings += one_class_warning(config, train[1], class_names)
    path = project.resolve_path(config.path) if config.path else ""
    warnings += scaling.scale_warning(config, train[0], path)
    train, val, stats = scaling.standardize_split(config, train, val, standardizer)
    return DataBundle(
        train=TensorDataset(*train),
        val=TensorDataset(*val) if val is not None else None,
        sample_shape=tuple(x.shape[1:]),
        task=task,
        num_classes=num_classes,
        class_names=class_names,
        config=config,
        num_workers=config.num_workers or 0,
        warnings=warnings,
        info={"standardize": stats} if stats is not None else {},
    )


def one_class_warning(config: DataConfig, labels, class_names: list[str]) -> list[str]:
    """A warning when every training label is the same class (nothing to tell apart)."""
    present = torch.unique(torch.as_tensor(labels))
    if present.numel() != 1:
        return []
    index = int(present[0])
    name = class_names[index] if 0 <= index < len(class_names) else str(index)
    return [
        f"{config.described}: every training sample has the class '{shorten(name, 40)}', so "
        "the model can only learn to predict that one class. Add samples of the other classes."
    ]


def _image_bundle(project, config, val_config, shape, task) -> DataBundle:
    if task != "classification":
        raise DataError(
            f"{config.described}: image folders give one class per image; set the task to "
            f"classification (it is {task})."
        )
    prep_shape = shape if shape and len(shape) == 3 else (3, 224, 224)
    prep = images.preprocessing_for(project, prep_shape)
    conflict = images.weights_shape_conflict(project, shape)
    if conflict:
        raise DataError(f"{config.described}: {conflict}")
    items, names = images.scan_folder(config, project.resolve_path(config.path))
    check_class_count(project, config, len(names))
    if val_config is not None:
        val_items, val_names = images.scan_folder(val_config, project.resolve_path(val_config.path))
        if val_names != names:
            extra = sorted(set(val_names) - set(names))
            absent = sorted(set(names) - set(val_names))
            parts = [
                f"{what} {summarise(shorten(n, 40) for n in found)}"
                for what, found in (("only in validation:", extra), ("missing there:", absent))
                if found
            ]
            raise DataError(
                f"{val_config.described}: the validation class folders differ from the "
                f"training ones ({'; '.join(parts)}). Give both the same class sub-folders."
            )
    else:
        labels = [label for _, label in items]
        tr, va = split_indices(len(items), config.val_fraction, config.seed, labels)
        items, val_items = [items[i] for i in tr], [items[i] for i in va]
    channels = prep["input_shape"][0]
    make = images.make_transform
    train = images.ImageFolderDataset(
        items, make(prep, True, config.flip, config.random_crop), channels
    )
    val = images.ImageFolderDataset(val_items, make(prep, False, False, False), channels)
    workers = config.num_workers if config.num_workers is not None else 2
    return DataBundle(
        train=train,
        val=val if val_items else None,
        sample_shape=tuple(prep["input_shape"]),
        task=task,
        num_classes=len(names),
        class_names=names,
        config=config,
        num_workers=workers,
        info={"preprocessing": prep},
        warnings=one_class_warning(config, [label for _, label in items], names),
    )


def check_samples(project, config: DataConfig, x: torch.Tensor, shape) -> None:
    """Samples must have the model's input shape."""
    got = tuple(x.shape[1:])
    if shape is not None and got != tuple(shape):
        raise DataError(
            f"{config.described}: samples have shape {list(got)}, but {_first_label(project)} "
            f"takes the project's input shape {list(shape)}. Change the input shape to "
            f"{list(got)} or use data of that shape."
        )
    if len(x) == 0:
        raise DataError(f"{config.described}: no samples.")


def check_labels(
    project,
    config: DataConfig,
    y: torch.Tensor,
    x: torch.Tensor,
    place: Callable[[int], str] = files.SourceNotes().place,
) -> torch.Tensor:
    """Labels must suit the task and the head; returns them in the engine's dtype/shape.

    ``place(i)`` names where sample ``i`` is in the file (``line N`` of a CSV, ``sample N``).
    """
    task = project.task
    head = _head_label(project)
    if task.kind == "regression":
        y = y.float()
        if y.dim() == 1:
            y = y.unsqueeze(1)
        if tuple(y.shape[1:]) != (task.num_outputs,):
            raise DataError(
                f"{config.described}: targets have shape {list(y.shape[1:])} per sample, but "
                f"{head} predicts {task.num_outputs} value(s). Match the regression outputs."
            )
        return y
    if y.is_floating_point():
        if not torch.equal(y, y.round()):
            raise DataError(f"{config.described}: labels must be whole class numbers.")
        y = y.long()
    want = (x.shape[1],) if task.kind == "token_classification" else ()
    if tuple(y.shape[1:]) != want:
        kind = "one label per token" if want else "one label per sample"
        raise DataError(
            f"{config.described}: labels have shape {list(y.shape[1:])} per sample; the task "
            f"'{task.kind}' needs {kind} ({list(want)})."
        )
    bad = (y < 0) | (y >= task.num_classes)
    if task.kind == "token_classification":
        bad &= y != text.IGNORE_INDEX  # padding and later sub-tokens (text sources)
    if bool(bad.any()):
        index = int(bad.flatten().nonzero()[0])
        value = int(y.flatten()[index])
        raise DataError(
            f"{config.described}: label {value} ({place(index // max(1, y[0].numel()))}) is out "
            f"of range for {head} with {task.num_classes} classes; labels must be 0.."
            f"{task.num_classes - 1}. Raise the class count or fix the labels."
        )
    return y


def check_class_count(project, config: DataConfig, count: int) -> None:
    """The data's class count must equal the task's/head's."""
    if project.task.kind != "regression" and count != project.task.num_classes:
        raise DataError(
            f"{config.described} has {count} classes, but {_head_label(project)} and the task "
            f"have {project.task.num_classes}. Set the task's and the head's classes to {count}."
        )
