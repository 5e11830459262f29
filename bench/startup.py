"""Start-up time, as ratios against plain Python / PyTorch measured in the same run.

- ``ftstudio --help`` against ``python -c pass`` (goal <= 3x);
- the window: from process start to the first ``QEvent.Paint`` of the main window (offscreen,
  starter project) against ``python -c "import torch, PySide6.QtWidgets"`` (goal <= 1.2x).

Each pair runs alternately, ROUNDS times after one warm-up round; the medians are compared.
A command's time is from just before it is spawned until it exits, or for the window until it
prints the time of its first paint (it then ends at once). Every process gets a fresh settings
and data folder, so no recovery file or saved layout changes what is measured. Timing on a
shared machine is noisy; this is a report, not a test.

    python bench/startup.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable

# The window as `ftstudio` opens it (cli.main with no arguments), plus an application-wide event
# filter that prints the wall-clock time of the main window's first paint and ends the process.
WINDOW = """
import os, sys, time
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QMainWindow

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and isinstance(obj, QMainWindow):
            print(f"painted {time.time():.6f}", flush=True)
            os._exit(0)
        return False

app = QApplication(sys.argv[:1])
first_paint = FirstPaint()
app.installEventFilter(first_paint)
from ftstudio.cli import main
sys.exit(f"the window closed without painting (exit {main([])})")
"""


def timed(argv: list[str], env: dict[str, str]) -> float:
    """Seconds from spawning ``argv`` until it exits, or until it prints ``painted T``."""
    start = time.time()
    result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600)
    end = time.time()
    painted = [line for line in result.stdout.splitlines() if line.startswith("painted ")]
    if painted:
        return float(painted[-1].split()[1]) - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:3])} failed ({result.returncode}):\n{result.stderr}")
    return end - start


def fresh_env(home: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    env["XDG_CONFIG_HOME"] = str(home / "config")  # QSettings, the user blocks folder
    env["XDG_DATA_HOME"] = str(home / "data")  # the recovery file
    return env


def compare(name: str, target: list[str], baseline: list[str], rounds: int, goal: float) -> bool:
    ours, base = [], []
    for i in range(rounds + 1):  # round 0 warms the disk cache and is not counted
        with tempfile.TemporaryDirectory() as home:
            env = fresh_env(Path(home))
            pair = [(baseline, base), (target, ours)]
            for argv, times in pair if i % 2 == 0 else reversed(pair):
                seconds = timed(argv, env)
                if i:
                    times.append(seconds)
    ratio = statistics.median(ours) / statistics.median(base)
    verdict = "meets" if ratio <= goal else "MISSES"
    print(
        f"{name}: {statistics.median(ours):.2f} s vs baseline {statistics.median(base):.2f} s "
        f"= {ratio:.2f}x ({verdict} goal <= {goal}x; medians of {rounds}; "
        f"ours {', '.join(f'{t:.2f}' for t in ours)}; baseline {', '.join(f'{t:.2f}' for t in base)})"
    )
    return ratio <= goal


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    ok = compare(
        "ftstudio --help",
        [PY, "-m", "ftstudio", "--help"],
        [PY, "-c", "pass"],
        args.rounds,
        3.0,
    )
    ok &= compare(
        "first painted window",
        [PY, "-c", WINDOW],
        [PY, "-c", "import torch, PySide6.QtWidgets"],
        args.rounds,
        1.2,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
