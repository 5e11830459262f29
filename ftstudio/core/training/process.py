"""A training run in a child process: the window's runs, out of its GIL and its crashes.

:class:`TrainingProcess` spawns a fresh Python (``spawn``: no copy of the window's threads or
Qt state, the same on every OS) that runs :func:`run_relayed` and sends the run's messages
``(kind, args)`` over a pipe. Stop and pause are process-shared events in a
:class:`TrainControl`, checked before every batch as on a thread. A child that ends without
its last message (killed, out of memory, a crash in native code) is reported by
:meth:`TrainingProcess.exit_message`; the run folder keeps the checkpoints written so far.

Why a process: a run on a thread of the window's process shares its GIL, and once the GUI
thread has used torch, two OpenMP thread pools share the cores and libgomp stops spinning
between operations (a small model trained at half speed). ``docs/design.md`` has the figures.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import multiprocessing.util  # its exit handler first: ours (below) then runs before it
import os
import signal
import weakref
from collections.abc import Iterator
from typing import Any

from ftstudio.core.failures import MEMORY_HINT
from ftstudio.core.training.allocator import keep_freed_memory
from ftstudio.core.training.callbacks import TrainControl
from ftstudio.core.training.relay import LAST_KINDS, RelayCallback, TrainingJob, run_relayed

log = logging.getLogger(__name__)
NICENESS = 5  # below the window, so drawing never waits for the run's threads
POLL_S = 0.25  # how often the reader checks that the child still lives, when it is quiet
CHECKPOINTS_KEPT = (
    "The run folder keeps the checkpoints written so far; Resume continues from them."
)


class TrainingProcess:
    """One run in a child process; :meth:`messages` yields its messages until it ends.

    The child starts at once and warms up (imports torch and the engine, seconds) while it
    waits for its job: made ahead of the click (a standby), :meth:`start` then runs at once.
    """

    def __init__(self, *, control: TrainControl | None = None):
        context = multiprocessing.get_context("spawn")
        self.control = control or TrainControl.shared(context)
        reader, writer = context.Pipe(duplex=False)
        job_reader, self._job_writer = context.Pipe(duplex=False)
        self.warm = context.Event()  # set by the child once its imports are done
        # not a daemon: a daemon may not start data-loader workers
        self.process = context.Process(
            target=child_main,
            args=(job_reader, writer, self.control, self.warm),
            name="ftstudio-training",
        )
        self.process.start()
        writer.close()  # the child holds the only writer: its end is our EOF
        job_reader.close()
        self._reader = reader
        _LIVE.add(self)
        self.job_sent = False
        self.ended_with_message = False
        self.killed = False  # by us (kill): not a crash

    def start(self, job: TrainingJob) -> None:
        """Hand the child its job (once)."""
        job.environ = dict(os.environ)  # as it is now, not when the child was started
        self._job_writer.send(job)
        self._job_writer.close()
        self.job_sent = True

    def discard(self) -> None:
        """End a child that never got a job (a standby no longer wanted)."""
        if not self.job_sent:
            self._job_writer.close()
            self._reader.close()
            self.kill()
            self.process.join()

    def messages(self) -> Iterator[tuple[str, tuple[Any, ...]]]:
        """Each ``(kind, args)`` the child sends, until it has sent its last or is gone.

        Left early (the generator closed), the reading end closes: the child's next message
        fails, and it stops its run before the next batch."""
        complete = False
        try:
            while not self.ended_with_message:
                if not self._reader.poll(POLL_S):
                    if self.process.is_alive():
                        continue
                    if not self._reader.poll(0):
                        break
                kind, args = self._reader.recv()
                self.ended_with_message = kind in LAST_KINDS
                yield kind, args
            complete = True
        except (EOFError, OSError):
            complete = True  # the child closed its end: gone
        finally:
            self._reader.close()
            if complete:
                self.process.join()

    def kill(self) -> None:
        """End the child now (End now, or closing and it did not stop in time)."""
        if self.process.is_alive():
            self.killed = True
            self.process.kill()

    @property
    def running(self) -> bool:
        return self.process.is_alive()

    def exit_message(self) -> str | None:
        """What to tell the user when the child ended without its last message; else None."""
        if self.ended_with_message:
            return None
        if self.killed:
            return (
                "The training process was ended at once, in the middle of a batch. "
                f"{CHECKPOINTS_KEPT}"
            )
        return describe_exit(self.process.exitcode)


_LIVE: weakref.WeakSet[TrainingProcess] = weakref.WeakSet()
EXIT_GRACE_S = 20.0


@atexit.register  # before multiprocessing's own, which would wait for them forever
def _end_children_at_exit() -> None:
    """Python is exiting without the window having ended its runs: a standby is discarded,
    a run is asked to stop (it writes its last checkpoint) and killed after a grace period."""
    for run in list(_LIVE):
        if not run.running:
            continue
        if not run.job_sent:
            run.discard()
            continue
        run.control.request_stop()
        run.process.join(EXIT_GRACE_S)
        run.kill()
        run.process.join()


def describe_exit(code: int | None) -> str:
    """A training process's end, for the user: a kill, a crash or an exit code."""
    saved = CHECKPOINTS_KEPT
    if code is not None and code < 0:
        name = _signal_name(-code)
        if -code == getattr(signal, "SIGKILL", 9):
            return (
                f"The training process was killed ({name}), most often because the computer "
                f"ran out of memory. {MEMORY_HINT} {saved}"
            )
        return f"The training process crashed ({name}). {saved}"
    return f"The training process ended unexpectedly (exit code {code}). {saved}"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


class _PipeSender:
    """``send`` for the child's relay: a window that went away stops the run at its next
    batch (with its ``last`` checkpoint) instead of failing it."""

    def __init__(self, writer: Any, control: TrainControl):
        self.writer = writer
        self.control = control
        self.open = True

    def __call__(self, kind: str, *args: Any) -> None:
        if not self.open:
            return
        try:
            self.writer.send((kind, args))
        except (BrokenPipeError, ConnectionResetError, EOFError):
            self.open = False
            self.control.request_stop()


def warm_up(jobs: Any) -> None:
    """Import what runs need: torch and the engine (with this module), the builder and data
    sources; while no job waits, also torch's compiler package, which torch imports on a
    model's first convolution (about as long as torch itself)."""
    import ftstudio.core.builder  # noqa: F401
    import ftstudio.core.data.bundle  # noqa: F401

    if not jobs.poll(0):
        import torch._dynamo  # noqa: F401


def child_main(jobs: Any, writer: Any, control: TrainControl, warm: Any) -> None:
    """The child's whole life: warm up, wait for one job, run it, messages on ``writer``."""
    logging.basicConfig(level=logging.WARNING, format="ftstudio training: %(message)s")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in the terminal is the window's
    if hasattr(os, "nice"):
        os.nice(NICENESS)  # the window's thread gets a core the moment it needs one
    keep_freed_memory()
    try:
        warm_up(jobs)
        warm.set()
        try:
            job = jobs.recv()
        except (EOFError, OSError):
            return  # a standby that was not needed
        finally:
            jobs.close()
        os.environ.clear()
        os.environ.update(job.environ or {})
        run_relayed(job, RelayCallback(_PipeSender(writer, control)), control)
    finally:
        writer.close()
