"""The terminal progress line of ``ftstudio train``: a tqdm bar driven by training callbacks.

It imports torch (through the callbacks) and tqdm, so the train command loads it only when it
runs; ``ftstudio --help`` never does. tqdm handles the terminal width, rate smoothing and
output that is not a terminal (a log file, a pipe: plain ASCII, at most one update per
``LOG_INTERVAL_S``).
"""

from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm

from ftstudio.core.text import printable
from ftstudio.core.training.callbacks import Callback

LOG_INTERVAL_S = 5.0  # progress updates written to a file or pipe, at most one per this
LOG_WIDTH = 100  # characters of a progress line that does not go to a terminal
EPOCH_KEYS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "val_mae")


class ProgressPrinter(Callback):
    """Epoch, batches, loss, samples/s and ETA on one line; a summary line per epoch."""

    def __init__(self, batch_size: int, stream=None, enabled: bool = True, warn: bool = True):
        self.batch_size = batch_size
        self.stream = stream or sys.stderr
        self.enabled, self.warn = enabled, warn
        self.tty = self.stream.isatty()
        self.bar: tqdm | None = None
        self.epochs = 0

    def on_train_start(self, info: dict[str, Any]) -> None:
        self.epochs = info["epochs"]
        if self.warn:  # data warnings show even with --quiet
            for warning in info.get("warnings", ()):
                print(f"warning: {printable(warning)}", file=self.stream)
            for note in info.get("notes", ()):  # what this run does differently
                print(f"note: {printable(note)}", file=self.stream)
        if not self.enabled:
            return
        print(
            f"Training on {info['device']} (world size {info['world_size']}), "
            f"{info['epochs']} epochs, run folder {printable(str(info['run_dir']))}",
            file=self.stream,
        )
        total = info["batches_per_epoch"] * (info["epochs"] - info["start_epoch"])
        self.bar = tqdm(
            total=total * self.batch_size,  # counted in samples: the rate reads samples/s
            desc=f"epoch {info['start_epoch'] + 1}/{self.epochs}",
            unit="sample",
            unit_scale=True,
            file=self.stream,
            dynamic_ncols=self.tty,
            ncols=None if self.tty else LOG_WIDTH,
            ascii=not self.tty,
            mininterval=0.2 if self.tty else LOG_INTERVAL_S,
            leave=False,
        )

    def on_epoch_start(self, epoch: int) -> None:
        if self.bar is not None:
            self.bar.set_description_str(f"epoch {epoch + 1}/{self.epochs}", refresh=False)

    def on_step(self, step: int, loss: float) -> None:
        if self.bar is not None:
            shown = "-" if loss != loss else f"{loss:.4f}"
            self.bar.set_postfix_str(f"loss {shown}", refresh=False)

    def on_batch_end(self, epoch: int, batch: int, step: int) -> None:
        if self.bar is not None:
            self.bar.update(self.batch_size)

    def on_epoch_end(self, metrics: dict[str, Any]) -> None:
        if not self.enabled:
            return
        parts = [f"epoch {metrics['epoch']}"]
        parts += [f"{k} {metrics[k]:.4f}" for k in EPOCH_KEYS if metrics.get(k) is not None]
        parts.append(f"{metrics['samples_per_s']:.0f} samples/s")
        line = ", ".join(parts)
        if self.bar is not None:
            self.bar.write(line, file=self.stream)  # above the bar, which stays last
        else:
            print(line, file=self.stream)

    def on_error(self, message: str) -> None:
        self.close()

    def on_train_end(self, summary: dict[str, Any]) -> None:
        self.close()

    def close(self) -> None:
        """Remove the bar (idempotent): the summary line that follows starts a clean line."""
        if self.bar is not None:
            bar, self.bar = self.bar, None
            bar.close()
