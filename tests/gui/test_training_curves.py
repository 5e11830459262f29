"""The training curves (issue 8): EMA smoothing of the step loss, the learning-rate curve, the
best-epoch marker, and axes that read well early in a run (no SI scaling, no label pile-up);
and their cost (issue 15): batched points, coarse ranges, no redraw of unchanged curves."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication

from ftstudio.core.run_history import RunCurves, RunRecord
from ftstudio.gui.plot_series import Ema, log_range
from ftstudio.gui.qt_plots import QtTrainingPlots


@pytest.fixture
def plots(qtbot):
    widget = QtTrainingPlots()
    qtbot.addWidget(widget)
    widget.resize(900, 300)
    widget.reset("classification", epochs=3, steps=30)
    return widget


def points(n: int, start: int = 1) -> list[tuple[int, float, float]]:
    rng = np.random.default_rng(0)
    return [(s, 1.0 / s + 0.3 * rng.random(), 0.01 * (1 - s / 100)) for s in range(start, n + 1)]


def test_ema_smooths_debiased_and_skips_non_finite_points():
    ema = Ema(0.5)
    out = ema(np.array([1.0, 3.0, float("nan"), 3.0]))
    assert out[0] == 1.0  # debiased: the first point is itself, not half of it
    assert out[1] == pytest.approx((0.5 * 0.5 * 1 + 0.5 * 3) / (1 - 0.25))
    assert np.isnan(out[2]) and 1.0 < out[3] < 3.0
    assert list(Ema(0.0)(np.array([2.0, 5.0]))) == [2.0, 5.0]


def test_smoothing_slider_recomputes_the_smoothed_step_loss(plots):
    plots.add_steps(points(40))
    plots.refresh()
    raw = plots.curves["step_loss"].getOriginalDataset()[1]
    smooth = plots.curves["smooth_loss"].getOriginalDataset()[1]
    assert len(smooth) == len(raw) == 40
    assert np.std(np.diff(smooth)) < np.std(np.diff(raw))  # smoothing calms the curve
    assert plots.curves["step_loss"].isVisible()  # the raw points stay, faint, below
    plots.smoothing.setValue(0)
    assert plots.smoothing_label.text() == "0.00"
    assert list(plots.curves["smooth_loss"].getOriginalDataset()[1]) == list(raw)
    assert not plots.curves["step_loss"].isVisible()  # the same curve twice otherwise
    plots.smoothing.setValue(90)
    heavier = plots.curves["smooth_loss"].getOriginalDataset()[1]
    assert np.std(np.diff(heavier)) < np.std(np.diff(smooth))


def test_learning_rate_curve_follows_the_points(plots):
    batch = points(20)
    plots.add_steps(batch)
    plots.refresh()
    x, y = plots.curves["lr"].getOriginalDataset()
    assert list(x) == [s for s, _, _ in batch] and list(y) == [lr for _, _, lr in batch]
    top = plots.lr_plot.getPlotItem().viewRange()[1][1]
    assert max(y) < top < 2 * max(y)  # the whole curve shows, not a sliver of it
    assert not plots.lr_plot.getPlotItem().getAxis("left").autoSIPrefix


def test_best_epoch_marker_moves_to_the_epoch_that_improved(plots):
    rows = [(1, 0.80, True), (2, 0.90, True), (3, 0.85, False)]
    for epoch, accuracy, best in rows:
        plots.add_epoch(
            {"epoch": epoch, "step": 10 * epoch, "train_loss": 0.5, "val_loss": 0.4,
             "train_accuracy": accuracy, "val_accuracy": accuracy, "best": best}
        )  # fmt: skip
    plots.refresh()
    assert plots.best_epoch == 2 and plots.best_line.isVisible()
    assert plots.best_line.value() == 2
    x, y = plots.best_point.getData()
    assert list(x) == [2] and list(y) == pytest.approx([0.90])  # on the validation point


def test_accuracy_axis_is_fixed_0_to_1_read_in_percent_without_si_scaling(plots, qtbot):
    plots.show()
    plots.add_epoch({"epoch": 1, "step": 10, "train_accuracy": 0.85, "val_accuracy": 0.95})
    plots.refresh()
    qtbot.waitExposed(plots)
    item = plots.metric_plot.getPlotItem()
    axis = item.getAxis("left")
    assert not axis.autoSIPrefix and "x0.001" not in axis.labelString()
    low, high = item.viewRange()[1]
    assert low <= 0 and 1 <= high < 1.15  # fixed: not zoomed onto 0.85-0.95
    texts = [text for _, _, text in drawn_labels(plots.metric_plot)]
    assert "100%" in texts and "0%" in texts and not any("850" in t for t in texts)


def drawn_labels(plot) -> list[tuple[float, float, str]]:
    """(top, bottom, text) of each label the plot's left axis would draw."""
    axis = plot.getPlotItem().getAxis("left")
    image = QImage(10, 10, QImage.Format_ARGB32)
    painter = QPainter(image)
    try:
        texts = axis.generateDrawSpecs(painter)[2]
    finally:
        painter.end()
    return sorted((rect.top(), rect.bottom(), text) for rect, _, text in texts)


