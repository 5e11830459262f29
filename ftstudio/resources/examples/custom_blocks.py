"""Custom blocks for FT Studio: a feature extractor and a QKV attention module.

Load this file with File > Import custom blocks…, with ``ftstudio COMMAND --blocks
custom_blocks.py``, or copy it into the per-user blocks folder (``ftstudio blocks`` shows where).
Each public ``nn.Module`` class becomes a block. ``__init__`` parameters with a type hint and a
default are the block's settings; ``in_features`` and ``d_model`` are filled from the incoming
tensor's last dimension. This file needs only PyTorch: exports import it as it is.
"""

import math

import torch
from torch import nn


class FeatureExtractor(nn.Module):
    """Linear, ReLU and Dropout on the last dimension: new features for every token of a
    (B, T, D) sequence, or for a (B, D) vector."""

    def __init__(self, in_features: int, hidden: int = 64, dropout: float = 0.1):
        super().__init__()
        self.linear = nn.Linear(in_features, hidden)
        self.relu = nn.ReLU()
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.relu(self.linear(x)))


class QKVAttention(nn.Module):
    """Single-head self-attention over (B, T, D): query, key and value projections, scores
    softmax(Q K^T / sqrt(D)) over the keys, output the weighted values (B, T, D)."""

    def __init__(self, d_model: int, causal: bool = False):
        super().__init__()
        self.query = nn.Linear(d_model, d_model)
        self.key = nn.Linear(d_model, d_model)
        self.value = nn.Linear(d_model, d_model)
        self.causal = causal
        self.scale = 1.0 / math.sqrt(d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self.query(x), self.key(x), self.value(x)
        scores = torch.matmul(q, k.transpose(-2, -1)) * self.scale
        if self.causal:
            t = x.shape[-2]
            future = torch.ones(t, t, dtype=torch.bool, device=x.device).triu(1)
            scores = scores.masked_fill(future, float("-inf"))
        return torch.matmul(scores.softmax(dim=-1), v)
