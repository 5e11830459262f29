"""``ftstudio train PROJECT``: train headless with a terminal progress line."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from ftstudio.core.text import printable
from ftstudio.core.training.callbacks import Callback


def add_parser(sub) -> None:
    p = sub.add_parser("train", help="train a project headless (also under torchrun)")
    p.add_argument("project", help=".ftproj file")
    p.add_argument("--epochs", type=int, help="override training.epochs")
    p.add_argument("--batch-size", type=int, help="override training.batch_size")
    p.add_argument("--device", help="auto (default), cpu, cuda, cuda:N or mps")
    p.add_argument("--out", help="run folder (default: runs/NAME-TIME beside the project)")
    p.add_argument("--resume", metavar="CKPT", help="continue from a last.pt/best.pt checkpoint")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the run already in the --out folder (its metrics, summary, checkpoints)",
    )
    p.add_argument(
        "--ignore-memory-limit",
        action="store_true",
        help="train even when the memory estimate is over the device's free memory",
    )
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.set_defaults(run=run)


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


def run(args) -> int:
    from ftstudio.core import project as project_io
    from ftstudio.core.errors import TrainingError
    from ftstudio.core.training import train_project

    for flag in ("epochs", "batch_size"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            raise TrainingError(f"--{flag.replace('_', '-')} must be at least 1, got {value}.")
    project = project_io.load(args.project)
    overrides = {"epochs": args.epochs, "batch_size": args.batch_size, "device": args.device}
    batch_size = args.batch_size or project.training.get("batch_size", 64)
    is_main = int(os.environ.get("RANK", "0")) == 0  # under torchrun only rank 0 reports
    printer = ProgressPrinter(batch_size, enabled=not args.quiet and is_main, warn=is_main)
    run_dir = args.out
    if run_dir is None and args.resume:
        from pathlib import Path

        ckpt = Path(args.resume).resolve()
        run_dir = ckpt.parent.parent if ckpt.parent.name == "checkpoints" else ckpt.parent
    result = train_project(
        project,
        overrides,
        callbacks=[printer],
        run_dir=run_dir,
        resume=args.resume,
        overwrite=args.overwrite,
        ignore_memory_limit=args.ignore_memory_limit,
    )
    summary = result.summary
    if is_main:
        final = summary["final"]
        shown = ", ".join(
            f"{k} {final[k]:.4f}"
            for k in ("val_loss", "val_accuracy", "val_mae", "train_loss")
            if final.get(k) is not None
        )
        print(f"{summary['status']} after {summary['epochs_completed']} epochs: {shown}")
        if summary.get("run_dir"):
            print(f"run folder: {printable(str(summary['run_dir']))}")
    return 0