def test_loss_axis_labels_do_not_overlap_early_in_a_run(plots, qtbot):
    plots.show()
    plots.resize(900, 260)
    plots.add_steps([(1, 0.512, 0.01), (2, 0.514, 0.01)])  # a tiny spread, early in a run
    plots.refresh()
    qtbot.waitExposed(plots)
    low, high = plots.loss_plot.getPlotItem().viewRange()[1]  # log10 units
    assert high - low >= 1  # whole decades, not 0.512-0.514
    labels = drawn_labels(plots.loss_plot)
    assert {"0.5", "1"} <= {text for _, _, text in labels}  # not "5·10²"
    assert "x0.001" not in plots.loss_plot.getPlotItem().getAxis("left").labelString()
    for (_, bottom, a), (top, _, b) in zip(labels, labels[1:], strict=False):
        assert bottom <= top, f"labels {a!r} and {b!r} overlap"


def test_ranges_change_rarely_so_axes_are_not_redrawn_per_update(plots):
    ranges = []
    for start in range(1, 30, 3):  # ten refreshes of a falling loss
        plots.add_steps(points(start + 2, start))
        plots.refresh()
        ranges.append(tuple(plots.loss_plot.getPlotItem().viewRange()[1]))
    assert len(set(ranges)) <= 2
    assert plots.loss_plot.getPlotItem().viewRange()[0][1] >= 29  # x fixed to the whole run


def test_refresh_redraws_only_the_curves_that_got_points(plots, monkeypatch):
    plots.add_epoch({"epoch": 1, "step": 10, "train_loss": 0.5, "train_accuracy": 0.5})
    plots.refresh()
    drawn = []
    for key, curve in plots.curves.items():
        monkeypatch.setattr(curve, "setData", lambda *a, key=key: drawn.append(key))
    plots.add_steps(points(5))
    plots.refresh()
    assert sorted(drawn) == ["lr", "smooth_loss", "step_loss"]
    plots.refresh()  # nothing new: nothing drawn
    assert len(drawn) == 3


def test_log_range_keeps_the_current_range_while_the_values_fit():
    current = log_range(np.array([0.5, 2.0]), None)
    assert current == (-1.0, 1.0)
    assert log_range(np.array([0.3, 1.5]), current) == current
    assert log_range(np.array([0.001, 1.5]), current) == (-3.0, 1.0)


def test_overlaid_runs_fit_in_the_ranges(plots):
    rows = [
        {"epoch": e, "step": 100 * e, "val_loss": 2.0 / e, "val_accuracy": 0.3 * e}
        for e in (1, 2, 3, 4, 5)
    ]
    run = RunRecord(Path("/runs/a"), "finished", best_epoch=5, curves=RunCurves(epochs=rows))
    overlay = plots.overlay()
    overlay.set_runs([run])  # an earlier run, longer than the one planned now
    assert plots.loss_plot.getPlotItem().viewRange()[0][1] >= 500
    assert plots.metric_plot.getPlotItem().viewRange()[0][1] >= 5
    low, high = plots.loss_plot.getPlotItem().viewRange()[1]
    assert low <= math.log10(0.4) and high >= math.log10(2.0)
    rows.append({"epoch": 6, "step": 600, "val_loss": 0.002, "val_accuracy": 0.9})
    overlay.set_runs([RunRecord(Path("/runs/a"), "finished", curves=RunCurves(epochs=rows))])
    assert plots.loss_plot.getPlotItem().viewRange()[1][0] <= math.log10(0.002)  # refitted


