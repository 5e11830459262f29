"""Run by torchrun in test_torchrun.py: `ftstudio train` on every rank, then each rank saves
the weights it holds (only for the test; the engine itself writes from rank 0 only)."""

from __future__ import annotations

import os
import sys

import torch

from ftstudio.cli import main
from ftstudio.core.training import run as run_module

real_fit = run_module.fit


def fit_and_dump(model, *args, **kwargs):
    summary = real_fit(model, *args, **kwargs)
    rank = int(os.environ["RANK"])
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    torch.save(state, os.path.join(sys.argv[2], f"rank{rank}.pt"))
    return summary


run_module.fit = fit_and_dump
if __name__ == "__main__":
    sys.exit(main(["train", sys.argv[1], "--out", sys.argv[3], "--quiet", "--device", "cpu"]))
