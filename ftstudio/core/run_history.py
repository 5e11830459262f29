"""A project's runs, read back from their folders (no torch, no Qt).

A run folder is what ``ftstudio train`` and the window write (see
:mod:`ftstudio.core.training.run_dir`): ``metrics.csv``, ``summary.json`` at the end,
``checkpoints/{best,last}.pt``, and ``run.json`` (:mod:`ftstudio.core.run_record`: the project,
start time, planned epochs and the run's state, also for a run that failed or is still going).

:func:`project_runs` lists a project's runs; :func:`read_run` reads one folder. Nothing read
here can raise: a half-written or damaged folder is listed with what could be read, its
``problems`` said in words, and a status that says it did not finish.
"""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from ftstudio.core.run_record import RUN_INFO, safe_run_name

MAX_JSON_BYTES = 1_000_000
STATUS_TEXT = {
    "finished": "finished",
    "early_stopped": "stopped early",
    "stopped": "stopped",
    "interrupted": "interrupted",
    "failed": "failed",
    "unfinished": "running or killed",
}
DEFAULT_MONITOR = "val_loss"  # training.monitor's default
HIGHER_IS_BETTER = ("val_accuracy", "train_accuracy")
STAMP = re.compile(r"-(\d{8}-\d{6})(?:-\d+)?$")


@dataclass
class RunCurves:
    """The curves of ``metrics.csv``: one row per epoch (numbers only) and the step losses."""

    epochs: list[dict[str, float]] = field(default_factory=list)  # "epoch", "step": ints
    steps: list[tuple[int, float]] = field(default_factory=list)
    step_lrs: list[float] = field(default_factory=list)  # each step's lr (nan: not written)

    def series(self, key: str) -> tuple[list[int], list[float]]:
        """Epoch numbers and values of ``key`` (e.g. ``val_loss``) over the epochs that have it."""
        rows = [r for r in self.epochs if key in r]
        return [int(r["epoch"]) for r in rows], [r[key] for r in rows]

    def keys(self) -> list[str]:
        seen = dict.fromkeys(k for r in self.epochs for k in r)
        return [k for k in seen if k not in ("epoch", "step")]


@dataclass
class RunRecord:
    """One run, as far as its folder tells."""

    path: Path
    status: str
    started: datetime | None = None
    epochs_done: int = 0
    epochs_planned: int | None = None
    monitor: str | None = None
    best: float | None = None
    best_epoch: int | None = None
    best_checkpoint: Path | None = None
    last_checkpoint: Path | None = None
    error: str | None = None
    project: str | None = None
    problems: list[str] = field(default_factory=list)
    curves: RunCurves = field(default_factory=RunCurves)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def status_text(self) -> str:
        return STATUS_TEXT.get(self.status, self.status)

    @property
    def can_resume(self) -> bool:
        """Whether Resume may continue it: not finished, and its ``last.pt`` is there."""
        if self.last_checkpoint is None or self.status in ("finished", "early_stopped"):
            return False
        return self.epochs_planned is None or self.epochs_done < self.epochs_planned

    def checkpoints(self) -> dict[str, Path]:
        """``{"best": path, "last": path}``, those that exist."""
        found = {"best": self.best_checkpoint, "last": self.last_checkpoint}
        return {kind: path for kind, path in found.items() if path is not None}

    def to_dict(self, curves: bool = False) -> dict[str, Any]:
        """A JSON-ready dict (``ftstudio runs --json``)."""
        out: dict[str, Any] = {
            "name": self.name,
            "path": str(self.path),
            "status": self.status,
            "started": self.started.isoformat(timespec="seconds") if self.started else None,
            "epochs_done": self.epochs_done,
            "epochs_planned": self.epochs_planned,
            "monitor": self.monitor,
            "best": self.best,
            "best_epoch": self.best_epoch,
            "checkpoints": {kind: str(path) for kind, path in self.checkpoints().items()},
            "error": self.error,
            "problems": list(self.problems),
        }
        if curves:
            out["curves"] = {"epochs": self.curves.epochs, "steps": self.curves.steps}
        return out


def runs_folder(project_path: str | Path) -> Path:
    """Where ``ftstudio train`` and the window put a saved project's runs."""
    return Path(project_path).parent / "runs"


def project_runs(
    name: str, project_path: str | Path | None = None, root: str | Path | None = None
) -> list[RunRecord]:
    """The runs of project ``name``, newest first.

    ``root`` (default: ``runs/`` beside ``project_path``) is searched for folders named
    ``<name>-<date>-<time>[-n]`` and folders whose ``run.json`` names this project file.
    """
    if root is None:
        if project_path is None:
            return []
        root = runs_folder(project_path)
    own = Path(project_path).resolve() if project_path is not None else None
    pattern = re.compile(re.escape(safe_run_name(name)) + STAMP.pattern)
    runs = []
    for run in list_runs(root):
        by_name = pattern.fullmatch(run.name) is not None
        by_file = own is not None and _same_file(_info(run.path).get("project_file"), own)
        if by_name or by_file:
            runs.append(run)
    return runs


