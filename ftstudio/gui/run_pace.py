"""A run's pace from its progress messages: batches done, batches a second, time left."""

from __future__ import annotations

from typing import Any


class RunPace:
    """Fed the run's ``started`` info and each progress ``(epoch, batch)`` with its time."""

    def __init__(self) -> None:
        self.info: dict[str, Any] = {}
        self.t0 = 0.0
        self.latest: tuple[int, float] | None = None  # (batches done, when)

    def start(self, info: dict[str, Any], now: float) -> None:
        self.info, self.t0, self.latest = info, now, None

    def clear(self) -> None:
        self.info, self.latest = {}, None

    @property
    def total(self) -> int:
        """Batches this run trains (a resumed run from where it started)."""
        info = self.info
        return (info["epochs"] - info["start_epoch"]) * info["batches_per_epoch"]

    def batches_done(self, epoch: int, batch: int) -> int:
        """Batches trained after ``batch`` of ``epoch`` (``batch`` < 0: the epoch is done)."""
        per_epoch = self.info["batches_per_epoch"]
        return (epoch - self.info["start_epoch"]) * per_epoch + (
            per_epoch if batch < 0 else batch + 1
        )

    def record(self, epoch: int, batch: int, now: float) -> int:
        """A progress message; returns the batches done."""
        done = self.batches_done(epoch, batch)
        self.latest = (done, now)
        return done

    def rate(self) -> float | None:
        """Batches a second so far; None before the first batch."""
        if self.latest is None or self.latest[0] <= 0 or self.latest[1] <= self.t0:
            return None
        return self.latest[0] / (self.latest[1] - self.t0)

    def seconds_left(self, now: float) -> float | None:
        """When the batches will be done at the pace so far; None if not known."""
        rate = self.rate()
        if rate is None:
            return None
        done, at = self.latest
        return max(0.0, (self.total - done) / rate - (now - at))
