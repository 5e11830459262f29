"""Live training curves: loss per step (raw and EMA-smoothed) and per epoch, accuracy or MAE
per epoch with the best epoch marked, and the learning rate per step.

The window shares the machine's cores with training (and, on a thread, its GIL), so drawing
is kept cheap (issue 15): points come in batches into numpy buffers and reach the curves with
``setData`` on a slow timer (5 Hz at most, slower when the GUI thread's last interval cost
more than 1% of a core); axis ranges are set by us, in coarse steps, never auto-ranged on
every update (a new range redraws the axes, pyqtgraph's dearest paint); axes are cached as
pixmaps and drawn opaque (:mod:`~ftstudio.gui.opaque_axis`); peak downsampling and
clip-to-view keep long runs fast; pens are 1 px and opaque; the finite check stays on
because a loss can become NaN.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QGraphicsItem,
    QHBoxLayout,
    QLabel,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from ftstudio.gui.opaque_axis import OpaqueGridAxis
from ftstudio.gui.plot_series import Ema, Series, grown_span, log_range, upper_bound

REFRESH_MS = 200  # 5 Hz: enough for curves, and every refresh is a repaint on the GUI thread
SLOWEST_REFRESH_MS = 3000
# A run's first refresh draws its ranges and first curves, every axis anew (20-30 ms, the
# dearest of a run): after its first batches, a short run's whole training, and half a
# second after the first progress update (PROGRESS_MS), so the two never add up to one stall
FIRST_REFRESH_MS = 1500
# of one core: the run waits for about as much, so the refresh slows down to stay within
GUI_CPU_BUDGET = 0.01
# a frame the run's end would replace within this is not drawn (a short run's whole
# training: its only frame mid-run cost it 2-3%); new points wait at most HOLD_AT_MOST_S,
# the longest a run's frames are apart anyway, so a held frame never looks late
LAST_FRAME_S = 2.0
HOLD_AT_MOST_S = SLOWEST_REFRESH_MS / 1000
TRAIN_COLOR = "#1f77b4"
VAL_COLOR = "#d62728"
STEP_COLOR = "#c6dbef"  # raw step loss, faint under its smoothed curve
SMOOTH_COLOR = "#6baed6"
LR_COLOR = "#2ca02c"
BEST_COLOR = "#ff7f0e"
DEFAULT_SMOOTHING = 0.6
PERCENT_TICKS = [
    [(v / 100, f"{v}%") for v in range(0, 101, 20)],
    [(v / 100, "") for v in range(10, 100, 20)],
]
LEFT_AXIS_WIDTH = 56  # px, the axis label and the widest tick text ("0.0001", "100%")
LOSS_KEYS = ("step_loss", "smooth_loss", "train_loss", "val_loss")


def _plot(title: str, x_label: str, y_label: str) -> pg.PlotWidget:
    axes = {side: OpaqueGridAxis(side) for side in ("left", "bottom")}
    widget = pg.PlotWidget(background="w", axisItems=axes)  # white: see OpaqueGridAxis
    item = widget.getPlotItem()
    item.setTitle(title, color="#222", size="10pt")
    for side, text in (("bottom", x_label), ("left", y_label)):
        axis = item.getAxis(side)
        axis.setPen(pg.mkPen("#555", width=1))
        axis.setTextPen(pg.mkPen("#222"))
        axis.setLabel(text, color="#222")
        axis.enableAutoSIPrefix(False)  # never "accuracy (x0.001)"
        axis.setCacheMode(QGraphicsItem.DeviceCoordinateCache)  # repaint = blit
        axis.setZValue(-200)  # its opaque grid under the curves (the view box is at -100)
    # a fixed width: a wider tick label would resize the axis, relayout and repaint the plot
    # again (a run's first curves were painted four times over)
    item.getAxis("left").setWidth(LEFT_AXIS_WIDTH)
    item.showGrid(x=True, y=True, alpha=0.25)
    item.setDownsampling(auto=True, mode="peak")
    item.setClipToView(True)
    item.setMenuEnabled(False)
    item.disableAutoRange()  # ranges come from _fit_ranges, in coarse steps
    item.hideButtons()
    widget.setMinimumSize(200, 120)
    return widget


def _curve(plot: pg.PlotWidget, name: str | None, color: str, symbol: str | None = None):
    kwargs: dict[str, Any] = {"pen": pg.mkPen(color, width=1), "name": name}
    if symbol:
        kwargs.update(symbol=symbol, symbolSize=5, symbolPen=None, symbolBrush=color)
    return plot.plot(**kwargs)  # finite check left on (skipFiniteCheck=False): NaN -> gap


class QtTrainingPlots(QWidget):
    """The three plots; feed with :meth:`add_steps` / :meth:`add_epoch`, drawn at 5 Hz."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.loss_plot = _plot("Loss", "optimizer step", "loss (log scale)")
        self.loss_plot.getPlotItem().setLogMode(y=True)  # early steps would flatten the rest
        self.loss_plot.getPlotItem().disableAutoRange()  # setLogMode turned it back on
        self.metric_plot = _plot("Accuracy", "epoch", "accuracy")
        self.lr_plot = _plot("Learning rate", "optimizer step", "learning rate")
        self.lr_plot.getPlotItem().setTitle("Learning rate", color="#222", size="9pt")
        # legends where the curves usually are not: loss falls, accuracy rises
        for plot, offset in ((self.loss_plot, (-8, 8)), (self.metric_plot, (-8, -8))):
            plot.getPlotItem().addLegend(offset=offset, labelTextColor="#222", brush="#ffffffe0")
        self.series = {
            "step_loss": Series(4096),
            "smooth_loss": Series(4096),
            "train_loss": Series(),
            "val_loss": Series(),
            "train_metric": Series(),
            "val_metric": Series(),
            "lr": Series(4096),
        }
        self.curves = {
            "step_loss": _curve(self.loss_plot, None, STEP_COLOR),  # raw, under the smoothed
            "smooth_loss": _curve(self.loss_plot, "train (per step)", SMOOTH_COLOR),
            "train_loss": _curve(self.loss_plot, "train (epoch mean)", TRAIN_COLOR, "o"),
            "val_loss": _curve(self.loss_plot, "validation", VAL_COLOR, "o"),
            "train_metric": _curve(self.metric_plot, "train", TRAIN_COLOR, "o"),
            "val_metric": _curve(self.metric_plot, "validation", VAL_COLOR, "o"),
            "lr": _curve(self.lr_plot, None, LR_COLOR),
        }
        self.best_line = pg.InfiniteLine(
            angle=90, movable=False, pen=pg.mkPen(BEST_COLOR, width=1, style=Qt.DashLine)
        )
        self.best_point = pg.ScatterPlotItem(
            size=12, symbol="star", pen=None, brush=pg.mkBrush(BEST_COLOR)
        )
        self.metric_plot.addItem(self.best_line, ignoreBounds=True)
        self.metric_plot.addItem(self.best_point)
        self.best_epoch: int | None = None
        self.ema = Ema(DEFAULT_SMOOTHING)
        self.regression = False
        self._epochs = 1
        self._steps = 1.0
        self._ranges: dict[str, Any] = {}
        self._tops: dict[str, float | None] = {}
        self._dirty: set[str] = set()  # series with points not drawn yet
        self._pending_start: tuple[int, int, float | None] | None = None
        self._overlay = None
        self._build_smoothing()
        self.timer = QTimer(self)
        self.timer.setObjectName("ftstudio-plot-refresh")
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self._tick)
        self._clock = (0.0, 0.0)  # (wall, GUI-thread CPU) at the last tick
        # the run's batches left, in seconds (None: unknown, or paused); the panel sets it
        self.seconds_left: Callable[[], float | None] = lambda: None
        self._held_since: float | None = None
        self._layout()
        self.reset()

    def _build_smoothing(self) -> None:
        self.smoothing = QSlider(Qt.Horizontal, objectName="smoothing")
        self.smoothing.setRange(0, 99)
        self.smoothing.setValue(round(DEFAULT_SMOOTHING * 100))
        self.smoothing.setToolTip("EMA smoothing of the per-step loss (0: raw points)")
        self.smoothing.setMaximumWidth(160)
        self.smoothing_label = QLabel(objectName="smoothingLabel")
        self.smoothing.valueChanged.connect(self._smoothing_changed)
        self._smoothing_changed(self.smoothing.value())

    def _layout(self) -> None:
        row = QHBoxLayout()
        row.setContentsMargins(4, 0, 4, 0)
        row.addWidget(QLabel("Smoothing"))
        row.addWidget(self.smoothing)
        row.addWidget(self.smoothing_label)
        row.addStretch(1)
        left = QVBoxLayout()
        left.setContentsMargins(0, 0, 0, 0)
        left.setSpacing(0)
        left.addLayout(row)
        left.addWidget(self.loss_plot, 1)
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.setSpacing(2)
        right.addWidget(self.metric_plot, 3)
        right.addWidget(self.lr_plot, 2)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(left, 3)
        layout.addLayout(right, 2)

    # ------------------------------------------------------------ feeding

    def overlay(self):
        """Earlier runs drawn over these curves (:class:`~ftstudio.gui.qt_runs_overlay.RunsOverlay`:
        ``set_runs``, ``set_visible``), made on first use."""
        if self._overlay is None:
            from ftstudio.gui.qt_runs_overlay import RunsOverlay

            self._overlay = RunsOverlay(self.loss_plot, self.metric_plot)
            self._overlay.changed = self.overlay_changed
        return self._overlay

    def reset(self, task: str = "classification", epochs: int = 1, steps: int = 1) -> None:
        """Empty the curves for a new run of ``epochs`` epochs and ``steps`` optimizer steps."""
        for series in self.series.values():
            series.clear()
        self.ema.reset()
        self.best_epoch = None
        self.best_line.hide()
        self.best_point.setData([], [])
        self.regression = task == "regression"
        name = "MAE" if self.regression else "Accuracy"
        item = self.metric_plot.getPlotItem()
        item.setTitle(name, color="#222", size="10pt")
        axis = item.getAxis("left")
        axis.setLabel("mean absolute error" if self.regression else "accuracy")
        axis.setTicks(None if self.regression else PERCENT_TICKS)  # 0-1 read as 0%-100%
        item.legend.setOffset((-8, 8) if self.regression else (-8, -8))  # MAE falls
        self._ranges, self._tops = {}, {}
        self._pending_start = None
        self.set_run_length(epochs, steps)
        self._dirty = set(self.series)
        self.refresh()

    def set_run_length(self, epochs: int, steps: int) -> None:
        """Fix the x ranges to the whole run (known once it starts): no rescale as it goes."""
        self._epochs = max(1, int(epochs))
        self._steps = float(max(1, int(steps)))
        for plot in (self.loss_plot, self.lr_plot):
            plot.getPlotItem().setXRange(0, self._steps, padding=0.02)
        self.metric_plot.getPlotItem().setXRange(0.5, self._epochs + 0.5, padding=0)
        self.metric_plot.getPlotItem().getAxis("bottom").setTickSpacing(
            major=max(1, self._epochs // 8 + (self._epochs % 8 > 0)), minor=1
        )

    def run_started(self, epochs: int, steps: int, peak_lr: float | None) -> None:
        """The run's length and peak learning rate, drawn at the next refresh (not now: a
        new range redraws the axes, and now is the run's first batches)."""
        self._pending_start = (epochs, steps, peak_lr)

    def _apply_run_start(self) -> None:
        if self._pending_start is not None:
            (epochs, steps, peak_lr), self._pending_start = self._pending_start, None
            self.set_run_length(epochs, steps)
            self.set_peak_lr(peak_lr)

    def set_peak_lr(self, lr: float | None) -> None:
        """The run's highest learning rate (its schedules only scale it down): the top of the
        learning-rate axis, which then never moves during warmup."""
        if lr and math.isfinite(lr) and lr > 0:
            self._tops["lr"] = lr * 1.1
            self._set_y("lr", self.lr_plot, (0.0, self._tops["lr"]))

    def start(self) -> None:
        self._held_since = None
        self.timer.setInterval(FIRST_REFRESH_MS)
        self.timer.start()
        self._clock = (time.monotonic(), time.thread_time())

    def _tick(self) -> None:
        """Refresh, and set the next interval so the GUI thread's CPU (drawing, signals, all
        of it) stays within :data:`GUI_CPU_BUDGET`: the run shares the machine's cores.

        The interval is what the last one cost over the budget, at once (a tick that cost
        20 ms waits 2 s), so a short run is not drawn at 5 Hz before the pace adapts."""
        wall, cpu = time.monotonic(), time.thread_time()
        used = max(0.0, cpu - self._clock[1])
        self._clock = (wall, cpu)
        wanted = round(1000 * used / GUI_CPU_BUDGET)
        interval = min(SLOWEST_REFRESH_MS, max(REFRESH_MS, wanted))
        if interval != self.timer.interval():
            self.timer.setInterval(interval)
        if not self._hold(wall):
            self.refresh()

    def _hold(self, now: float) -> bool:
        """Skip this tick's frame: the run's batches end within :data:`LAST_FRAME_S`, and
        the end (:meth:`stop`) draws it all; never for longer than :data:`HOLD_AT_MOST_S`
        (a long validation after the last batch)."""
        left = self.seconds_left()
        if left is None or left >= LAST_FRAME_S or not self._dirty:
            self._held_since = None
            return False
        if self._held_since is None:
            self._held_since = now
        return now - self._held_since < HOLD_AT_MOST_S

    def stop(self) -> None:
        """Stop the timer and draw what came in since the last tick."""
        self.timer.stop()
        self.refresh()

    def add_step(self, step: int, loss: float, lr: float = float("nan")) -> None:
        self.add_steps([(step, loss, lr)])

    def add_steps(self, points) -> None:
        """A batch of ``(step, loss, lr)`` points (as the worker sends them)."""
        if not len(points):
            return
        data = np.asarray(points, dtype=float).reshape(len(points), -1)
        steps, losses = data[:, 0], data[:, 1]
        self.series["step_loss"].extend(steps, losses)
        self.series["smooth_loss"].extend(steps, self.ema(losses))
        self._dirty.update(("step_loss", "smooth_loss"))
        if data.shape[1] > 2:
            self.series["lr"].extend(steps, data[:, 2])
            self._dirty.add("lr")

    def add_epoch(self, row: dict[str, Any]) -> None:
        """One epoch row (``metrics.csv``): loss at its step, accuracy/MAE at its epoch.

        ``row["best"]`` (the run's monitor improved) moves the best-epoch marker there.
        """
        step, epoch = row["step"], row["epoch"]
        for key in ("train_loss", "val_loss"):
            if _number(row.get(key)):
                self.series[key].append(step, row[key])
                self._dirty.add(key)
        for split in ("train", "val"):
            value = row.get(f"{split}_accuracy", row.get(f"{split}_mae"))
            if _number(value):
                self.series[f"{split}_metric"].append(epoch, value)
                self._dirty.add(f"{split}_metric")
        if row.get("best"):
            self.best_epoch = int(epoch)

    def _smoothing_changed(self, value: int) -> None:
        weight = value / 100
        self.smoothing_label.setText(f"{weight:.2f}")
        self.ema.weight = weight
        self.ema.reset()
        raw = self.series["step_loss"] if hasattr(self, "series") else None
        if raw is None:
            return
        smooth = self.series["smooth_loss"]
        smooth.clear()
        smooth.extend(raw.x, self.ema(raw.y))
        self._dirty.add("smooth_loss")
        self.refresh()

    # ------------------------------------------------------------ drawing

    def refresh(self) -> None:
        self._apply_run_start()
        if not self._dirty:
            return
        dirty, self._dirty = self._dirty, set()
        for key in dirty:  # only what changed: the epoch curves (with symbols) rarely do
            series = self.series[key]
            self.curves[key].setData(series.x.copy(), series.y.copy())
        self.curves["step_loss"].setVisible(self.ema.weight > 0)  # else it is the same curve
        self._draw_best()
        self._fit_ranges()
        self._show_legends()

    def _draw_best(self) -> None:
        metric = self.series["val_metric"] if self.series["val_metric"].size else None
        metric = metric or self.series["train_metric"]
        if self.best_epoch is None or not metric.size:
            return
        self.best_line.setValue(self.best_epoch)
        self.best_line.show()
        at = np.nonzero(metric.x == self.best_epoch)[0]
        if at.size:
            self.best_point.setData([self.best_epoch], [metric.y[at[-1]]])
        self.best_line.setToolTip(f"Best epoch: {self.best_epoch}")

    def _fit_ranges(self) -> None:
        """Set axis ranges only when the data leaves them (each change redraws an axis).

        The ranges hold the live run and the overlaid earlier runs that are shown."""
        loss_x, losses = self._points(self.loss_plot, LOSS_KEYS)
        span = grown_span(self._steps, loss_x.max(initial=0))
        if span != self._steps:
            self._steps = span
            for plot in (self.loss_plot, self.lr_plot):
                plot.getPlotItem().setXRange(0, span, padding=0.02)
        epochs, metric = self._points(self.metric_plot, ("train_metric", "val_metric"))
        if epochs.max(initial=0) > self._epochs:
            self.set_run_length(int(grown_span(self._epochs, epochs.max())), int(self._steps))
        self._set_y("loss", self.loss_plot, log_range(losses, self._ranges.get("loss")))
        if self.regression:
            self._set_y("metric", self.metric_plot, (0.0, self._top("mae", metric)))
        else:
            self._set_y("metric", self.metric_plot, (0.0, 1.0))
        self._set_y("lr", self.lr_plot, (0.0, self._top("lr", self.series["lr"].y)))

    def _points(self, plot: pg.PlotWidget, keys: tuple[str, ...]):
        """All x and y values drawn on ``plot``: the live ``keys`` and shown overlaid runs."""
        xs = [self.series[k].x for k in keys]
        ys = [self.series[k].y for k in keys]
        for item in self._overlay_items(plot):
            x, y = item.getOriginalDataset()
            if x is not None and y is not None:
                xs.append(np.asarray(x, float))
                ys.append(np.asarray(y, float))
        return np.concatenate(xs), np.concatenate(ys)

    def _overlay_items(self, plot: pg.PlotWidget) -> list:
        if self._overlay is None:
            return []
        mine = plot.getPlotItem().items
        return [
            item
            for run in self._overlay.runs.values()
            for item in run.items
            if item.isVisible() and item in mine
        ]

    def overlay_changed(self) -> None:
        """Overlaid runs were added, removed, shown or hidden: fit the ranges to them."""
        self._fit_ranges()

    def _top(self, key: str, values: np.ndarray) -> float:
        self._tops[key] = upper_bound(values, self._tops.get(key))
        return self._tops[key] or 1.0

    def _set_y(self, key: str, plot: pg.PlotWidget, bounds: tuple[float, float]) -> None:
        if self._ranges.get(key) != bounds:
            self._ranges[key] = bounds
            plot.getPlotItem().setYRange(*bounds, padding=0.08)  # room for the end labels
            if key == "loss":
                plot.getPlotItem().getAxis("left").setTicks(log_ticks(*bounds))

    def _show_legends(self) -> None:
        """A legend only once its plot has points: on empty plots it named nothing."""
        for plot, keys in (
            (self.loss_plot, LOSS_KEYS),
            (self.metric_plot, ("train_metric", "val_metric")),
        ):
            plot.getPlotItem().legend.setVisible(any(self.series[k].size for k in keys))


def log_ticks(lo: float, hi: float) -> list[list[tuple[float, str]]]:
    """Ticks of a log10 axis from 10^lo to 10^hi: every decade labelled, 2 and 5 too when
    there is room (up to 3 decades), other minor ticks unlabelled (pyqtgraph's own labels
    every minor tick and piles them up on a short axis)."""
    decades = range(int(math.floor(lo)), int(math.ceil(hi)) + 1)
    labelled = (2, 5) if hi - lo <= 3 else ()
    major = [(float(k), f"{10.0**k:g}") for k in decades]
    named = [(math.log10(m) + k, f"{m * 10.0**k:g}") for k in decades for m in labelled]
    minor = [(math.log10(m) + k, "") for k in decades for m in range(2, 10) if m not in labelled]
    return [major, named, minor]


def _number(value: Any) -> bool:
    """A float or int (NaN included: the curve's finite check draws it as a gap)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)