def list_runs(root: str | Path) -> list[RunRecord]:
    """Every run folder directly in ``root``, newest first (an unreadable root: none)."""
    try:
        folders = [p for p in Path(root).iterdir() if p.is_dir() and not p.name.startswith(".")]
    except OSError:
        return []
    runs = [read_run(p) for p in folders]
    return sorted(runs, key=lambda r: (r.started or datetime.min, r.name), reverse=True)


def read_run(path: str | Path) -> RunRecord:
    """Read one run folder; never raises (what could not be read is in ``problems``).

    A folder whose files are as they were last time is not read again (listing a project's
    runs at every run's start and end stays cheap however many runs it has); the record
    returned is a copy, its curves shared and not to be changed."""
    path = Path(path)
    stamp = _stamp(path)
    cached = _READ.get(path.absolute())
    if cached is not None and cached[0] == stamp:
        return replace(cached[1], problems=list(cached[1].problems))
    run = _read_run(path)
    if len(_READ) >= READ_CACHE_SIZE:
        _READ.clear()
    _READ[path.absolute()] = (stamp, run)
    return replace(run, problems=list(run.problems))


READ_CACHE_SIZE = 1024
_READ: dict[Path, tuple[tuple, RunRecord]] = {}
_READ_FILES = (
    RUN_INFO,
    "summary.json",
    "metrics.csv",
    "checkpoints/best.pt",
    "checkpoints/last.pt",
)


def _stamp(path: Path) -> tuple:
    """What :func:`read_run` reads, as (inode, size, mtime) per file (None: missing)."""
    stamps = []
    for name in _READ_FILES:
        try:
            info = (path / name).stat()
        except (OSError, ValueError):
            stamps.append(None)
        else:
            stamps.append((info.st_ino, info.st_size, info.st_mtime_ns))
    return tuple(stamps)


def _read_run(path: Path) -> RunRecord:
    run = RunRecord(path=path, status="unfinished")
    info = _info(path, run.problems)
    summary = _json(path / "summary.json", run.problems)
    state = info.get("state") if isinstance(info.get("state"), str) else None
    # a summary is current unless run.json says a later run (a resume) is going or failed
    current = summary if state in (None, "finished", "early_stopped", "stopped") else {}
    run.curves = read_curves(path / "metrics.csv", run.problems)
    run.project = _str(info.get("project"))
    run.started = _started(info, path)
    run.status = _status(state, current)
    run.error = _str(info.get("error")) if run.status in ("failed", "interrupted") else None
    run.epochs_planned = _int(current.get("epochs")) or _int(info.get("epochs"))
    run.epochs_done = _int(current.get("epochs_completed")) or max(
        (int(r["epoch"]) for r in run.curves.epochs), default=0
    )
    run.monitor = _monitor(_str(current.get("monitor")) or _str(info.get("monitor")), run.curves)
    run.best, run.best_epoch = best_epoch(run.curves, run.monitor)
    if isinstance(current.get("best"), (int, float)) and math.isfinite(current["best"]):
        run.best = float(current["best"])
    for kind in ("best", "last"):
        file = path / "checkpoints" / f"{kind}.pt"
        if file.is_file():
            setattr(run, f"{kind}_checkpoint", file)
    if run.status == "unfinished" and not run.curves.epochs and run.last_checkpoint is None:
        run.problems.append("no epoch was completed")
    return run


def read_curves(path: Path, problems: list[str] | None = None) -> RunCurves:
    """The epoch rows and step losses of a ``metrics.csv``; damaged rows are skipped."""
    curves = RunCurves()
    if not path.is_file():
        return curves
    skipped = 0
    try:
        with path.open(newline="", encoding="utf-8", errors="replace") as handle:
            for row in csv.DictReader(handle):
                numbers = {
                    k: v for k, v in ((k, _float(v)) for k, v in row.items()) if v is not None
                }
                kind = row.get("kind")
                for key in ("epoch", "step"):
                    if key in numbers and numbers[key].is_integer():
                        numbers[key] = int(numbers[key])
                if kind == "epoch" and "epoch" in numbers:
                    curves.epochs.append(numbers)
                elif kind == "step" and "step" in numbers and "train_loss" in numbers:
                    curves.steps.append((int(numbers["step"]), numbers["train_loss"]))
                    curves.step_lrs.append(numbers.get("lr", math.nan))
                else:  # cut off by a kill, or not ours
                    skipped += 1
    except (OSError, csv.Error, UnicodeError) as exc:
        if problems is not None:
            problems.append(f"metrics.csv cannot be read ({exc})")
        return curves
    if skipped and problems is not None:
        problems.append(f"metrics.csv has {skipped} damaged row(s), skipped")
    return curves


