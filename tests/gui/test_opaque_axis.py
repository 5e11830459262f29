"""The curves' axes draw their ticks and grid opaque (issue 15): Qt blends a translucent
line's rows on its thread pool, whose wakings take cores from a run; the picture stays the
same (the colour the translucent line showed on white) and the grid lies under the curves."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from ftstudio.gui.opaque_axis import OpaqueGridAxis, opaque_over_white
from ftstudio.gui.qt_plots import QtTrainingPlots


def test_a_translucent_pen_becomes_the_colour_it_showed_on_white():
    pen = QPen(QColor(85, 85, 85, 64))
    out = opaque_over_white(pen)
    assert out.color().alpha() == 255
    level = round(85 * 64 / 255 + 255 * (1 - 64 / 255))
    assert out.color().getRgb()[:3] == (level, level, level)
    assert pen.color().alpha() == 64  # the caller's pen is left as it was
    solid = QPen(QColor(10, 20, 30))
    assert opaque_over_white(solid) is solid


def tick_pens(axis: pg.AxisItem) -> list[QPen]:
    image = QImage(10, 10, QImage.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    try:
        _, ticks, _ = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [pen for pen, _, _ in ticks]


def test_the_curves_grid_is_opaque_and_under_the_curves(qtbot):
    plots = QtTrainingPlots()
    qtbot.addWidget(plots)
    plots.resize(900, 300)
    plots.show()
    plots.reset("classification", epochs=5, steps=100)
    plots.add_steps([(s, 1.0 / s, 0.01) for s in range(1, 60)])
    plots.refresh()
    for plot in (plots.loss_plot, plots.metric_plot, plots.lr_plot):
        item = plot.getPlotItem()
        for side in ("left", "bottom"):
            axis = item.getAxis(side)
            assert isinstance(axis, OpaqueGridAxis)
            assert axis.grid is not False  # the grid is still drawn
            pens = tick_pens(axis)
            assert pens and all(pen.color().alpha() == 255 for pen in pens)
            assert axis.zValue() < item.getViewBox().zValue()


def test_a_plain_axis_grid_would_be_translucent(qtbot):
    """What the subclass changes: pyqtgraph's own grid pens are translucent."""
    widget = pg.PlotWidget(background="w")
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    widget.getPlotItem().showGrid(x=True, y=True, alpha=0.25)
    widget.getPlotItem().setXRange(0, 100)
    pens = tick_pens(widget.getPlotItem().getAxis("bottom"))
    assert any(pen.color().alpha() < 255 for pen in pens)
