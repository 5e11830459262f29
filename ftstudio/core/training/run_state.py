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
from ftstudio.core.finite import describe_nonfinite, nonfinite_tensors
from ftstudio.core.tempfiles import atomic_write_text
from ftstudio.core.training import checkpoint as ckpt
from ftstudio.core.training.device import peak_memory_mb
from ftstudio.core.training.metrics import evaluate
from ftstudio.core.training.resume import change_notes, config_changes

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
    steps_per_epoch: int
    batches_per_epoch: int
    notes: list[str]
    resumed: dict[str, Any] | None

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
            "last_row": dict(self.last_row),
            "config": self.config.to_dict(),
            "standardize": self.data.info.get("standardize"),  # data.standardize's mean/std
        }

    def check_weights_finite(self) -> None:
        """Refuse to go on (or to save) with NaN/Inf in any parameter or buffer."""
        bad = nonfinite_tensors(self.model.state_dict())
        if bad:
            raise TrainingError(
                f"{describe_nonfinite(bad)} of the model in epoch {self.epoch + 1} (BatchNorm "
                f"statistics count too); training stopped and {self.kept_checkpoint()}. Lower "
                "the learning rate, turn on gradient clipping (training.grad_clip), or check "
                "the data for NaN values."
            )

    def kept_checkpoint(self) -> str:
        """How the failure message names what is on disk (every checkpoint is finite)."""
        kept = self.ckpt_dir / "last.pt" if self.ckpt_dir else None
        if kept is not None and kept.exists():
            return f"the last good checkpoint {kept} is kept"
        return "no checkpoint was written"

    def save(self, kind: str) -> str | None:
        if self.ckpt_dir is None:
            return None
        self.check_weights_finite()
        path = ckpt.save_checkpoint(self.ckpt_dir / f"{kind}.pt", self.state())
        self.cb.on_checkpoint(str(path), kind)
        return str(path)

    def restore(self, path: str | Path) -> None:
        state = ckpt.load_checkpoint(path)
        ckpt.check_training_state(state, path)
        ckpt.check_position(state, path, self.config.epochs, self.batches_per_epoch)
        ckpt.load_model_state(self.model, state["model"], path)
        base_lrs = [group["initial_lr"] for group in self.optimizer.param_groups]
        if state.get("optimizer") is None:
            self.notes.append(
                f"The checkpoint {path} holds no optimizer state: the optimizer starts afresh "
                "(no momentum or Adam averages), so this is not an exact continuation."
            )
        else:
            try:
                self.optimizer.load_state_dict(state["optimizer"])
            except (RuntimeError, ValueError, KeyError, TypeError) as exc:
                raise TrainingError(
                    f"The optimizer state in the checkpoint {path} does not fit this project's "
                    f"trainable blocks ({str(exc).splitlines()[0]}); freezing or lr_scale "
                    "changed since it was saved. Restore those settings, or train from the start."
                ) from None
        try:
            if state["scaler"] or not self.scaler.is_enabled():
                self.scaler.load_state_dict(state["scaler"])
        except (RuntimeError, ValueError, KeyError, TypeError, AttributeError):
            raise ckpt.damaged(path, "its gradient-scaler state is unusable") from None
        ckpt.set_rng_state(state["rng"], path)
        self.epoch, self.batch, self.step = state["epoch"], state["batch"], state["step"]
        self.writer.keep_until(self.step)  # rows a killed run logged after this checkpoint
        self.best, self.bad_epochs = state["best"], state["bad_epochs"]
        self.last_row = dict(state.get("last_row") or self.previous_final(self.epoch))
        self.best = self.best_on_disk(path, self.best)
        if self.dist.active:  # only rank 0 sees the run folder; every rank must agree
            value = float("nan") if self.best is None else self.best
            shared = torch.tensor(value, dtype=torch.float64, device=self.device)
            torch.distributed.broadcast(shared, 0)
            self.best = None if math.isnan(float(shared)) else float(shared)
        saved = state.get("config") or {}
        changes = config_changes(saved, self.config)
        self.notes += change_notes(changes, saved, self.config, self.step, self.steps_per_epoch)
        self.follow_schedule(base_lrs)
        self.resumed = {
            "checkpoint": str(path),
            "epoch": self.epoch,
            "step": self.step,
            "changed": changes,
        }

    def previous_final(self, epoch: int) -> dict[str, Any]:
        """The final row of this folder's summary.json when it ended at ``epoch`` (for
        checkpoints written before they held their epoch's row)."""
        try:
            old = json.loads((self.run_dir / "summary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError):
            return {}
        final = old.get("final") if isinstance(old, dict) else None
        if isinstance(final, dict) and old.get("epochs_completed") == epoch:
            return final
        return {}

    def best_on_disk(self, resumed: str | Path, recorded: float | None) -> float | None:
        """The best value that ``best.pt`` in this run folder really holds.

        ``best.pt`` is written before the ``last.pt`` that records it, so after a kill it may
        be one epoch ahead (that epoch runs again and rewrites it), never behind; a folder
        written otherwise, or one without ``best.pt``, gets the value that is on disk.
        """
        best_path = self.ckpt_dir / "best.pt" if self.ckpt_dir else None
        if best_path is None:
            return recorded
        if not best_path.is_file():
            return None
        try:
            if best_path.resolve() == Path(resumed).resolve():
                return recorded
            saved = ckpt.load_checkpoint(best_path)
        except TrainingError:
            return None  # unreadable: the next improvement replaces it
        value = saved.get("best")
        if not isinstance(saved.get("epoch"), int) or not isinstance(value, (int, float)):
            return None
        if saved["epoch"] > self.epoch or not math.isfinite(value):
            return recorded
        if value != recorded:
            self.notes.append(
                f"best.pt in {self.ckpt_dir} holds {self.monitor} {value:.6g} (epoch "
                f"{saved['epoch']}), not the {recorded} the checkpoint recorded; the run "
                "continues from what is on disk."
            )
        return float(value)

    def follow_schedule(self, base_lrs: list[float]) -> None:
        """Put the schedule at the restored step, on the current settings' curve: each group's
        base lr and its lr there. The scheduler's own saved state is not loaded: its position
        is the step, and the rest follows from the settings (a no-op when nothing changed;
        after a changed total or lr the run joins the new curve, as the resume note says)."""
        factor = self.scheduler.lr_lambdas[0](self.step)
        self.scheduler.last_epoch, self.scheduler._step_count = self.step, self.step + 1
        self.scheduler.base_lrs = list(base_lrs)
        for group, base in zip(self.optimizer.param_groups, base_lrs, strict=True):
            group["initial_lr"] = base
            group["lr"] = base * factor
        self.scheduler._last_lr = [group["lr"] for group in self.optimizer.param_groups]

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
        self.check_weights_finite()  # before best is updated or anything is saved
        if improved:
            self.best, self.bad_epochs = value, 0
        else:
            self.bad_epochs += 1
        self.last_row = {k: v for k, v in row.items() if k != "kind"}
        self.writer.write(row)  # before the checkpoint: a resume drops rows past its step
        if improved:  # best.pt first: a last.pt on disk never records a best that is not there
            self.save("best")
        row["checkpoint"] = self.save("last")
        row["best"] = improved  # the monitor improved: the GUI marks the best epoch
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
            "resumed": self.resumed,
            "notes": list(self.notes),
            "device": str(self.device),
            "world_size": self.dist.world,
            "time_s": elapsed,
            "run_dir": str(self.run_dir) if self.run_dir else None,
            "standardize": self.data.info.get("standardize"),
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