def best_epoch(curves: RunCurves, monitor: str | None) -> tuple[float | None, int | None]:
    """The best value of ``monitor`` and the first epoch reaching it (the engine's rule:
    ``best.pt`` changes only on a strict improvement)."""
    if monitor is None:
        return None, None
    higher = monitor in HIGHER_IS_BETTER
    best: float | None = None
    epoch: int | None = None
    for value_epoch, value in zip(*curves.series(monitor), strict=True):
        if not math.isfinite(value):
            continue
        if best is None or (value > best if higher else value < best):
            best, epoch = value, value_epoch
    return best, epoch


def checkpoint_choices(runs: list[RunRecord]) -> list[tuple[str, Path]]:
    """``(label, path)`` for each run's best then last checkpoint, in the order of ``runs``
    (newest first from :func:`project_runs`): what Export and Evaluate offer."""
    choices = []
    for run in runs:
        if run.best_checkpoint is not None:
            best = describe_best(run)
            shown = f" ({best})" if best != "-" else ""
            choices.append((f"Best of run {run.name}{shown}", run.best_checkpoint))
        if run.last_checkpoint is not None:
            planned = f"/{run.epochs_planned}" if run.epochs_planned else ""
            after = f"epoch {run.epochs_done}{planned}, {run.status_text}"
            choices.append((f"Last of run {run.name} ({after})", run.last_checkpoint))
    return choices


def format_runs(runs: list[RunRecord]) -> str:
    """The table ``ftstudio runs`` prints."""
    if not runs:
        return "no runs yet"
    lines = [f"{'run':<34} {'started':<19} {'status':<17} {'epochs':>7}  best"]
    for run in runs:
        started = run.started.strftime("%Y-%m-%d %H:%M:%S") if run.started else "?"
        epochs = f"{run.epochs_done}/{run.epochs_planned or '?'}"
        lines.append(
            f"{run.name:<34} {started:<19} {run.status_text:<17} {epochs:>7}  {describe_best(run)}"
        )
        for kind, file in run.checkpoints().items():
            lines.append(f"    {kind}: {file}")
        for note in ([run.error] if run.error else []) + run.problems:
            lines.append(f"    note: {note}")
    return "\n".join(lines)


def describe_best(run: RunRecord) -> str:
    """E.g. ``val_accuracy 0.9312 (epoch 4)``, or ``-``."""
    if run.best is None or run.monitor is None:
        return "-"
    where = f" (epoch {run.best_epoch})" if run.best_epoch is not None else ""
    return f"{run.monitor} {run.best:.4g}{where}"


# ------------------------------------------------------------ readers that never raise


def _info(path: Path, problems: list[str] | None = None) -> dict[str, Any]:
    return _json(path / RUN_INFO, problems)


def _json(path: Path, problems: list[str] | None) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            raise ValueError("too large")
        value = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(value, dict):
            raise ValueError("not a JSON object")
        return value
    except (OSError, ValueError, UnicodeError) as exc:
        if problems is not None:
            problems.append(f"{path.name} cannot be read ({exc})")
        return {}


def _status(state: str | None, summary: dict[str, Any]) -> str:
    status = summary.get("status")
    if isinstance(status, str) and status in STATUS_TEXT:
        return status
    if state in STATUS_TEXT and state != "running":
        return state
    return "unfinished"


def _started(info: dict[str, Any], path: Path) -> datetime | None:
    text = info.get("started")
    if isinstance(text, str):
        try:
            started = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:  # local and naive, as the others (a foreign "+05:00" would not sort with them)
            return started.astimezone().replace(tzinfo=None) if started.tzinfo else started
    match = STAMP.search(path.name)
    if match:
        try:
            return datetime.strptime(match.group(1), "%Y%m%d-%H%M%S")
        except ValueError:
            pass
    try:
        return datetime.fromtimestamp(path.stat().st_mtime)
    except (OSError, ValueError, OverflowError):
        return None


def _monitor(named: str | None, curves: RunCurves) -> str:
    """The monitored metric; a run without validation picks on ``train_loss`` (as the engine)."""
    keys = curves.keys()
    named = named or DEFAULT_MONITOR
    if named in keys or not keys:
        return named
    return "train_loss" if "train_loss" in keys else named


def _same_file(text: Any, own: Path) -> bool:
    if not isinstance(text, str):
        return False
    try:
        return Path(text).resolve() == own
    except (OSError, ValueError):
        return False


def _float(text: Any) -> float | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
