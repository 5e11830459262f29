"""Small modules the core tests script, save and load."""

from __future__ import annotations

import torch
from torch import nn


class TinyNet(nn.Module):
    """(B, 3, H, W) -> (B, 8): small enough to script and save in a test."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.conv(x)).mean(dim=(2, 3))
