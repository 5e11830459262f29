"""Profile a training run: ``ftstudio train --profile N`` and the window's Training > Profile.

:func:`profile_project` trains the project as ``train_project`` does, with a callback that
records ``N`` training steps (batches) with ``torch.profiler`` after a short warm-up, writes a
Chrome trace (``RUN/profile_trace.json``, open it in chrome://tracing or
https://ui.perfetto.dev) and stops the run. The top operators by self time come back as rows
and as a text table (:func:`format_top_ops`).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch.profiler import ProfilerActivity, profile, schedule

from ftstudio.core.errors import TrainingError
from ftstudio.core.training.callbacks import Callback, TrainControl

WARMUP_STEPS = 3
TRACE_NAME = "profile_trace.json"
TOP_ROWS = 15


@dataclass
class ProfileResult:
    """What :func:`profile_project` returns."""

    trace: Path | None  # the Chrome trace, None when no step was recorded
    steps: int  # steps recorded
    warmup: int  # steps run before recording
    device: str
    top: list[dict[str, Any]] = field(default_factory=list)  # see top_ops()
    summary: dict[str, Any] = field(default_factory=dict)  # the run's summary.json

    def describe(self) -> str:
        """A few lines for the user: what was recorded, where the trace is, the top ops."""
        if self.trace is None:
            return (
                f"No step was profiled: the run ended after {self.summary.get('steps', 0)} "
                f"steps, before the {self.warmup} warm-up steps were over. Use more data or "
                "more epochs."
            )
        head = (
            f"Profiled {self.steps} training steps on {self.device} after {self.warmup} "
            f"warm-up steps.\nChrome trace: {self.trace} (open it in chrome://tracing or "
            "https://ui.perfetto.dev)"
        )
        return f"{head}\nTop operators by self time:\n{format_top_ops(self.top)}"


def top_ops(prof: profile, limit: int = TOP_ROWS) -> list[dict[str, Any]]:
    """The ``limit`` operators with the most self time (device time first on a GPU).

    Each row: ``name``, ``calls``, ``self_cpu_ms``, ``self_device_ms``, ``percent`` (of the
    recorded self time on the sorting clock).
    """
    rows = []
    for event in prof.key_averages():
        if event.key.startswith("ProfilerStep"):
            continue
        device_us = getattr(event, "self_device_time_total", 0) or 0
        rows.append(
            {
                "name": event.key,
                "calls": event.count,
                "self_cpu_ms": event.self_cpu_time_total / 1000,
                "self_device_ms": device_us / 1000,
            }
        )
    clock = "self_device_ms" if any(r["self_device_ms"] > 0 for r in rows) else "self_cpu_ms"
    total = sum(r[clock] for r in rows) or 1.0
    rows.sort(key=lambda r: r[clock], reverse=True)
    for row in rows:
        row["percent"] = 100 * row[clock] / total
    return rows[:limit]


def format_top_ops(rows: list[dict[str, Any]]) -> str:
    """The rows of :func:`top_ops` as a fixed-width table."""
    device = any(r["self_device_ms"] > 0 for r in rows)
    width = max([len("operator"), *(min(48, len(r["name"])) for r in rows)])
    head = f"{'operator':<{width}}  {'calls':>6}  {'self CPU ms':>11}"
    head += f"  {'self GPU ms':>11}" if device else ""
    lines = [head + f"  {'share':>6}"]
    for r in rows:
        name = r["name"] if len(r["name"]) <= 48 else r["name"][:45] + "..."
        line = f"{name:<{width}}  {r['calls']:>6}  {r['self_cpu_ms']:>11.2f}"
        line += f"  {r['self_device_ms']:>11.2f}" if device else ""
        lines.append(line + f"  {r['percent']:>5.1f}%")
    return "\n".join(lines)


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Hide what the profiler's C++ side (Kineto) writes to file descriptor 2 while it starts
    and stops: log lines (``USDT: profiler_start``) and, on a machine without a GPU, an
    ``ERROR: gpuGetDeviceCount failed`` that is no error for a CPU run."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class ProfilerCallback(Callback):
    """Records ``steps`` batches after ``warmup`` with torch.profiler, then stops the run."""

    def __init__(self, steps: int, control: TrainControl, warmup: int = WARMUP_STEPS):
        self.steps, self.warmup, self.control = steps, warmup, control
        self.prof: profile | None = None
        self.seen = 0
        self.trace: Path | None = None
        self.top: list[dict[str, Any]] = []
        self.device = "cpu"
        self.run_dir: Path | None = None

    def on_train_start(self, info: dict[str, Any]) -> None:
        self.device = info["device"]
        self.run_dir = Path(info["run_dir"]) if info.get("run_dir") else None
        activities = [ProfilerActivity.CPU]
        if self.device.startswith("cuda"):
            activities.append(ProfilerActivity.CUDA)
        self.prof = profile(
            activities=activities,
            schedule=schedule(wait=0, warmup=self.warmup, active=self.steps, repeat=1),
            on_trace_ready=self._ready,
        )
        with quiet_native_stderr():
            self.prof.start()

    def on_batch_end(self, epoch: int, batch: int, step: int) -> None:
        if self.prof is None:
            return
        self.seen += 1
        with quiet_native_stderr():  # recording starts and the trace is written in step()
            self.prof.step()
        if self.seen >= self.warmup + self.steps:
            self._close()
            self.control.request_stop()

    def on_train_end(self, summary: dict[str, Any]) -> None:
        self._close()

    def on_error(self, message: str) -> None:
        self._close()

    def _close(self) -> None:
        prof, self.prof = self.prof, None
        if prof is not None:
            with quiet_native_stderr():
                prof.stop()  # mid-recording: the steps so far become the trace

    def _ready(self, prof: profile) -> None:
        self.top = top_ops(prof)
        if self.run_dir is None:
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        path = self.run_dir / TRACE_NAME
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        prof.export_chrome_trace(str(tmp))
        os.replace(tmp, path)
        self.trace = path

    @property
    def recorded(self) -> int:
        return max(0, min(self.steps, self.seen - self.warmup))


def profile_project(
    project,
    steps: int,
    overrides: dict[str, Any] | None = None,
    callbacks: Iterable[Callback] = (),
    control: TrainControl | None = None,
    run_dir: str | Path | None = None,
    overwrite: bool = False,
    ignore_memory_limit: bool = False,
) -> ProfileResult:
    """Train ``project`` for a few warm-up steps and ``steps`` profiled steps, then stop.

    The arguments are :func:`~ftstudio.core.training.run.train_project`'s; the run folder
    gets ``profile_trace.json`` beside the usual files (its ``last.pt`` can be resumed).
    """
    from ftstudio.core.training.run import train_project

    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise TrainingError(f"--profile takes a number of steps of at least 1, got {steps}.")
    control = control or TrainControl()
    profiler = ProfilerCallback(steps, control)
    result = train_project(
        project,
        overrides,
        callbacks=[*callbacks, profiler],
        control=control,
        run_dir=run_dir,
        overwrite=overwrite,
        ignore_memory_limit=ignore_memory_limit,
    )
    return ProfileResult(
        trace=profiler.trace,
        steps=profiler.recorded if profiler.trace else 0,
        warmup=profiler.warmup,
        device=profiler.device,
        top=profiler.top,
        summary=result.summary,
    )
