"""Project-level entry point :func:`train_project` (evaluation: :mod:`.evaluation`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ftstudio.core.builder import build_model, parameter_groups
from ftstudio.core.data import DataBundle, load_data
from ftstudio.core.errors import DataError, TrainingError
from ftstudio.core.failures import failure_message
from ftstudio.core.memory import OVERRIDE_HINT, memory_shortfall
from ftstudio.core.project import Project
from ftstudio.core.run_record import record_end, record_start
from ftstudio.core.shapes import ValidationReport, validate
from ftstudio.core.training import checkpoint as ckpt
from ftstudio.core.training.callbacks import Callback, TrainControl
from ftstudio.core.training.config import TrainConfig, parse_training_config
from ftstudio.core.training.device import (
    dist_info,
    init_distributed,
    launched_by_torchrun,
    resolve_device,
)
from ftstudio.core.training.loop import fit, seed_everything
from ftstudio.core.training.run_dir import is_main_process, new_run_dir, prepare_run_dir


@dataclass
class TrainResult:
    """What :func:`train_project` returns."""

    summary: dict[str, Any]
    model: nn.Module
    data: DataBundle
    config: TrainConfig


def default_run_dir(project: Project) -> Path:
    """Create a new folder ``runs/<project>-<date-time>[-n]`` next to the project file (or in
    the current folder); see :mod:`ftstudio.core.training.run_dir` for the rules."""
    base = project.path.parent if project.path is not None else Path.cwd()
    return new_run_dir(base / "runs", project.name)


def prepare(
    project: Project,
    overrides: dict[str, Any] | None = None,
    ignore_memory_limit: bool = False,
    standardizer: dict[str, Any] | None = None,
) -> tuple[TrainConfig, DataBundle, nn.Module]:
    """Parse the config, load and check the data, then build the model (in that order, so
    data problems are reported before any weights are loaded or steps are taken).

    Training that would not fit in the device's free memory is refused before anything big
    is allocated, unless ``ignore_memory_limit``. ``standardizer``: a resumed checkpoint's
    ``data.standardize`` statistics.
    """
    config = parse_training_config(project.training, overrides)
    device = resolve_device(config.device, dist_info().local_rank)
    if project.input.shape:  # known before the data: refuse before reading it
        check_memory(validate(project, config.batch_size), device, ignore_memory_limit)
    seed_everything(config.seed)
    data = load_data(project, standardizer=standardizer)
    shape = tuple(project.input.shape) if project.input.shape else data.sample_shape
    report = validate(project, config.batch_size, input_shape=shape)
    if report.issue is None and not project.input.shape:
        check_memory(report, device, ignore_memory_limit)
    if report.issue is not None:
        index = report.issue.index
        label = project.blocks[index].label if index >= 0 else "the stack"
        raise DataError(
            f"{data.config.described} gives samples {list(data.sample_shape)}, and block "
            f"{index + 1} '{label}' cannot take them: {report.issue.message}"
        )
    seed_everything(config.seed)
    model = build_model(project, input_shape=shape)
    return config, data, model


def check_memory(report: ValidationReport, device: torch.device, ignore: bool) -> None:
    """Refuse training whose memory estimate is over what ``device`` has free."""
    if ignore or not report.ok:
        return
    shortfall = memory_shortfall(report.memory, device)
    if shortfall is not None:
        raise TrainingError(f"{shortfall} {OVERRIDE_HINT}")


def train_project(
    project: Project,
    overrides: dict[str, Any] | None = None,
    callbacks: Iterable[Callback] = (),
    control: TrainControl | None = None,
    run_dir: str | Path | None = None,
    resume: str | Path | None = None,
    overwrite: bool = False,
    ignore_memory_limit: bool = False,
) -> TrainResult:
    """Train a project end to end: the function the GUI's Train button and the CLI call.

    Parameters
    ----------
    project : Project
        The project; its ``data`` and ``training`` sections configure the run.
    overrides : dict, optional
        Training settings that replace the project's (e.g. ``{"epochs": 3}``).
    callbacks : iterable of Callback
        Progress hooks; errors reach ``on_error`` before being raised.
    control : TrainControl, optional
        Stop / pause from another thread.
    run_dir : path, optional
        Run folder (default: a new ``runs/<name>-<time>`` beside the project). One that
        already holds files is refused unless ``resume`` continues its own run or
        ``overwrite`` is set (:mod:`ftstudio.core.training.run_dir`).
    resume : path, optional
        Checkpoint to continue from exactly.
    overwrite : bool
        Replace the run already in ``run_dir`` (its metrics, summary and checkpoints).
    ignore_memory_limit : bool
        Train even when the memory estimate is over the device's free memory.

    Under ``torchrun`` this joins the process group (Gloo on CPU, NCCL on GPU) and trains
    with DistributedDataParallel; only rank 0 writes files.
    """
    callbacks = list(callbacks)
    prepared = False  # run.json records a failure only in a folder this run may use
    try:
        if run_dir is not None and is_main_process():
            run_dir = prepare_run_dir(run_dir, resume, overwrite)
            prepared = resume is None  # a resume that cannot start leaves its run as it was
        saved = ckpt.saved_standardizer(resume) if resume is not None else None
        config, data, model = prepare(project, overrides, ignore_memory_limit, saved)
        if run_dir is None and is_main_process():
            run_dir = default_run_dir(project)
    except Exception as exc:
        for cb in callbacks:
            cb.on_error(failure_message(exc, "Training"))
        if prepared:
            record_end(run_dir, "failed", failure_message(exc, "Training"))
        raise
    if run_dir is not None and is_main_process():
        record_start(run_dir, project.name, project.path, config.epochs, config.monitor, resume)
    joined = False
    if launched_by_torchrun():
        joined = init_distributed(resolve_device(config.device))
    try:
        groups = parameter_groups(model, project, config.lr)
        for group in groups:
            group.pop("name", None)
        summary = fit(
            model,
            data,
            config,
            callbacks=callbacks,
            control=control,
            run_dir=run_dir,
            resume=resume,
            param_groups=groups,
        )
    except BaseException as exc:
        if run_dir is not None and is_main_process():
            state = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
            record_end(run_dir, state, failure_message(exc, "Training"))
        raise
    else:
        if run_dir is not None and is_main_process():
            record_end(run_dir, summary["status"])
    finally:
        if joined:
            torch.distributed.destroy_process_group()
    return TrainResult(summary, model, data, config)
