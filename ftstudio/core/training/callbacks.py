"""Callbacks (hooks that do nothing by default) and the stop/pause control of a run."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any


class Callback:
    """Override the hooks you need. They run on the training thread; keep them quick.

    The GUI adapts these to Qt signals; the CLI prints a progress line.
    """

    def on_train_start(self, info: dict[str, Any]) -> None:
        """Before the first step: ``info`` has epochs, steps_per_epoch, device, run_dir..."""

    def on_epoch_start(self, epoch: int) -> None:
        """Before epoch ``epoch`` (0-based)."""

    def on_batch_end(self, epoch: int, batch: int, step: int) -> None:
        """After every batch; no loss here, so no device sync."""

    def on_step(self, step: int, loss: float) -> None:
        """Every ``log_every`` optimizer steps: mean training loss since the last call."""

    def on_log(self, row: dict[str, Any]) -> None:
        """Every ``log_every`` optimizer steps: the step's row of ``metrics.csv`` (step,
        train_loss, lr), after ``on_step``."""

    def on_epoch_end(self, metrics: dict[str, Any]) -> None:
        """After validation: the epoch's row of ``metrics.csv`` as a dict."""

    def on_checkpoint(self, path: str, kind: str) -> None:
        """A checkpoint ``kind`` ("last" or "best") was written to ``path``."""

    def on_error(self, message: str) -> None:
        """The run failed with ``message``; the exception is raised after this."""

    def on_train_end(self, summary: dict[str, Any]) -> None:
        """The run ended (finished, stopped or early-stopped): contents of summary.json."""


HOOKS = tuple(name for name in vars(Callback) if name.startswith("on_"))


class CallbackList(Callback):
    """Calls every callback in order.

    Each hook is put together once: the callbacks that have it, in order (one left at the
    base class's no-op, or missing, is skipped), so a per-batch hook costs nothing when no
    callback has it.
    """

    def __init__(self, callbacks: Iterable[Callback] = ()):
        self.callbacks = list(callbacks)
        for name in HOOKS:
            hooks = [getattr(cb, name, None) for cb in self.callbacks]
            base = getattr(Callback, name)
            setattr(
                self,
                name,
                _chain(
                    [h for h in hooks if h is not None and getattr(h, "__func__", h) is not base]
                ),
            )


def _nothing(*args: Any) -> None:
    pass


def _chain(hooks: list[Callable[..., None]]) -> Callable[..., None]:
    if not hooks:
        return _nothing
    if len(hooks) == 1:
        return hooks[0]

    def call(*args: Any) -> None:
        for hook in hooks:
            hook(*args)

    return call


class TrainControl:
    """Thread-safe stop / pause / resume for a run, checked before every batch.

    ``request_stop()`` ends the run before the next batch, after writing a consistent ``last``
    checkpoint. ``pause()`` blocks the loop at the next batch until ``resume()`` or
    ``request_stop()``.
    """

    def __init__(self, stop: Any = None, running: Any = None) -> None:
        """``stop`` / ``running``: events to use instead of ``threading.Event`` (a
        ``multiprocessing`` context's, to control a run in a child process)."""
        self._stop = threading.Event() if stop is None else stop
        self._running = threading.Event() if running is None else running
        self._running.set()

    @classmethod
    def shared(cls, context: Any) -> TrainControl:
        """A control whose events work across processes of ``context`` (``spawn``)."""
        return cls(stop=context.Event(), running=context.Event())

    def request_stop(self) -> None:
        self._stop.set()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait_if_paused(self) -> None:
        """Block while paused (no polling: waits on an Event)."""
        self._running.wait()
