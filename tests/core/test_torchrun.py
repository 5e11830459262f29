"""Acceptance 5: `ftstudio train` under torchrun with 2 CPU processes (gloo)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from train_helpers import digits_project, epoch_rows, summary


@pytest.mark.slow
def test_torchrun_two_processes_gloo(tmp_path):
    if shutil.which("torchrun") is None:
        pytest.skip("torchrun is not installed")
    project = digits_project(tmp_path / "d.ftproj", epochs=2)
    run_dir = tmp_path / "run"
    worker = Path(__file__).with_name("ddp_worker.py")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2"]
    proc = subprocess.run(
        [*cmd, str(worker), str(project), str(tmp_path), str(run_dir)],
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    s = summary(run_dir)
    assert s["world_size"] == 2 and s["status"] == "finished"
    assert len(epoch_rows(run_dir)) == 2  # rank 0 wrote metrics once per epoch, not twice
    assert (run_dir / "checkpoints" / "last.pt").is_file()
    a = torch.load(tmp_path / "rank0.pt", weights_only=True)
    b = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
