"""Numbers behind the training curves (no Qt): growable buffers, EMA smoothing, axis ranges
that change only in coarse steps (so the axes are not redrawn on every refresh)."""

from __future__ import annotations

import math

import numpy as np


class Series:
    """A growable pair of float arrays (amortised O(1) append, views without copies)."""

    def __init__(self, capacity: int = 256):
        self._x = np.empty(capacity)
        self._y = np.empty(capacity)
        self.size = 0

    def append(self, x: float, y: float) -> None:
        self.extend(np.array([x], float), np.array([y], float))

    def extend(self, x: np.ndarray, y: np.ndarray) -> None:
        n = self.size + len(x)
        if n > len(self._x):
            capacity = max(n, 2 * len(self._x))
            self._x = np.resize(self._x, capacity)
            self._y = np.resize(self._y, capacity)
        self._x[self.size : n] = x
        self._y[self.size : n] = y
        self.size = n

    def clear(self) -> None:
        self.size = 0

    @property
    def x(self) -> np.ndarray:
        return self._x[: self.size]

    @property
    def y(self) -> np.ndarray:
        return self._y[: self.size]


class Ema:
    """Debiased exponential moving average (TensorBoard's smoothing), fed in batches.

    ``weight`` 0 is no smoothing. A NaN or infinite value gives a NaN point (a gap) and leaves
    the average as it was.
    """

    def __init__(self, weight: float = 0.0):
        self.weight = weight
        self.reset()

    def reset(self) -> None:
        self._last = 0.0
        self._count = 0

    def __call__(self, values: np.ndarray) -> np.ndarray:
        out = np.empty(len(values))
        w = self.weight
        for i, v in enumerate(values.tolist()):  # a few points per call; floats are fast
            if not math.isfinite(v):
                out[i] = math.nan
                continue
            self._last = self._last * w + (1.0 - w) * v
            self._count += 1
            out[i] = self._last / (1.0 - w**self._count) if w > 0 else v
        return out


def grown_span(span: float, needed: float) -> float:
    """``span`` doubled until it holds ``needed`` (a range that grows rarely)."""
    span = max(span, 1.0)
    while span < needed:
        span *= 2
    return span


def log_range(values: np.ndarray, current: tuple[float, float] | None) -> tuple[float, float]:
    """A log10 y range in whole decades holding the positive finite ``values``.

    Kept as ``current`` while the values fit in it and fill more than a tenth of a decade
    range change; so the axis changes a few times a run, not on every point.
    """
    finite = values[np.isfinite(values) & (values > 0)]
    if finite.size == 0:
        return current or (-1.0, 1.0)
    lo, hi = math.floor(math.log10(finite.min())), math.ceil(math.log10(finite.max()))
    if hi - lo < 1:
        hi = lo + 1
    if current is not None and current[0] <= lo and hi <= current[1]:
        if (hi - lo) >= (current[1] - current[0]) - 1:  # not much too wide: keep it
            return current
    return float(lo), float(hi)


def upper_bound(values: np.ndarray, current: float | None) -> float | None:
    """A y maximum for values >= 0 that moves only when a value leaves it (by 25 % headroom)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return current
    top = float(finite.max())
    if current is not None and top <= current:
        return current
    return top * 1.25 if top > 0 else 1.0
