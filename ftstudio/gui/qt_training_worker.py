"""Training off the GUI thread: a QObject worker moved to a QThread, and its runner.

By default the thread drives a child process (:class:`TrainingProcess`) and relays its
messages to the worker's signals, so the window never shares a GIL or torch's thread pools
with the run, and a crash in the user's code cannot take the window down. With
``FTSTUDIO_TRAINING=thread`` the thread runs the engine itself (as before; a fallback and
the bench's other design). Either way the messages come from the same :class:`RelayCallback`,
and stop and pause go through a :class:`TrainControl` checked before every batch, not slots.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from ftstudio.core.failures import failure_message
from ftstudio.core.project import Project
from ftstudio.core.training import TrainControl
from ftstudio.core.training.process import TrainingProcess
from ftstudio.core.training.relay import (
    MESSAGE_KINDS,
    RelayCallback,
    TrainingJob,
    run_relayed,
    training_job,
)
from ftstudio.gui.qt_background import end_worker_thread

log = logging.getLogger(__name__)
BACKEND_ENV = "FTSTUDIO_TRAINING"  # "process" (default) or "thread"
STANDBY_ENV = "FTSTUDIO_TRAINING_STANDBY"  # "0": no warm process waiting for the next run
STANDBY_DELAY_MS = 3000  # after start-up or a run, before a standby process starts
SHUTDOWN_GRACE_MS = 20_000  # closing the window: how long a stopping child may take


def training_backend() -> str:
    return "thread" if os.environ.get(BACKEND_ENV, "").strip().lower() == "thread" else "process"


def standby_wanted() -> bool:
    return os.environ.get(STANDBY_ENV, "1").strip() != "0"


class QtTrainingWorker(QObject):
    """Runs one job in :meth:`run` (in a child process, or here); lives in the runner's
    QThread. Its signals are the :data:`MESSAGE_KINDS` of the relay."""

    started = Signal(object)  # info dict: epochs, steps_per_epoch, device, run_dir...
    progress = Signal(int, int, int)  # epoch (0-based), batch (-1: epoch done), step
    steps = Signal(object)  # [(optimizer step, mean training loss since the last, lr), ...]
    epoch = Signal(object)  # the epoch's metrics.csv row as a dict
    checkpoint = Signal(str, str)  # path, kind ("last" / "best")
    error = Signal(str)  # the core's message, written for the user
    finished = Signal(object)  # summary.json as a dict (finished, stopped or early-stopped)

    def __init__(self, job: TrainingJob, backend: str, process: TrainingProcess | None = None):
        super().__init__()
        self.job = job
        self.backend = backend  # "process" or "thread", resolved once by the runner
        self.process = process  # a standby already warm, or one started in run()
        if process is not None:
            self.control = process.control
        elif self.backend == "process":
            self.control = TrainControl.shared(multiprocessing.get_context("spawn"))
        else:
            self.control = TrainControl()

    def _send(self, kind: str, *args: Any) -> None:
        getattr(self, kind).emit(*args)

    @Slot()
    def run(self) -> None:
        try:
            if self.backend == "process":
                self._relay_process()
            else:
                run_relayed(self.job, RelayCallback(self._send), self.control)
        finally:
            end_worker_thread(self)

    def _relay_process(self) -> None:
        try:
            if self.process is None:
                self.process = TrainingProcess(control=self.control)
            self.process.start(self.job)
        except Exception as exc:  # noqa: BLE001 - no process: say so, never crash
            self.error.emit(f"Could not start the training process: {failure_message(exc)}")
            if self.process is not None:
                self.process.discard()
            return
        for kind, args in self.process.messages():
            self._send(kind, *args)
        message = self.process.exit_message()
        if message is not None:
            self.error.emit(message)

    def kill(self) -> None:
        """End a child process now (closing, and it did not stop in time)."""
        if self.process is not None:
            self.process.kill()


class QtTrainingRunner(QObject):
    """One training run at a time: owns the QThread and worker, forwards their signals.

    ``ended`` is always the last signal of a run (after ``finished`` or ``error``); by then
    the thread has stopped.
    """

    started = Signal(object)
    progress = Signal(int, int, int)
    steps = Signal(object)
    epoch = Signal(object)
    checkpoint = Signal(str, str)
    error = Signal(str)
    finished = Signal(object)
    ended = Signal()

    def __init__(self, parent: QObject | None = None, backend: str | None = None):
        super().__init__(parent)
        self.backend = backend  # None: FTSTUDIO_TRAINING at each start
        self.thread: QThread | None = None
        self.worker: QtTrainingWorker | None = None
        self.standby: TrainingProcess | None = None  # warm, for the next click on Train
        self._closing = False
        self.standby_timer = QTimer(self)
        self.standby_timer.setObjectName("ftstudio-training-standby")
        self.standby_timer.setSingleShot(True)
        self.standby_timer.setInterval(STANDBY_DELAY_MS)
        self.standby_timer.timeout.connect(self.prepare_standby)

    def schedule_standby(self) -> None:
        """Start a standby process soon (the window calls this once it is up)."""
        if standby_wanted() and (self.backend or training_backend()) == "process":
            self.standby_timer.start()

    @Slot()
    def prepare_standby(self) -> None:
        """A child process that warms up now and runs the next job at once."""
        if self.running or (self.standby is not None and self.standby.running):
            return
        self.discard_standby()
        try:
            self.standby = TrainingProcess()
        except Exception:  # noqa: BLE001 - no standby: the click starts a process, as without
            log.warning("could not start a standby training process", exc_info=True)

    def discard_standby(self) -> None:
        self.standby_timer.stop()
        standby, self.standby = self.standby, None
        if standby is not None:
            standby.discard()

    def _take_standby(self) -> TrainingProcess | None:
        standby, self.standby = self.standby, None
        if standby is not None and not standby.running:
            standby.discard()  # it died waiting (killed by the system): start afresh
            return None
        return standby

    @property
    def running(self) -> bool:
        return self.thread is not None

    @property
    def paused(self) -> bool:
        return self.worker is not None and self.worker.control.paused

    def start(
        self,
        project: Project,
        overrides: dict[str, Any] | None = None,
        run_dir: str | Path | None = None,
        ignore_memory_limit: bool = False,
        resume: str | Path | None = None,
    ) -> None:
        if self.running:
            raise RuntimeError("a training run is already going")
        job = training_job(project, overrides, run_dir, resume, ignore_memory_limit)
        backend = self.backend or training_backend()
        self.standby_timer.stop()
        standby = self._take_standby() if backend == "process" else None
        worker = QtTrainingWorker(job, backend, standby)
        thread = QThread()
        thread.setObjectName("ftstudio-training")
        worker.moveToThread(thread)
        for name in MESSAGE_KINDS:
            getattr(worker, name).connect(getattr(self, name))  # queued: worker -> GUI thread
        thread.started.connect(worker.run)
        thread.finished.connect(self._thread_finished)
        self.thread, self.worker = thread, worker
        thread.start()

    def pause(self) -> None:
        if self.worker is not None:
            self.worker.control.pause()

    def resume(self) -> None:
        if self.worker is not None:
            self.worker.control.resume()

    def request_stop(self) -> None:
        """Ask the run to end before its next batch (it writes a ``last`` checkpoint)."""
        if self.worker is not None:
            self.worker.control.request_stop()

    @property
    def stop_requested(self) -> bool:
        return self.worker is not None and self.worker.control.stop_requested

    @property
    def can_end_now(self) -> bool:
        """Whether :meth:`end_now` can end the run mid-batch (a process can be killed)."""
        return self.worker is not None and self.worker.backend == "process"

    def end_now(self) -> None:
        """End the training process at once (a batch that never ends: a hung block)."""
        if self.worker is not None:
            self.worker.kill()

    @Slot()
    def _thread_finished(self) -> None:
        sender = self.sender()
        if self.thread is None or (sender is not None and sender is not self.thread):
            return  # already handled by shutdown()
        self.thread.wait()  # ``finished`` comes just before the thread really ends
        self.thread = self.worker = None
        self.ended.emit()
        if not self._closing:
            self.schedule_standby()  # the next run starts at once too

    def shutdown(self) -> None:
        """Stop a run and join its thread (the window is closing); safe to call twice.

        Waits for the current batch (or the data loading / validation pass under way); a
        child process that has not ended after ``SHUTDOWN_GRACE_MS`` is killed.
        """
        self._closing = True
        self.discard_standby()
        if self.thread is None:
            return
        self.request_stop()
        self.thread.quit()
        if not self.thread.wait(SHUTDOWN_GRACE_MS) and self.worker is not None:
            self.worker.kill()
        self.thread.wait()
        self._thread_finished()
