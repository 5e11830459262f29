"""An epoch's training loss, accuracy (or absolute error) and NaN check, with no host sync
per batch.

Each batch adds its detached loss and statistic (device tensors) to the epoch's sums, one
in-place add each, in batch order (as the exported train.py does, so both give the same
figures to the bit), and keeps its loss in a window. :meth:`Tally.fold`, called every
``log_every`` steps and at the end of the epoch, sums the window with one op and reads its
mean loss: the only sync. A NaN/Inf loss makes that mean non-finite, and only then are the
window's losses searched for the first bad step.
"""

from __future__ import annotations

import math

import torch


class Tally:
    """Training loss, statistic and counts of one epoch (or of the part of it that ran)."""

    def __init__(self, device: torch.device):
        self.loss_sum = torch.zeros((), device=device)
        self.stat_sum = torch.zeros((), device=device)
        self.batches = self.count = self.samples = 0
        self._losses: list[torch.Tensor] = []
        self._steps: list[int] = []

    def add(self, loss: torch.Tensor, stat: torch.Tensor, n: int, samples: int, step: int) -> None:
        """One batch: its loss, its statistic over ``n`` targets, at optimizer step ``step``."""
        self.loss_sum += loss
        self.stat_sum += stat
        self._losses.append(loss)
        self._steps.append(step)
        self.count += n
        self.samples += samples

    def fold(self) -> tuple[float, int | None]:
        """Check the window and empty it.

        Returns the window's mean loss (nan when empty) and the step of its first NaN/Inf
        loss (None when every loss is finite).
        """
        if not self._losses:
            return math.nan, None
        losses = torch.stack(self._losses)
        n = len(self._losses)
        mean = float(losses.sum()) / n
        bad = None
        if not math.isfinite(mean):
            flags = (~torch.isfinite(losses)).nonzero()
            if len(flags):  # else finite losses summed past the float range: not a NaN step
                bad = self._steps[int(flags[0])]
        self.batches += n
        self._losses, self._steps = [], []
        return mean, bad
