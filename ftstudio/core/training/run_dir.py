"""Run folders: unique default names, and no two runs mixed in one folder.

Rules:

- a default run folder is ``<root>/<name>-<YYYYmmdd-HHMMSS>``, with ``-2``, ``-3``... when that
  name is taken; it is created here (``exist_ok=False``), so two runs started in the same
  second get different folders;
- a folder given by the user may be new or empty; one that already holds files is used only to
  continue its run (the resumed checkpoint lies inside it) or with ``overwrite``, which deletes
  the files a run writes there (``metrics.csv``, ``summary.json``, ``run.json``,
  ``checkpoints/*.pt``) and nothing else;
- temporary files of a killed checkpoint or summary write are removed when a run starts there.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from ftstudio.core.errors import TrainingError
from ftstudio.core.run_record import RUN_INFO, safe_run_name
from ftstudio.core.tempfiles import remove_stale_temps

RUN_FILES = ("metrics.csv", "summary.json", RUN_INFO)
CHECKPOINT_FILES = ("last.pt", "best.pt")
MAX_SAME_NAME = 10000


def new_run_dir(root: str | Path, name: str, now: time.struct_time | None = None) -> Path:
    """Create and return a new, empty run folder ``root/<name>-<date>-<time>[-n]``.

    ``now`` (default: the local time) is only there so that tests can freeze the clock.
    """
    safe = safe_run_name(name)
    stamp = time.strftime("%Y%m%d-%H%M%S", now or time.localtime())
    root = Path(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TrainingError(
            f"Cannot create the runs folder {root}: {exc.strerror or exc}. Choose another "
            "folder for the run (--out)."
        ) from None
    for n in range(1, MAX_SAME_NAME):
        path = root / (f"{safe}-{stamp}" if n == 1 else f"{safe}-{stamp}-{n}")
        try:
            path.mkdir(exist_ok=False)
        except FileExistsError:
            continue
        except OSError as exc:
            raise TrainingError(
                f"Cannot create the run folder {path}: {exc.strerror or exc}. Choose another "
                "folder for the run (--out)."
            ) from None
        return path
    raise TrainingError(f"{root} holds too many runs named {safe}-{stamp}; clear some out.")


def is_main_process() -> bool:
    """Rank 0 under torchrun (only it writes run files), or a plain process."""
    return int(os.environ.get("RANK", "0")) == 0


def remove_run_temps(run_dir: Path) -> list[Path]:
    """Remove leftover temporary files of the summary and checkpoints in ``run_dir``."""
    removed = remove_stale_temps(run_dir, RUN_FILES)
    return removed + remove_stale_temps(run_dir / "checkpoints", CHECKPOINT_FILES)


def prepare_run_dir(
    run_dir: str | Path, resume: str | Path | None = None, overwrite: bool = False
) -> Path:
    """Check that ``run_dir`` may take this run, clearing leftovers; return it.

    Raises
    ------
    TrainingError
        ``run_dir`` is a file, or holds files and neither continues its own run (``resume``
        from a checkpoint inside it) nor is ``overwrite`` given.
    """
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise TrainingError(
            f"The run folder {run_dir} is a file. Choose a folder for the run (--out)."
        )
    if not run_dir.exists():
        return run_dir
    remove_run_temps(run_dir)
    present = sorted(
        p.name for p in run_dir.iterdir() if not (p.is_dir() and not any(p.iterdir()))
    )  # empty sub-folders (a checkpoints/ emptied of leftovers) hold nothing
    if not present or (resume is not None and _inside(Path(resume), run_dir)):
        return run_dir
    if overwrite:
        for name in RUN_FILES:
            (run_dir / name).unlink(missing_ok=True)
        for name in CHECKPOINT_FILES:
            (run_dir / "checkpoints" / name).unlink(missing_ok=True)
        return run_dir
    shown = ", ".join(present[:5]) + (f" and {len(present) - 5} more" if len(present) > 5 else "")
    last = run_dir / "checkpoints" / "last.pt"
    hint = f"continue its run with --resume {last}, " if last.is_file() else ""
    raise TrainingError(
        f"The run folder {run_dir} already holds files ({shown}); a new run there would "
        f"overwrite its checkpoints and mix the metrics. Choose a new folder, {hint}or replace "
        "that run with --overwrite."
    )


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True