def tick_intervals(qtbot, monkeypatch, cpu_per_tick: list[float]) -> list[int]:
    """The refresh interval after each tick, when each interval costs ``cpu_per_tick[i]`` s
    of the GUI thread's CPU (a fake clock: wall time advances by the interval)."""
    from ftstudio.gui import qt_plots

    plots = QtTrainingPlots()
    qtbot.addWidget(plots)
    clock = {"wall": 100.0, "cpu": 10.0}
    monkeypatch.setattr(qt_plots.time, "monotonic", lambda: clock["wall"])
    monkeypatch.setattr(qt_plots.time, "thread_time", lambda: clock["cpu"])
    plots.start()
    intervals = []
    for cpu in cpu_per_tick:
        clock["wall"] += plots.timer.interval() / 1000
        clock["cpu"] += cpu
        plots._tick()
        intervals.append(plots.timer.interval())
    plots.stop()
    return intervals


def test_the_refresh_slows_down_when_drawing_takes_more_than_its_share_of_a_core(
    qtbot, monkeypatch
):
    from ftstudio.gui import qt_plots

    # 50 ms of GUI CPU a tick (25% of a core at 5 Hz): over the budget that is more than the
    # slowest pace, which it takes at once, not after a few ticks
    intervals = tick_intervals(qtbot, monkeypatch, [0.05] * 5 + [0.0] * 6)
    assert intervals[:5] == [qt_plots.SLOWEST_REFRESH_MS] * 5
    assert intervals[-1] == qt_plots.REFRESH_MS  # back to 5 Hz once drawing is cheap


def test_the_refresh_interval_is_the_last_ones_cost_over_the_budget(qtbot, monkeypatch):
    from ftstudio.gui import qt_plots

    intervals = tick_intervals(qtbot, monkeypatch, [0.012, 0.012, 0.003])
    budget = qt_plots.GUI_CPU_BUDGET
    assert intervals[0] == round(12 / budget) == intervals[1]  # steady: share == budget
    assert intervals[2] == max(qt_plots.REFRESH_MS, round(3 / budget))


def test_a_warmup_climbs_to_the_runs_peak_lr_under_a_fixed_top(plots):
    """Each new range redraws an axis (issue 15): with the run's peak learning rate known
    when it starts, the lr axis does not grow with a warmup, tick after tick."""
    plots.set_peak_lr(0.01)
    changes = []
    box = plots.lr_plot.getPlotItem().getViewBox()
    box.sigYRangeChanged.connect(lambda *a: changes.append(box.viewRange()[1]))
    for start in range(1, 31, 5):
        plots.add_steps([(s, 1.0, 0.01 * min(1.0, s / 20)) for s in range(start, start + 5)])
        plots.refresh()
    assert changes == []
    low, high = plots.lr_plot.getPlotItem().viewRange()[1]
    assert high >= 0.01 > 0.8 * high  # the peak near the top: the curve uses the height
    plots.reset("classification", epochs=3, steps=30)  # no peak known (an older run)
    box.sigYRangeChanged.connect(lambda *a: changes.append(box.viewRange()[1]))
    for start in range(1, 31, 5):
        plots.add_steps([(s, 1.0, 0.01 * min(1.0, s / 20)) for s in range(start, start + 5)])
        plots.refresh()
    assert len(changes) > 2  # the control: grown with the warmup


def test_a_runs_start_redraws_no_axis_before_the_next_refresh(window):
    """The run's first batches share the cores with the GUI thread (issue 8's starter lost
    its first epoch to it): its length and peak lr wait for the curves' next refresh."""
    panel = window.training
    plots = panel.plots
    plots.reset("classification", epochs=3, steps=1)
    changes = []
    for plot in (plots.loss_plot, plots.lr_plot, plots.metric_plot):
        box = plot.getPlotItem().getViewBox()
        box.sigXRangeChanged.connect(lambda *a: changes.append("x"))
        box.sigYRangeChanged.connect(lambda *a: changes.append("y"))
    info = {"epochs": 3, "start_epoch": 0, "batches_per_epoch": 10, "steps_per_epoch": 10,
            "peak_lr": 0.01, "device": "cpu"}  # fmt: skip
    panel.runner.started.emit(info)
    assert changes == []
    plots.refresh()
    assert changes  # the control: the start's ranges are drawn at the refresh
    low, high = plots.loss_plot.getPlotItem().viewRange()[0]
    assert low < 1 and 29 < high < 32  # the whole run: 30 steps
    assert 0.01 < plots.lr_plot.getPlotItem().viewRange()[1][1] < 0.013


