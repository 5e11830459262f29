"""The run's pace, for the ETA label and the curves: batches done, a second, left."""

from __future__ import annotations

import pytest

from ftstudio.gui.run_pace import RunPace


def test_pace_counts_from_the_resumed_epoch_and_estimates_what_is_left():
    pace = RunPace()
    pace.start({"epochs": 4, "start_epoch": 2, "batches_per_epoch": 10}, now=100.0)
    assert pace.total == 20 and pace.rate() is None and pace.seconds_left(100.0) is None
    assert pace.record(2, 4, now=101.0) == 5  # 5 batches in 1 s
    assert pace.rate() == pytest.approx(5.0)
    assert pace.seconds_left(101.0) == pytest.approx(3.0)
    assert pace.seconds_left(102.0) == pytest.approx(2.0)  # time since the message counts
    assert pace.record(3, -1, now=104.0) == 20  # the last epoch complete
    assert pace.seconds_left(104.0) == 0.0
    pace.clear()
    assert pace.seconds_left(105.0) is None and pace.info == {}
