"""Issue 13, acceptance 3 (and item 11): `ftstudio train` killed with SIGKILL at every write
point of a run (inside each checkpoint and summary write, and around each os.replace), then
resumed. Each time the resumed run finishes with last.pt and best.pt loadable and consistent
with summary.json, the same weights and metrics.csv rows as a run never killed, and no
temporary file left."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from train_helpers import summary, tiny_project

from ftstudio.core.training import load_checkpoint

EPOCHS = 3
TIMING = ("time_s", "samples_per_s", "peak_memory_mb")


def metric_rows(run_dir: Path) -> list[dict[str, str]]:
    with (run_dir / "metrics.csv").open() as handle:
        return [{k: v for k, v in row.items() if k not in TIMING} for row in csv.DictReader(handle)]


@pytest.mark.slow
def test_every_kill_point_resumes_to_consistent_checkpoints(tmp_path):
    project = tiny_project(
        tmp_path / "tiny.ftproj", samples=36, lr=0.02, schedule="cosine", log_every=1
    )
    worker = Path(__file__).with_name("kill_worker.py")
    proc = subprocess.run(
        [sys.executable, str(worker), str(project), str(tmp_path), str(EPOCHS)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["reference"] == 0
    assert report["points"] >= 20  # 3 per write: last.pt and best.pt per epoch, summary.json
    reference = tmp_path / "reference"
    ref_weights = load_checkpoint(reference / "checkpoints/last.pt")["model"]
    ref_final = {k: v for k, v in summary(reference)["final"].items() if k not in TIMING}
    resumed_how = set()
    for run in report["runs"]:
        folder = tmp_path / f"kill-{run['point']}"
        assert run["killed"] == -signal.SIGKILL, run
        assert run["resumed"] == 0, run
        resumed_how.add(run["resume"])
        s = summary(folder)
        last = load_checkpoint(folder / "checkpoints/last.pt")
        best = load_checkpoint(folder / "checkpoints/best.pt")
        assert (s["status"], s["epochs_completed"], last["epoch"]) == ("finished", EPOCHS, EPOCHS)
        assert s["best"] == last["best"] == best["best"], run
        assert 1 <= best["epoch"] <= EPOCHS
        assert set(s["checkpoints"]) == {"last", "best"}
        final = {k: v for k, v in s["final"].items() if k not in TIMING}
        assert final == ref_final, run
        for key, value in last["model"].items():
            assert torch.equal(value, ref_weights[key]), (run, key)
        assert not list(folder.rglob("*.tmp")), run
        assert metric_rows(folder) == metric_rows(reference), run  # no row twice, none lost
    assert resumed_how == {"last", "best", "restart"}  # kills before, between and after