def test_the_left_axes_keep_their_width_whatever_the_tick_labels(plots, qtbot):
    """A wider tick label used to widen its axis: a relayout and more repaints of the plot
    on each new range (a run's first curves were painted four times)."""
    axes = [p.getPlotItem().getAxis("left") for p in (plots.loss_plot, plots.metric_plot,
                                                      plots.lr_plot)]  # fmt: skip
    plots.show()
    qtbot.waitExposed(plots)
    before = [axis.width() for axis in axes]
    plots.add_steps([(s, 10.0 ** (4 - s / 10), 0.5 * 10.0 ** (-s / 20)) for s in range(1, 90)])
    plots.add_epoch({"epoch": 1, "step": 89, "train_loss": 1e-4, "train_accuracy": 0.123})
    plots.refresh()
    for _ in range(2):  # paint now (the axes measure their labels), then any relayout
        for plot in (plots.loss_plot, plots.metric_plot, plots.lr_plot):
            plot.viewport().repaint()
        QApplication.processEvents()
    assert [axis.width() for axis in axes] == before
    assert len(set(before)) == 1  # the three plots' areas line up


def test_a_runs_first_refresh_waits_for_its_first_batches_and_not_on_a_progress_tick(window):
    from ftstudio.gui import qt_plots, qt_training_panel

    panel = window.training
    panel.plots.start()
    try:
        first = panel.plots.timer.interval()
        assert first == qt_plots.FIRST_REFRESH_MS > qt_plots.REFRESH_MS
        assert first % qt_training_panel.PROGRESS_MS != 0  # the two timers never fire together
    finally:
        panel.plots.stop()
    assert not panel.plots.timer.isActive()


def test_no_frame_is_drawn_that_the_runs_end_would_replace_soon(qtbot, monkeypatch):
    """A run's last LAST_FRAME_S (a short run's whole training) is not drawn mid-way: its
    end draws it all; points never wait longer than HOLD_AT_MOST_S, nor when the end is far."""
    from ftstudio.gui import qt_plots

    plots = QtTrainingPlots()
    qtbot.addWidget(plots)
    clock = {"wall": 100.0, "cpu": 10.0, "left": 0.4}
    monkeypatch.setattr(qt_plots.time, "monotonic", lambda: clock["wall"])
    monkeypatch.setattr(qt_plots.time, "thread_time", lambda: clock["cpu"])
    plots.seconds_left = lambda: clock["left"]

    def drawn() -> int:
        x = plots.curves["step_loss"].getOriginalDataset()[0]
        return 0 if x is None else len(x)

    def tick(seconds: float) -> None:
        clock["wall"] += seconds
        plots._tick()

    plots.start()
    plots.add_steps(points(20))
    tick(1.5)
    assert drawn() == 0  # the batches end within LAST_FRAME_S: held
    tick(qt_plots.HOLD_AT_MOST_S - 0.1)
    assert drawn() == 0
    tick(0.2)
    assert drawn() == 20  # held long enough (a long validation after the last batch)
    plots.add_steps(points(30, start=21))
    clock["left"] = qt_plots.LAST_FRAME_S + 5
    tick(0.2)
    assert drawn() == 30  # the end is far: drawn at once
    plots.add_steps(points(40, start=31))
    clock["left"] = None  # unknown (paused, or no progress yet): drawn
    tick(0.2)
    assert drawn() == 40
    plots.add_steps(points(50, start=41))
    clock["left"] = 0.0
    tick(0.2)
    assert drawn() == 40
    plots.stop()  # the run's end draws what was held
    assert drawn() == 50 and not plots.timer.isActive()
