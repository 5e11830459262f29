"""Earlier runs drawn over the training curves: each run toggled, its best epoch marked.

Each overlaid run gets one colour and two dashed curves: its validation loss (the training
loss when it had no validation) on the loss plot against the optimizer step, and its
validation accuracy or MAE on the metric plot against the epoch. A star marks its best epoch
(the epoch whose ``best.pt`` it kept) on both plots. The live run's curves are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyqtgraph as pg
from PySide6.QtCore import Qt

from ftstudio.core.run_history import RunRecord

COLORS = ("#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#555555")
LOSS_KEYS = ("val_loss", "train_loss")
METRIC_KEYS = ("val_accuracy", "val_mae", "train_accuracy", "train_mae")


def run_label(run: RunRecord) -> str:
    """A short name for the legend: the start time, else the folder name."""
    return run.started.strftime("%b %d %H:%M:%S") if run.started else run.name


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

    @property
    def items(self) -> list[pg.PlotDataItem]:
        return [i for i in (self.loss, self.metric) if i is not None] + self.markers


class RunsOverlay:
    """The overlaid runs of a loss plot and a metric plot, by run folder path."""

    def __init__(self, loss_plot: pg.PlotWidget, metric_plot: pg.PlotWidget):
        self.loss_plot, self.metric_plot = loss_plot, metric_plot
        self.runs: dict[str, OverlaidRun] = {}
        self._next_color = 0

    def set_runs(self, runs: list[RunRecord]) -> None:
        """Overlay exactly ``runs`` (new ones are drawn, others removed; visibility kept)."""
        wanted = {str(r.path): r for r in runs}
        for key in [k for k in self.runs if k not in wanted]:
            self._remove(key)
        for key, run in wanted.items():
            old = self.runs.get(key)
            if old is None:
                color = COLORS[self._next_color % len(COLORS)]
                self._next_color += 1
            else:  # read again (a resumed run has more epochs): same colour and visibility
                color, visible = old.color, self.is_visible(key)
                self._remove(key)
            self._add(key, run, color)
            if old is not None and not visible:
                self.set_visible(key, False)
        self._show_legends()

    def set_visible(self, key: str, visible: bool) -> None:
        """Show or hide one overlaid run (by its folder path) without forgetting it."""
        overlaid = self.runs.get(str(key))
        if overlaid is not None:
            for item in overlaid.items:
                item.setVisible(visible)
        self._show_legends()

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
        if loss_key is not None:
            points = [(r["step"], r[loss_key]) for r in rows if loss_key in r and "step" in r]
            overlaid.loss = self._curve(self.loss_plot, points, pen, f"{label} {loss_key}")
        if metric_key is not None:
            points = [(r["epoch"], r[metric_key]) for r in rows if metric_key in r]
            overlaid.metric = self._curve(self.metric_plot, points, pen, f"{label} {metric_key}")
        best = next((r for r in rows if r.get("epoch") == run.best_epoch), None)
        if best is not None:
            for plot, x_key, y_key in (
                (self.loss_plot, "step", loss_key),
                (self.metric_plot, "epoch", metric_key),
            ):
                if y_key in best and x_key in best:
                    overlaid.markers.append(self._marker(plot, best[x_key], best[y_key], color))
        self.runs[key] = overlaid

    def _curve(self, plot, points, pen, name: str) -> pg.PlotDataItem:
        x = [p[0] for p in points]
        y = [p[1] for p in points]
        item = pg.PlotDataItem(x, y, pen=pen, name=name, symbol="o", symbolSize=4)
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
        """A legend is shown while any overlaid run is (the plots show it for live points)."""
        if any(self.is_visible(k) for k in self.runs):
            for plot in (self.loss_plot, self.metric_plot):
                legend = plot.getPlotItem().legend
                if legend is not None:
                    legend.setVisible(True)
