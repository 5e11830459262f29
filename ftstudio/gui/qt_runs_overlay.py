"""Earlier runs drawn over the training curves: each run toggled, its best epoch marked.

Each overlaid run gets one colour and two dashed curves: its validation loss (the training
loss when it had no validation) on the loss plot against the optimizer step, and its
validation accuracy or MAE on the metric plot against the epoch. A star marks its best epoch
(the epoch whose ``best.pt`` it kept) on both plots. The live run's curves are left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pyqtgraph as pg
from PySide6.QtCore import Qt

from ftstudio.core.run_history import RunRecord
from ftstudio.gui.qt_runs import COLORS, run_label

LOSS_KEYS = ("val_loss", "train_loss")
METRIC_KEYS = ("val_accuracy", "val_mae", "train_accuracy", "train_mae")


def _first_key(run: RunRecord, keys: tuple[str, ...]) -> str | None:
    present = run.curves.keys()
    return next((k for k in keys if k in present), None)


@dataclass
class OverlaidRun:
    """The plot items of one overlaid run (curves, then best-epoch markers)."""

    run: RunRecord
    color: str
    loss: pg.PlotDataItem | None = None
    metric: pg.PlotDataItem | None = None
    markers: list[pg.PlotDataItem] = field(default_factory=list)
    label: str = ""  # in the overlay's legend

    @property
    def items(self) -> list[pg.PlotDataItem]:
        return [i for i in (self.loss, self.metric) if i is not None] + self.markers


class RunsOverlay:
    """The overlaid runs of a loss plot and a metric plot, by run folder path."""

    def __init__(self, loss_plot: pg.PlotWidget, metric_plot: pg.PlotWidget):
        self.loss_plot, self.metric_plot = loss_plot, metric_plot
        self.runs: dict[str, OverlaidRun] = {}
        self._next_color = 0
        # its own legend, bottom left of the metric plot (accuracy on its 0-100% axis is high
        # there, a falling MAE has left it); the plots' legends name the live curves only
        self.legend = pg.LegendItem(offset=(8, -8), labelTextColor="#222", brush="#ffffffe0")
        self.legend.setParentItem(metric_plot.getPlotItem().vb)
        self.legend.setVisible(False)
        self.changed: Callable[[], None] = lambda: None  # the plots refit their ranges

    def set_runs(self, runs: list[RunRecord], colors: dict[str, str] | None = None) -> None:
        """Overlay exactly ``runs`` (new ones are drawn, others removed; visibility kept).

        ``colors``: a colour per run folder path (the Runs table shows the same); a run
        without one keeps its colour, or gets the next of :data:`COLORS`.
        """
        wanted = {str(r.path): r for r in runs}
        for key in [k for k in self.runs if k not in wanted]:
            self._remove(key)
        for key, run in wanted.items():
            old = self.runs.get(key)
            visible = old is None or self.is_visible(key)
            if old is not None:  # read again (a resumed run has more epochs)
                self._remove(key)
            color = (colors or {}).get(key) or (old.color if old else self._take_color())
            self._add(key, run, color)
            if not visible:
                self.set_visible(key, False)
        self._show_legends()
        self.changed()

    def _take_color(self) -> str:
        self._next_color += 1
        return COLORS[(self._next_color - 1) % len(COLORS)]

    def set_visible(self, key: str, visible: bool) -> None:
        """Show or hide one overlaid run (by its folder path) without forgetting it."""
        overlaid = self.runs.get(str(key))
        if overlaid is not None:
            for item in overlaid.items:
                item.setVisible(visible)
        self._show_legends()
        self.changed()

    def is_visible(self, key: str) -> bool:
        overlaid = self.runs.get(str(key))
        return overlaid is not None and any(i.isVisible() for i in overlaid.items)

    def clear(self) -> None:
        self.set_runs([])

    # ------------------------------------------------------------ items

    def _add(self, key: str, run: RunRecord, color: str) -> None:
        overlaid = OverlaidRun(run, color)
        label = run_label(run)
        pen = pg.mkPen(color, width=2, style=Qt.DashLine)
        loss_key, metric_key = _first_key(run, LOSS_KEYS), _first_key(run, METRIC_KEYS)
        rows = run.curves.epochs
        overlaid.label = label
        if loss_key is not None:
            points = [(r["step"], r[loss_key]) for r in rows if loss_key in r and "step" in r]
            overlaid.loss = self._curve(self.loss_plot, points, pen)
        if metric_key is not None:
            points = [(r["epoch"], r[metric_key]) for r in rows if metric_key in r]
            overlaid.metric = self._curve(self.metric_plot, points, pen)
        best = next((r for r in rows if r.get("epoch") == run.best_epoch), None)
        if best is not None:
            for plot, x_key, y_key in (
                (self.loss_plot, "step", loss_key),
                (self.metric_plot, "epoch", metric_key),
            ):
                if y_key in best and x_key in best:
                    overlaid.markers.append(self._marker(plot, best[x_key], best[y_key], color))
        self.runs[key] = overlaid

    def _curve(self, plot, points, pen) -> pg.PlotDataItem:
        x = [p[0] for p in points]
        y = [p[1] for p in points]
        item = pg.PlotDataItem(x, y, pen=pen, symbol="o", symbolSize=4)
        item.setSymbolBrush(pen.color())
        item.setSymbolPen(None)
        plot.getPlotItem().addItem(item)
        return item

    def _marker(self, plot, x: float, y: float, color: str) -> pg.PlotDataItem:
        item = pg.PlotDataItem([x], [y], pen=None, symbol="star", symbolSize=16)
        item.setSymbolBrush(color)
        item.setSymbolPen(pg.mkPen("#222", width=1))
        item.setToolTip(f"best epoch at {x:g}")
        plot.getPlotItem().addItem(item)  # no name: not in the legend
        return item

    def _remove(self, key: str) -> None:
        overlaid = self.runs.pop(key)
        for plot in (self.loss_plot, self.metric_plot):
            item_list = plot.getPlotItem().items
            for item in overlaid.items:
                if item in item_list:
                    plot.getPlotItem().removeItem(item)

    def _show_legends(self) -> None:
        """The overlay's legend names the runs shown (rebuilt), hidden when none is."""
        self.legend.clear()
        for key, overlaid in self.runs.items():
            sample = overlaid.metric or overlaid.loss
            if sample is not None and self.is_visible(key):
                self.legend.addItem(sample, overlaid.label)
        self.legend.setVisible(bool(self.legend.items))
