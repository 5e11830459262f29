"""Training off the GUI thread: a QObject worker moved to a QThread, and its runner.

Like Orange's long tasks, the work is a plain function (:func:`train_project`) that receives
a small state object (:class:`TrainControl`: a ``threading.Event`` checked before every
batch) and callbacks; the callbacks only emit signals, which Qt queues to the GUI thread.
Nothing here touches a widget. A ``QThread`` slot cannot run while ``train_project`` blocks
the worker's event loop, so stop and pause go through the control object, not through slots.
"""

from __future__ import annotations

import logging
import time
import traceback
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from ftstudio.core.errors import FTStudioError
from ftstudio.core.failures import failure_message
from ftstudio.core.project import Project
from ftstudio.core.training import Callback, TrainControl, train_project
from ftstudio.gui.qt_background import end_worker_thread

log = logging.getLogger(__name__)
SEND_INTERVAL_S = 0.25  # at most 4 progress signals a second, each with the points since


class QtSignalCallback(Callback):
    """Adapts the core's callback hooks to the worker's signals (runs on the worker thread).

    Loss points are kept and sent in batches with the progress, at most every
    ``SEND_INTERVAL_S``: a signal per point would be a queued call per point on the GUI thread.
    """

    def __init__(self, worker: QtTrainingWorker):
        self.worker = worker
        self.errored = False
        self._last_send = 0.0
        self._points: list[tuple[int, float, float]] = []

    def on_train_start(self, info: dict[str, Any]) -> None:
        self.worker.started.emit(dict(info))

    def on_batch_end(self, epoch: int, batch: int, step: int) -> None:
        now = time.monotonic()
        if now - self._last_send >= SEND_INTERVAL_S:
            self._last_send = now
            self._send_points()
            self.worker.progress.emit(epoch, batch, step)

    def on_log(self, row: dict[str, Any]) -> None:
        self._points.append((row["step"], float(row["train_loss"]), float(row["lr"])))

    def _send_points(self) -> None:
        if self._points:
            self.worker.steps.emit(self._points)
            self._points = []

    def on_epoch_end(self, metrics: dict[str, Any]) -> None:
        self._send_points()
        self.worker.progress.emit(metrics["epoch"] - 1, -1, metrics["step"])  # epoch complete
        self.worker.epoch.emit(dict(metrics))

    def on_checkpoint(self, path: str, kind: str) -> None:
        self.worker.checkpoint.emit(path, kind)

    def on_error(self, message: str) -> None:
        self._send_points()
        # an empty or bare type-name message waits for the worker's fuller one
        if not message.strip() or message.strip().isidentifier():
            return
        if not self.errored:
            self.errored = True
            self.worker.error.emit(message)

    def on_train_end(self, summary: dict[str, Any]) -> None:
        self._send_points()
        self.worker.finished.emit(dict(summary))


class QtTrainingWorker(QObject):
    """Runs one :func:`train_project` call in :meth:`run`; lives in the runner's QThread."""

    started = Signal(object)  # info dict: epochs, steps_per_epoch, device, run_dir...
    progress = Signal(int, int, int)  # epoch (0-based), batch (-1: epoch done), step
    steps = Signal(object)  # [(optimizer step, mean training loss since the last, lr), ...]
    epoch = Signal(object)  # the epoch's metrics.csv row as a dict
    checkpoint = Signal(str, str)  # path, kind ("last" / "best")
    error = Signal(str)  # the core's message, written for the user
    finished = Signal(object)  # summary.json as a dict (finished, stopped or early-stopped)

    def __init__(
        self,
        project: Project,
        overrides: dict[str, Any] | None = None,
        run_dir: str | Path | None = None,
        ignore_memory_limit: bool = False,
        resume: str | Path | None = None,
    ):
        super().__init__()
        self.ignore_memory_limit = ignore_memory_limit
        self.resume = resume  # a last.pt to continue from (its run folder is run_dir)
        self.project = project.copy()  # the user keeps editing the open document
        self.overrides = dict(overrides or {})
        self.run_dir = run_dir
        self.control = TrainControl()

    @Slot()
    def run(self) -> None:
        callback = QtSignalCallback(self)
        try:
            train_project(
                self.project,
                overrides=self.overrides,
                callbacks=[callback],
                control=self.control,
                run_dir=self.run_dir,
                resume=self.resume,
                ignore_memory_limit=self.ignore_memory_limit,
            )
        except FTStudioError as exc:  # DataError, TrainingError, BuildError...: user's to fix
            callback.on_error(failure_message(exc, "Training"))
        except Exception as exc:  # noqa: BLE001 - a bug must reach the panel, never crash it
            log.error("training failed:\n%s", traceback.format_exc())
            callback.on_error(failure_message(exc, "Training"))
        finally:
            end_worker_thread(self)


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

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.thread: QThread | None = None
        self.worker: QtTrainingWorker | None = None

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
        worker = QtTrainingWorker(project, overrides, run_dir, ignore_memory_limit, resume)
        thread = QThread()
        thread.setObjectName("ftstudio-training")
        worker.moveToThread(thread)
        for name in ("started", "progress", "steps", "epoch", "checkpoint", "error", "finished"):
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

    @Slot()
    def _thread_finished(self) -> None:
        sender = self.sender()
        if self.thread is None or (sender is not None and sender is not self.thread):
            return  # already handled by shutdown()
        self.thread.wait()  # ``finished`` comes just before the thread really ends
        self.thread = self.worker = None
        self.ended.emit()

    def shutdown(self) -> None:
        """Stop a run and join its thread (the window is closing); safe to call twice.

        Waits for the current batch (or the data loading / validation pass under way).
        """
        if self.thread is None:
            return
        self.request_stop()
        self.thread.quit()
        self.thread.wait()
        self._thread_finished()
