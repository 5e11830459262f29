"""Live training curves: loss (per step and per epoch) and accuracy or MAE (per epoch).

pyqtgraph lessons applied: curves are created once; points go into numpy buffers and reach
the curves with ``setData`` on a throttled timer (15 Hz), not once per step; peak
downsampling and clip-to-view keep long runs fast; pens are 1 px and opaque; the finite check
stays on because a loss can become NaN.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QWidget

REFRESH_MS = 66  # ~15 Hz
TRAIN_COLOR = "#1f77b4"
VAL_COLOR = "#d62728"
STEP_COLOR = "#9ecae1"


class Series:
    """A growable pair of float arrays (amortised O(1) append, views without copies)."""

    def __init__(self, capacity: int = 256):
        self._x = np.empty(capacity)
        self._y = np.empty(capacity)
        self.size = 0

    def append(self, x: float, y: float) -> None:
        if self.size == len(self._x):
            self._x = np.resize(self._x, 2 * self.size)
            self._y = np.resize(self._y, 2 * self.size)
        self._x[self.size] = x
        self._y[self.size] = y
        self.size += 1

    def clear(self) -> None:
        self.size = 0

    @property
    def x(self) -> np.ndarray:
        return self._x[: self.size]

    @property
    def y(self) -> np.ndarray:
        return self._y[: self.size]


def _plot(title: str, x_label: str, y_label: str) -> pg.PlotWidget:
    widget = pg.PlotWidget(background="w")
    item = widget.getPlotItem()
    item.setTitle(title, color="#222", size="10pt")
    for side, text in (("bottom", x_label), ("left", y_label)):
        axis = item.getAxis(side)
        axis.setPen(pg.mkPen("#555", width=1))
        axis.setTextPen(pg.mkPen("#222"))
        axis.setLabel(text, color="#222")
    item.showGrid(x=True, y=True, alpha=0.25)
    item.setDownsampling(auto=True, mode="peak")
    item.setClipToView(True)
    item.setMenuEnabled(False)
    widget.setMinimumSize(240, 150)
    return widget


def _curve(plot: pg.PlotWidget, name: str, color: str, symbol: str | None = None):
    kwargs: dict[str, Any] = {"pen": pg.mkPen(color, width=1), "name": name}
    if symbol:
        kwargs.update(symbol=symbol, symbolSize=5, symbolPen=None, symbolBrush=color)
    return plot.plot(**kwargs)  # finite check left on (skipFiniteCheck=False): NaN -> gap


class QtTrainingPlots(QWidget):
    """The two plots; feed with :meth:`add_step` / :meth:`add_epoch`, drawn at ~15 Hz."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.loss_plot = _plot("Loss", "optimizer step", "loss (log scale)")
        self.loss_plot.getPlotItem().setLogMode(y=True)  # early steps would flatten the rest
        self.metric_plot = _plot("Accuracy", "epoch", "accuracy")
        # legends where the curves usually are not: loss falls, accuracy rises
        for plot, offset in ((self.loss_plot, (-8, 8)), (self.metric_plot, (-8, -8))):
            plot.getPlotItem().addLegend(offset=offset, labelTextColor="#222", brush="#ffffffe0")
        self.series = {
            "step_loss": Series(4096),
            "train_loss": Series(),
            "val_loss": Series(),
            "train_metric": Series(),
            "val_metric": Series(),
        }
        self.curves = {
            "step_loss": _curve(self.loss_plot, "train (per step)", STEP_COLOR),
            "train_loss": _curve(self.loss_plot, "train (epoch mean)", TRAIN_COLOR, "o"),
            "val_loss": _curve(self.loss_plot, "validation", VAL_COLOR, "o"),
            "train_metric": _curve(self.metric_plot, "train", TRAIN_COLOR, "o"),
            "val_metric": _curve(self.metric_plot, "validation", VAL_COLOR, "o"),
        }
        self._dirty = False
        self._show_legends()
        self.timer = QTimer(self)
        self.timer.setObjectName("ftstudio-plot-refresh")
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.loss_plot, 3)
        layout.addWidget(self.metric_plot, 2)

    _overlay = None

    def overlay(self):
        """Earlier runs drawn over these curves (:class:`~ftstudio.gui.qt_runs_overlay.RunsOverlay`:
        ``set_runs``, ``set_visible``), made on first use."""
        if self._overlay is None:
            from ftstudio.gui.qt_runs_overlay import RunsOverlay

            self._overlay = RunsOverlay(self.loss_plot, self.metric_plot)
        return self._overlay

    def reset(self, task: str = "classification") -> None:
        for series in self.series.values():
            series.clear()
        regression = task == "regression"
        name = "MAE" if regression else "Accuracy"
        item = self.metric_plot.getPlotItem()
        item.setTitle(name, color="#222", size="10pt")
        item.getAxis("left").setLabel("mean absolute error" if regression else "accuracy")
        item.legend.setOffset((-8, 8) if regression else (-8, -8))  # MAE falls, accuracy rises
        self._dirty = True
        self.refresh()

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        """Stop the timer and draw what came in since the last tick."""
        self.timer.stop()
        self.refresh()

    def add_step(self, step: int, loss: float) -> None:
        self.series["step_loss"].append(step, loss)
        self._dirty = True

    def add_epoch(self, row: dict[str, Any]) -> None:
        """One epoch row (``metrics.csv``): loss at its step, accuracy/MAE at its epoch."""
        step, epoch = row["step"], row["epoch"]
        for key in ("train_loss", "val_loss"):
            if _number(row.get(key)):
                self.series[key].append(step, row[key])
        for split in ("train", "val"):
            value = row.get(f"{split}_accuracy", row.get(f"{split}_mae"))
            if _number(value):
                self.series[f"{split}_metric"].append(epoch, value)
        self._dirty = True

    def refresh(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        for key, curve in self.curves.items():
            series = self.series[key]
            curve.setData(series.x.copy(), series.y.copy())
        self._show_legends()

    def _show_legends(self) -> None:
        """A legend only once its plot has points: on empty plots it named nothing."""
        for plot, keys in (
            (self.loss_plot, ("step_loss", "train_loss", "val_loss")),
            (self.metric_plot, ("train_metric", "val_metric")),
        ):
            plot.getPlotItem().legend.setVisible(any(self.series[k].size for k in keys))


def _number(value: Any) -> bool:
    """A float or int (NaN included: the curve's finite check draws it as a gap)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)
