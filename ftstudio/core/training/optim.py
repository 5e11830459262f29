"""Optimizers and learning-rate schedules (every schedule with linear warmup)."""

from __future__ import annotations

import math
from typing import Any

import torch

from ftstudio.core.errors import TrainingError
from ftstudio.core.training.config import TrainConfig

ONE_CYCLE_START = 1 / 25  # one-cycle starts at lr/25, peaks at lr, anneals to ~0
ONE_CYCLE_PEAK = 0.3


def make_optimizer(groups: list[dict[str, Any]], config: TrainConfig) -> torch.optim.Optimizer:
    """AdamW, Adam or SGD with momentum over ``groups`` (trainable parameters only)."""
    if not groups:
        raise TrainingError(
            "Nothing to train: every block is frozen (or has lr_scale 0). Unfreeze a block."
        )
    if config.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=config.lr, weight_decay=config.weight_decay)
    if config.optimizer == "adam":
        return torch.optim.Adam(groups, lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.SGD(
        groups, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay
    )


def lr_factor(step: int, config: TrainConfig, steps_per_epoch: int) -> float:
    """Multiplier of each group's base lr at optimizer step ``step``."""
    total = max(1, config.epochs * steps_per_epoch)
    warmup = int(config.warmup_epochs * steps_per_epoch)
    if config.schedule == "one-cycle":
        peak = max(warmup, int(ONE_CYCLE_PEAK * total), 1)
        if step < peak:
            return ONE_CYCLE_START + (1 - ONE_CYCLE_START) * step / peak
        t = (step - peak) / max(1, total - peak)
        return 1e-4 + (1 - 1e-4) * 0.5 * (1 + math.cos(math.pi * min(1.0, t)))
    if step < warmup:
        return (step + 1) / (warmup + 1)
    if config.schedule == "cosine":
        t = (step - warmup) / max(1, total - warmup)
        return 0.5 * (1 + math.cos(math.pi * min(1.0, t)))
    if config.schedule == "step":
        return config.step_gamma ** (step // (config.step_epochs * steps_per_epoch))
    return 1.0


def make_scheduler(
    optimizer: torch.optim.Optimizer, config: TrainConfig, steps_per_epoch: int
) -> torch.optim.lr_scheduler.LambdaLR:
    """A per-step LambdaLR; its state (position only) goes into checkpoints."""

    def factor(step: int) -> float:
        return lr_factor(step, config, steps_per_epoch)

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def is_constant(config: TrainConfig, steps_per_epoch: int) -> bool:
    """True when :func:`lr_factor` is 1 at every step (no schedule, no warmup step)."""
    return config.schedule == "none" and int(config.warmup_epochs * steps_per_epoch) == 0
