"""A run's events as a few messages, for a window that trains on a thread or in a process.

:class:`RelayCallback` turns the engine's hooks into ``send(kind, *args)`` calls, one kind per
signal of the window's runner (:data:`MESSAGE_KINDS`). Loss points are kept and sent in
batches with the progress, at most every :data:`SEND_INTERVAL_S`: a message per point would
be a queued call per point on the GUI thread. :func:`run_relayed` is the whole job: the
job's blocks files, then :func:`train_project`, every failure sent as one ``error`` message.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftstudio.core.blocks import custom
from ftstudio.core.blocks.custom_errors import CustomBlockError
from ftstudio.core.errors import FTStudioError
from ftstudio.core.failures import failure_message
from ftstudio.core.project_spec import Project
from ftstudio.core.training.callbacks import Callback, TrainControl
from ftstudio.core.training.run import train_project

log = logging.getLogger(__name__)
# at most 2 progress messages a second, each with the points since: the window shows the
# progress once a second (each message wakes two of its threads, and each waking takes a core
# from the run)
SEND_INTERVAL_S = 0.5
MESSAGE_KINDS = ("started", "progress", "steps", "epoch", "checkpoint", "error", "finished")
LAST_KINDS = ("error", "finished")  # a run sends exactly one of these, last


@dataclass
class TrainingJob:
    """Everything one run needs, picklable: the project (a copy) and the blocks files its
    custom blocks come from, as ``(path, sha256)`` of the code the user loaded."""

    project: Project
    overrides: dict[str, Any] = field(default_factory=dict)
    run_dir: str | None = None
    resume: str | None = None
    ignore_memory_limit: bool = False
    blocks_files: list[tuple[str, str]] = field(default_factory=list)
    environ: dict[str, str] | None = None  # a child process's environment, set at its start


def training_job(
    project: Project,
    overrides: dict[str, Any] | None = None,
    run_dir: str | Path | None = None,
    resume: str | Path | None = None,
    ignore_memory_limit: bool = False,
) -> TrainingJob:
    """A job for ``project`` as it is now (the user keeps editing the open document)."""
    files: list[tuple[str, str]] = []
    for spec in project.blocks:
        record = custom.file_of(spec.type)
        if record is not None and (str(record.path), record.sha256) not in files:
            files.append((str(record.path), record.sha256))
    return TrainingJob(
        project=project.copy(),
        overrides=dict(overrides or {}),
        run_dir=None if run_dir is None else str(run_dir),
        resume=None if resume is None else str(resume),
        ignore_memory_limit=ignore_memory_limit,
        blocks_files=files,
    )


class RelayCallback(Callback):
    """The engine's hooks as ``send(kind, *args)`` messages; see the module docstring."""

    def __init__(self, send: Callable[..., None]):
        self.send = send
        self.errored = False
        self._last_send = 0.0
        self._points: list[tuple[int, float, float]] = []

    def on_train_start(self, info: dict[str, Any]) -> None:
        self.send("started", dict(info))

    def on_batch_end(self, epoch: int, batch: int, step: int) -> None:
        now = time.monotonic()
        if now - self._last_send >= SEND_INTERVAL_S:
            self._last_send = now
            self._send_points()
            self.send("progress", epoch, batch, step)

    def on_log(self, row: dict[str, Any]) -> None:
        self._points.append((row["step"], float(row["train_loss"]), float(row["lr"])))

    def _send_points(self) -> None:
        if self._points:
            points, self._points = self._points, []
            self.send("steps", points)

    def on_epoch_end(self, metrics: dict[str, Any]) -> None:
        self._send_points()
        self.send("progress", metrics["epoch"] - 1, -1, metrics["step"])  # epoch complete
        self.send("epoch", dict(metrics))

    def on_checkpoint(self, path: str, kind: str) -> None:
        self.send("checkpoint", str(path), kind)

    def on_error(self, message: str) -> None:
        self._send_points()
        # an empty or bare type-name message waits for the fuller one run_relayed sends
        if not message.strip() or message.strip().isidentifier():
            return
        if not self.errored:
            self.errored = True
            self.send("error", message)

    def on_train_end(self, summary: dict[str, Any]) -> None:
        self._send_points()
        self.send("finished", dict(summary))


def load_job_blocks(files: list[tuple[str, str]]) -> None:
    """Load each blocks file of a job (already loaded: kept), refusing changed code."""
    for path, sha in files:
        record = custom.loaded(path) or custom.load_blocks_file(path)
        if record.sha256 != sha:
            raise CustomBlockError(
                f"{path} changed on disk since FT Studio loaded it, so training would run "
                "other code than the window shows. Reload it (File > Reload custom blocks) "
                "and train again."
            )


def run_relayed(job: TrainingJob, relay: RelayCallback, control: TrainControl) -> None:
    """Run ``job``; its failure, whatever it is, ends as one ``error`` message, never raised."""
    try:
        load_job_blocks(job.blocks_files)
        train_project(
            job.project,
            overrides=job.overrides,
            callbacks=[relay],
            control=control,
            run_dir=job.run_dir,
            resume=job.resume,
            ignore_memory_limit=job.ignore_memory_limit,
        )
    except FTStudioError as exc:  # DataError, TrainingError, BuildError...: the user's to fix
        relay.on_error(failure_message(exc, "Training"))
    except BaseException as exc:  # noqa: BLE001 - a bug must reach the window, never crash it
        log.error("training failed:\n%s", traceback.format_exc())
        relay.on_error(failure_message(exc, "Training"))
