"""A run's bookkeeping outside the batch loop: checkpoint state and restore, the epoch-end
row (validation, best metric, early stopping) and the final summary.

:class:`RunState` is mixed into the loop's ``_Run``, which sets the attributes listed on it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from ftstudio.core.errors import TrainingError
from ftstudio.core.project import atomic_write_text
from ftstudio.core.training import checkpoint as ckpt
from ftstudio.core.training.device import peak_memory_mb
from ftstudio.core.training.metrics import evaluate

if TYPE_CHECKING:
    from torch.utils.data import DataLoader

    from ftstudio.core.data import DataBundle
    from ftstudio.core.training.callbacks import CallbackList
    from ftstudio.core.training.config import TrainConfig
    from ftstudio.core.training.device import DistInfo
    from ftstudio.core.training.metrics import MetricsWriter


def check_monitor(monitor: str, task: str, has_validation: bool) -> str:
    """The metric that picks ``best.pt`` and early stopping; refuses one the task never reports."""
    if not has_validation:
        return "train_loss"
    reported = ("val_loss", "val_mae" if task == "regression" else "val_accuracy")
    if monitor not in reported:
        raise TrainingError(
            f"training.monitor is '{monitor}', but a {task} run reports {' and '.join(reported)}. "
            f"Set training.monitor to one of those."
        )
    return monitor


class RunState:
    """Checkpoints, epoch end and summary of a run (a mixin; ``_Run.__init__`` sets these)."""

    config: TrainConfig
    data: DataBundle
    cb: CallbackList
    dist: DistInfo
    device: torch.device
    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LambdaLR
    scaler: torch.amp.GradScaler
    autocast: Callable[[], Any]
    val_loader: DataLoader | None
    monitor: str
    epoch: int
    batch: int
    step: int
    bad_epochs: int
    best: float | None
    last_row: dict[str, Any]
    writer: MetricsWriter
    run_dir: Path | None
    ckpt_dir: Path | None

    # ------------------------------------------------------------ checkpoints

    def state(self) -> dict[str, Any]:
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            "rng": ckpt.rng_state(),
            "epoch": self.epoch,
            "batch": self.batch,
            "step": self.step,
            "best": self.best,
            "bad_epochs": self.bad_epochs,
            "config": self.config.to_dict(),
        }

    def save(self, kind: str) -> str | None:
        if self.ckpt_dir is None:
            return None
        path = ckpt.save_checkpoint(self.ckpt_dir / f"{kind}.pt", self.state())
        self.cb.on_checkpoint(str(path), kind)
        return str(path)

    def restore(self, path: str | Path) -> None:
        state = ckpt.load_checkpoint(path)
        ckpt.load_model_state(self.model, state["model"], path)
        try:
            self.optimizer.load_state_dict(state["optimizer"])
        except (RuntimeError, ValueError, KeyError) as exc:
            raise TrainingError(
                f"The optimizer state in the checkpoint {path} does not fit this project's "
                f"trainable blocks ({str(exc).splitlines()[0]}); freezing or lr_scale changed "
                "since it was saved. Restore those settings, or train from the start."
            ) from None
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        ckpt.set_rng_state(state["rng"])
        self.epoch, self.batch, self.step = state["epoch"], state["batch"], state["step"]
        self.best, self.bad_epochs = state["best"], state["bad_epochs"]

    # ------------------------------------------------------------ epoch end and summary

    def sync_buffers(self) -> None:
        """Give every rank rank 0's buffers (BatchNorm statistics), as DDP does per forward."""
        if self.dist.active:
            for buffer in self.model.buffers():
                torch.distributed.broadcast(buffer, 0)

    def end_epoch(self, loss_sum, stat_sum, ran, count, samples, elapsed) -> str:
        self.sync_buffers()
        task = self.data.task
        metric = "train_mae" if task == "regression" else "train_accuracy"
        n_batches = max(1, ran)
        row: dict[str, Any] = {
            "kind": "epoch",
            "epoch": self.epoch + 1,
            "step": self.step,
            "train_loss": float(loss_sum) / n_batches,
            metric: float(stat_sum) / max(1, count),
            "lr": self.optimizer.param_groups[0]["lr"],
            "samples_per_s": samples * self.dist.world / max(elapsed, 1e-9),
            "peak_memory_mb": peak_memory_mb(self.device),
            "time_s": elapsed,
        }
        if self.val_loader is not None:
            val = evaluate(
                self.model,
                self.val_loader,
                task,
                self.data.num_classes,
                self.device,
                self.autocast,
                self.config.channels_last,
            )
            row["val_loss"] = val["loss"]
            row["val_mae" if task == "regression" else "val_accuracy"] = val.get(
                "mae", val.get("accuracy")
            )
        self.epoch += 1
        self.batch = 0
        value = row.get(self.monitor, row["train_loss"])
        higher = self.monitor == "val_accuracy"
        improved = math.isfinite(value) and (
            self.best is None or (value > self.best if higher else value < self.best)
        )
        if improved:
            self.best, self.bad_epochs = value, 0
        else:
            self.bad_epochs += 1
        row["checkpoint"] = self.save("last")
        if improved:
            self.save("best")
        self.last_row = row
        self.writer.write(row)
        self.cb.on_epoch_end(dict(row))
        patience = self.config.early_stopping_patience
        if patience and self.bad_epochs >= patience and self.epoch < self.config.epochs:
            return "early_stopped"
        return "running"

    def finish(self, status: str, elapsed: float) -> dict[str, Any]:
        self.writer.close()
        summary = {
            "status": status,
            "epochs_completed": self.epoch,
            "epochs": self.config.epochs,
            "steps": self.step,
            "monitor": self.monitor,
            "best": self.best,
            "final": {k: v for k, v in self.last_row.items() if k not in ("kind", "checkpoint")},
            "device": str(self.device),
            "world_size": self.dist.world,
            "time_s": elapsed,
            "run_dir": str(self.run_dir) if self.run_dir else None,
            "checkpoints": {
                kind: str(self.ckpt_dir / f"{kind}.pt")
                for kind in ("last", "best")
                if self.ckpt_dir is not None and (self.ckpt_dir / f"{kind}.pt").exists()
            },
        }
        if self.run_dir is not None:
            atomic_write_text(self.run_dir / "summary.json", json.dumps(summary, indent=2) + "\n")
        self.cb.on_train_end(summary)
        return summary
