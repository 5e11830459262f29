"""``run.json``: what a run folder says about its run from the start, not only at the end.

``summary.json`` is written when a run ends normally. ``run.json`` is written when it starts
(project, project file, start time, planned epochs, monitored metric, ``state: running``) and
updated when it ends: the summary's status, or ``failed`` / ``interrupted`` with the message.
A folder whose ``run.json`` still says ``running`` is a run going on or a killed one.
Only the main process writes it; a failed write never stops a run.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from ftstudio.core.tempfiles import atomic_write_text

RUN_INFO = "run.json"
FORMAT = "ftstudio-run"


def safe_run_name(name: str) -> str:
    """The project name as it starts a run folder's name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "run"


def record_start(
    run_dir: str | Path,
    project_name: str,
    project_file: str | Path | None,
    epochs: int,
    monitor: str,
    resume: str | Path | None = None,
) -> None:
    """Write ``run.json`` as a run starts (a resumed run keeps its first start time)."""
    old = _read(run_dir)
    now = datetime.now().isoformat(timespec="seconds")
    info = {
        "format": FORMAT,
        "project": project_name,
        "project_file": str(Path(project_file).resolve()) if project_file else None,
        "started": old.get("started") if resume is not None and old.get("started") else now,
        "epochs": epochs,
        "monitor": monitor,
        "state": "running",
        "resumed": now if resume is not None else None,
        "resumed_from": str(resume) if resume is not None else None,
    }
    _write(run_dir, info)


def record_end(run_dir: str | Path, state: str, error: str | None = None) -> None:
    """Put the run's end in ``run.json``: a summary status, ``failed`` or ``interrupted``."""
    info = _read(run_dir) or {"format": FORMAT}
    info.update(state=state, ended=datetime.now().isoformat(timespec="seconds"), error=error)
    _write(run_dir, info)


def _read(run_dir: str | Path) -> dict[str, Any]:
    try:
        value = json.loads((Path(run_dir) / RUN_INFO).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeError):
        return {}
    return value if isinstance(value, dict) else {}


def _write(run_dir: str | Path, info: dict[str, Any]) -> None:
    folder = Path(run_dir)
    if not folder.is_dir():
        return
    try:
        atomic_write_text(folder / RUN_INFO, json.dumps(info, indent=2) + "\n")
    except OSError:
        pass  # the run itself reports a folder it cannot write to
