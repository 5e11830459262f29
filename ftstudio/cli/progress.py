"""The terminal progress line of ``ftstudio train`` (a training callback, so it imports torch:
the train command loads it only when it runs)."""

from __future__ import annotations

import sys
import time
from typing import Any

from ftstudio.core.text import printable
from ftstudio.core.training.callbacks import Callback


class ProgressPrinter(Callback):
    """Prints epoch, step, loss, samples/s and ETA on one terminal line."""

    def __init__(self, batch_size: int, stream=None, enabled: bool = True, warn: bool = True):
        self.batch_size = batch_size
        stream = stream or sys.stderr
        self.stream, self.enabled, self.warn = stream, enabled, warn
        self.tty = stream.isatty()
        self.loss = float("nan")
        self.last_print = 0.0

    def on_train_start(self, info: dict[str, Any]) -> None:
        self.info = info
        self.total = info["batches_per_epoch"] * (info["epochs"] - info["start_epoch"])
        self.done = 0
        self.t0 = time.perf_counter()
        self.samples = 0
        if self.warn:  # data warnings show even with --quiet
            for warning in info.get("warnings", ()):
                print(f"warning: {printable(warning)}", file=self.stream)
            for note in info.get("notes", ()):  # what this run does differently
                print(f"note: {printable(note)}", file=self.stream)
        if self.enabled:
            print(
                f"Training on {info['device']} (world size {info['world_size']}), "
                f"{info['epochs']} epochs, run folder {printable(str(info['run_dir']))}",
                file=self.stream,
            )

    def on_step(self, step: int, loss: float) -> None:
        self.loss = loss

    def on_batch_end(self, epoch: int, batch: int, step: int) -> None:
        self.done += 1
        now = time.perf_counter()
        if not self.enabled or now - self.last_print < (0.2 if self.tty else 5.0):
            return
        self.last_print = now
        rate = self.done / max(now - self.t0, 1e-9)
        eta = (self.total - self.done) / max(rate, 1e-9)
        width = 20
        filled = int(width * self.done / max(1, self.total))
        bar = "#" * filled + "-" * (width - filled)
        loss = "-" if self.loss != self.loss else f"{self.loss:.4f}"
        line = (
            f"[{bar}] epoch {epoch + 1}/{self.info['epochs']} step {step} "
            f"loss {loss} {rate * self.batch_size:.0f} samples/s ETA {eta:.0f}s"
        )
        print(("\r" + line) if self.tty else line, end="" if self.tty else "\n", file=self.stream)

    def on_epoch_end(self, metrics: dict[str, Any]) -> None:
        if not self.enabled:
            return
        parts = [f"epoch {metrics['epoch']}"]
        for key in ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "val_mae"):
            if metrics.get(key) is not None:
                parts.append(f"{key} {metrics[key]:.4f}")
        parts.append(f"{metrics['samples_per_s']:.0f} samples/s")
        print(("\r" if self.tty else "") + ", ".join(parts), file=self.stream)
