"""Standardisation of tabular features (``data.standardize``, csv and tensor-file sources).

The mean and standard deviation of each feature (each element of a sample) are fitted on
the training split only and applied to training and validation samples alike. The
statistics travel with the run: ``summary.json``, every checkpoint, and the exported
``model.py`` (``STANDARDIZE``), so evaluation, resume and the export scale rows the same way.

With ``standardize`` off, :func:`scale_warning` says when feature scales differ by more than
:data:`SCALE_RATIO_WARN` (gradient steps then mostly move the large features).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import torch

from ftstudio.core.data.config import DataConfig
from ftstudio.core.errors import DataError

SOURCES = ("csv", "tensor-file")
SCALE_RATIO_WARN = 100.0
MIN_STD = 1e-12  # a constant feature is centred, not divided by zero


def applies(config: DataConfig, x: torch.Tensor) -> bool:
    """Standardisation is for real-valued features of the tabular sources."""
    return config.source in SOURCES and x.is_floating_point()


def fit(x: torch.Tensor) -> dict[str, Any]:
    """Per-feature mean and standard deviation of the training samples ``x`` (N, ...)."""
    values = x.double()
    mean = values.mean(0)
    std = values.std(0, unbiased=False)
    std = torch.where(std > MIN_STD, std, torch.ones_like(std))
    return {"mean": mean.tolist(), "std": std.tolist()}


def apply(x: torch.Tensor, stats: dict[str, Any]) -> torch.Tensor:
    """``(x - mean) / std`` with the fitted statistics, in ``x``'s dtype."""
    mean = torch.tensor(stats["mean"], dtype=torch.float64)
    std = torch.tensor(stats["std"], dtype=torch.float64)
    return ((x.double() - mean) / std).to(x.dtype)


def check_stats(stats: Any, sample_shape: tuple[int, ...], where: str) -> dict[str, Any]:
    """Statistics read from a checkpoint must fit the samples; returns them."""
    ok = isinstance(stats, dict) and "mean" in stats and "std" in stats
    if ok:
        try:
            shapes = {tuple(torch.tensor(stats[k]).shape) for k in ("mean", "std")}
        except (TypeError, ValueError, RuntimeError):
            shapes = set()
        ok = shapes == {tuple(sample_shape)}
    if not ok:
        raise DataError(
            f"{where}: its standardisation statistics do not fit samples of shape "
            f"{list(sample_shape)}. Use the checkpoint with the data it was trained on."
        )
    return {"mean": stats["mean"], "std": stats["std"]}


def standardize_split(
    config: DataConfig,
    train: tuple[torch.Tensor, torch.Tensor],
    val: tuple[torch.Tensor, torch.Tensor] | None,
    stats: dict[str, Any] | None = None,
) -> tuple[tuple, tuple | None, dict[str, Any] | None]:
    """Fit on ``train`` (or use the given ``stats``) and apply to both parts.

    Returns ``(train, val, stats)``; unchanged with ``stats`` None when standardisation is
    off or does not apply. ``stats == {}`` means "saved without standardisation" (a
    checkpoint trained with it off): then the project's setting must be off too.
    """
    x = train[0]
    wanted = config.standardize and applies(config, x)
    if stats is not None and bool(stats) != wanted:
        now, then = ("on", "off") if wanted else ("off", "on")
        raise DataError(
            f"{config.described}: the checkpoint was trained with data.standardize {then}, "
            f"but the project has it {now}. Set standardize {then} to use this checkpoint, "
            "or train again."
        )
    if not wanted:
        return train, val, None
    if stats is None:
        stats = fit(x)
    else:
        stats = check_stats(stats, tuple(x.shape[1:]), "The checkpoint")
    train = (apply(x, stats), train[1])
    if val is not None:
        val = (apply(val[0], stats), val[1])
    return train, val, stats


def scale_warning(config: DataConfig, x: torch.Tensor, path: str = "") -> list[str]:
    """A warning when standardisation is off and feature scales differ by more than 100x."""
    if config.standardize or not applies(config, x) or len(x) < 2:
        return []
    scale = x.double().flatten(1).std(0, unbiased=False)
    if int((torch.isfinite(scale) & (scale > MIN_STD)).sum()) < 2:
        return []
    varies = torch.isfinite(scale) & (scale > MIN_STD)
    big = int(torch.argmax(torch.where(varies, scale, torch.zeros_like(scale))))
    small = int(torch.argmin(torch.where(varies, scale, torch.full_like(scale, float("inf")))))
    ratio = float(scale[big] / scale[small])
    if ratio <= SCALE_RATIO_WARN:
        return []
    names = _feature_names(config, path, scale.numel())
    return [
        f"{config.described}: feature scales differ by {ratio:,.0f}x (standard deviation of "
        f"{names[big]} {float(scale[big]):.3g}, of {names[small]} {float(scale[small]):.3g}), "
        "and data.standardize is off. Turn it on (standardize in the data settings) so that "
        "every feature counts; the statistics are kept with the run and the export."
    ]


def _feature_names(config: DataConfig, path: str, count: int) -> list[str]:
    names: list[str] = []
    if config.source == "csv":
        names = list(config.feature_columns or [])
        if not names and path:
            try:
                with Path(path).open(newline="", encoding="utf-8") as handle:
                    header = next(csv.reader(handle), [])
                names = [h for h in header if h != config.label_column]
            except (OSError, UnicodeDecodeError, csv.Error):
                names = []
    if len(names) != count:
        return [f"feature {i}" for i in range(count)]
    return [f"'{n[:40]}'" for n in names]
