"""The training loop as a plain function: :func:`fit`.

The hot path has no host sync per step: loss, accuracy and a NaN/Inf marker are accumulated
on the device and read every ``log_every`` steps and at the end of each epoch. Checkpoints,
the epoch-end row and the summary are in :mod:`ftstudio.core.training.run_state`.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ftstudio.core.data import DataBundle
from ftstudio.core.data.batches import make_loader
from ftstudio.core.errors import TrainingError
from ftstudio.core.failures import failure_message
from ftstudio.core.training.callbacks import Callback, CallbackList, TrainControl
from ftstudio.core.training.config import TrainConfig
from ftstudio.core.training.device import (
    autocast_factory,
    dist_info,
    reset_peak_memory,
    resolve_device,
)
from ftstudio.core.training.metrics import MetricsWriter, batch_stats, make_loss
from ftstudio.core.training.optim import is_constant, make_optimizer, make_scheduler
from ftstudio.core.training.run_state import RunState, check_monitor
from ftstudio.core.training.sampler import ResumableSampler
from ftstudio.core.training.tally import Tally


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def fit(
    model: nn.Module,
    data: DataBundle,
    config: TrainConfig,
    callbacks: Iterable[Callback] = (),
    control: TrainControl | None = None,
    run_dir: str | Path | None = None,
    resume: str | Path | None = None,
    param_groups: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Train ``model`` on ``data`` as ``config`` says; return the run summary.

    Parameters
    ----------
    model : nn.Module
        The built model (frozen parameters already have ``requires_grad=False``).
    data : DataBundle
        Train/validation datasets from :func:`ftstudio.core.data.load_data`.
    config : TrainConfig
        Settings from :func:`~ftstudio.core.training.config.parse_training_config`.
    callbacks : iterable of Callback
        Receive progress; every exception is passed to ``on_error`` and then raised.
    control : TrainControl, optional
        Stop / pause from another thread; checked before every batch.
    run_dir : path, optional
        Where ``metrics.csv``, ``summary.json`` and ``checkpoints/{last,best}.pt`` go
        (nothing is written when None, or on ranks other than 0 under torchrun).
    resume : path, optional
        A ``last.pt``/``best.pt`` checkpoint to continue from exactly.
    param_groups : list of dict, optional
        Optimizer groups (default: one group of all trainable parameters).

    Returns
    -------
    dict
        The summary also written to ``summary.json``: status, epochs, steps, final and best
        metrics, run folder and checkpoint paths.
    """
    cb = CallbackList(callbacks)
    try:
        return _Run(model, data, config, cb, control or TrainControl(), run_dir, param_groups).run(
            resume
        )
    except torch.OutOfMemoryError as exc:
        smaller = max(1, config.batch_size // 2)
        error = TrainingError(
            f"Out of GPU memory at batch size {config.batch_size}. Set training.batch_size to "
            f"{smaller} (or lower), turn on amp (bf16/fp16), or freeze more blocks."
        )
        cb.on_error(str(error))
        raise error from exc
    except BaseException as exc:
        cb.on_error(failure_message(exc, "Training"))
        raise


class _Run(RunState):
    """One training run: setup and the batch loop; bookkeeping comes from :class:`RunState`."""

    def __init__(self, model, data, config, cb, control, run_dir, param_groups):
        self.config, self.data, self.cb, self.control = config, data, cb, control
        self.dist = dist_info()
        self.device = resolve_device(config.device, self.dist.local_rank)
        self.run_dir = Path(run_dir) if run_dir is not None and self.dist.is_main else None
        seed_everything(config.seed)
        self.model = model.to(self.device)
        if config.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        if self.device.type == "cuda":
            torch.backends.cudnn.benchmark = any(
                isinstance(m, nn.Conv2d) for m in self.model.modules()
            )
        if param_groups is None:
            param_groups = [{"params": [p for p in self.model.parameters() if p.requires_grad]}]
        groups = [g for g in param_groups if g["params"]]
        self.optimizer = make_optimizer(groups, config)
        self.sampler = ResumableSampler(
            data.train, self.dist.rank, self.dist.world, config.seed, shuffle=True
        )
        pin = self.device.type == "cuda"
        workers = data.num_workers
        # loaders draw worker seeds from their own generators, never from the global RNG,
        # so the global RNG (dropout...) is the same whether or not a run was resumed
        self.loader_rng = torch.Generator()
        self.loader = make_loader(
            data.train,
            config.batch_size,
            self.sampler,
            num_workers=workers,
            pin_memory=pin,
            persistent_workers=workers > 0,
            generator=self.loader_rng,
        )
        self.val_loader = (
            make_loader(
                data.val,
                config.batch_size,
                num_workers=workers,
                pin_memory=pin,
                generator=torch.Generator().manual_seed(config.seed),
            )
            if data.val is not None and len(data.val) > 0
            else None
        )
        self.batches_per_epoch = math.ceil(len(self.sampler) / config.batch_size)
        self.steps_per_epoch = math.ceil(self.batches_per_epoch / config.grad_accumulation)
        self.scheduler = make_scheduler(self.optimizer, config, self.steps_per_epoch)
        self.scaler = torch.amp.GradScaler(
            "cuda", enabled=config.amp == "fp16" and self.device.type == "cuda"
        )
        self.scaling = self.scaler.is_enabled()
        self.constant_lr = is_constant(config, self.steps_per_epoch)
        self.trainable = [p for g in self.optimizer.param_groups for p in g["params"]]
        self.autocast = autocast_factory(self.device, config.amp)
        self.loss_fn = make_loss(data.task, config.label_smoothing)
        self.net = self.model
        if self.dist.active:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.net = nn.parallel.DistributedDataParallel(self.model, device_ids=ids)
        if config.compile:
            self.net = torch.compile(self.net)
        self.monitor = check_monitor(config.monitor, data.task, self.val_loader is not None)
        self.epoch = self.batch = self.step = self.bad_epochs = 0
        self.best: float | None = None
        self.last_row: dict[str, Any] = {}
        self.notes: list[str] = []
        self.resumed: dict[str, Any] | None = None
        self.writer = MetricsWriter(self.run_dir / "metrics.csv" if self.run_dir else None)
        self.ckpt_dir = self.run_dir / "checkpoints" if self.run_dir else None

    # ------------------------------------------------------------ the loop

    def run(self, resume: str | Path | None) -> dict[str, Any]:
        if resume is not None:
            self.restore(resume)
        start = time.perf_counter()
        self.cb.on_train_start(
            {
                "epochs": self.config.epochs,
                "start_epoch": self.epoch,
                "steps_per_epoch": self.steps_per_epoch,
                "batches_per_epoch": len(self.loader) + self.sampler.skip,
                "device": str(self.device),
                # the schedules only scale it down: the top of the learning-rate curve
                "peak_lr": float(self.optimizer.param_groups[0].get("initial_lr", 0.0)),
                "run_dir": str(self.run_dir) if self.run_dir else None,
                "world_size": self.dist.world,
                "warnings": list(getattr(self.data, "warnings", [])),
                "notes": list(self.notes),
            }
        )
        status = "finished"
        while self.epoch < self.config.epochs:
            status = self.run_epoch()
            if status != "running":
                break
        else:
            status = "finished"
        if status == "running":
            status = "finished"
        return self.finish(status, time.perf_counter() - start)

    def run_epoch(self) -> str:
        cfg, device, accum = self.config, self.device, self.config.grad_accumulation
        if self.control.stop_requested:
            return self.stop(None)
        self.sampler.set_epoch(self.epoch)
        self.loader_rng.manual_seed(cfg.seed * 100003 + self.epoch)
        self.sampler.skip = self.batch * cfg.batch_size
        self.cb.on_epoch_start(self.epoch)
        reset_peak_memory(device)
        self.net.train()
        tally = Tally(device)
        task, control, on_batch_end = self.data.task, self.control, self.cb.on_batch_end
        tic = time.perf_counter()
        n_batches = self.batch + len(self.loader)
        for batch, (x, y) in enumerate(self.loader, start=self.batch):
            control.wait_if_paused()
            if control.stop_requested:
                return self.stop(tally)
            x = x.to(device, non_blocking=True)
            y = y.to(device, non_blocking=True)
            if cfg.channels_last and x.dim() == 4:
                x = x.contiguous(memory_format=torch.channels_last)
            with self.autocast():
                out = self.net(x)
                loss = self.loss_fn(out, y)
            scaled = loss / accum if accum > 1 else loss
            (self.scaler.scale(scaled) if self.scaling else scaled).backward()
            tally.add(loss.detach(), *batch_stats(task, out, y), len(x), self.step + 1)
            if (batch + 1) % accum == 0 or batch + 1 == n_batches:
                self.optimizer_step()
                self.batch = batch + 1
                if self.step % cfg.log_every == 0:
                    mean = self.fold(tally)
                    self.cb.on_step(self.step, mean)
                    lr = self.optimizer.param_groups[0]["lr"]
                    row = {"kind": "step", "epoch": self.epoch, "step": self.step,
                           "train_loss": mean, "lr": lr}  # fmt: skip
                    self.writer.write(row)
                    self.cb.on_log(row)
            on_batch_end(self.epoch, batch, self.step)
        self.fold(tally)
        elapsed = time.perf_counter() - tic
        return self.end_epoch(
            tally.loss_sum, tally.stat_sum, tally.batches, tally.count, tally.samples, elapsed
        )

    def optimizer_step(self) -> None:
        if self.config.grad_clip > 0:
            if self.scaling:
                self.scaler.unscale_(self.optimizer)
            nn.utils.clip_grad_norm_(self.trainable, self.config.grad_clip)
        if self.scaling:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        if self.constant_lr:  # keep the scheduler's position; the lr cannot change
            self.scheduler.last_epoch += 1
            self.scheduler._step_count += 1
        else:
            self.scheduler.step()
        self.step += 1

    def fold(self, tally: Tally) -> float:
        """Sum the tally's window into its epoch and stop on a NaN/Inf loss; the mean loss."""
        mean, bad = tally.fold()
        if bad is not None:
            raise TrainingError(
                f"The loss became NaN or infinite at step {bad} (epoch {self.epoch + 1}); "
                f"training stopped and {self.kept_checkpoint()}. Lower the learning rate, turn "
                "on gradient clipping (training.grad_clip), or check the data for NaN values."
            )
        return mean

    def stop(self, tally: Tally | None) -> str:
        if tally is not None:
            self.fold(tally)
        self.optimizer.zero_grad(set_to_none=True)  # drop a partial accumulation window
        self.sync_buffers()
        self.save("last")
        return "stopped"
