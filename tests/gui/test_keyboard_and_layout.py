"""Keyboard-only use of the form and palette, and layout that reads at a glance."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication


def focused_editor_name() -> str:
    widget = QApplication.focusWidget()
    while widget is not None and not widget.objectName().startswith("param_"):
        widget = widget.parentWidget()
    return widget.objectName() if widget is not None else ""


def test_tab_after_an_edit_moves_to_the_next_field(window, qtbot, settle):
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    window.stack_view.select_row(0)  # mlp: hidden, layers, ...
    hidden = window.properties.editor("hidden")
    hidden.setFocus()
    qtbot.waitUntil(hidden.hasFocus)
    hidden.lineEdit().selectAll()
    qtbot.keyClicks(hidden, "99")
    qtbot.keyClick(hidden, Qt.Key_Tab)
    settle(window)
    assert window.doc.blocks[0].params["hidden"] == 99
    assert focused_editor_name() == "param_layers"  # not thrown back to the stack
    layers = window.properties.editor("layers")
    assert layers.hasFocus()  # the live editor of the rebuilt form
    layers.lineEdit().selectAll()
    qtbot.keyClicks(layers, "3")
    qtbot.keyClick(layers, Qt.Key_Tab)
    settle(window)
    assert window.doc.blocks[0].params["layers"] == 3
    assert focused_editor_name() == "param_activation"


def test_the_fix_button_fits_the_properties_dock(window, qtbot, settle):
    window.show()
    qtbot.waitExposed(window)
    window.model.insert_type(1, "sequence_pool")  # attention now gets (B, 64)
    settle(window)
    window.stack_view.select_row(2)
    props = window.properties
    qtbot.waitUntil(props.fix_button.isVisible)
    assert "Sequence from vector" in props.fix_button.text() + props.fix_button.toolTip()
    # a user can narrow the dock; a long block title must not push the form sideways
    window.resizeDocks([window.properties_dock], [240], Qt.Horizontal)
    scroll = window.properties_dock.widget()
    qtbot.waitUntil(lambda: window.properties_dock.width() <= 250)
    assert props.minimumSizeHint().width() <= scroll.viewport().width()
    qtbot.waitUntil(lambda: scroll.horizontalScrollBar().maximum() == 0)
    props.fix_button.click()
    settle(window)
    assert window.validator.report.ok


def test_palette_shows_block_titles_unelided(window, qtbot):
    window.show()
    qtbot.waitExposed(window)
    view = window.palette.view
    qtbot.waitUntil(lambda: view.viewport().width() >= view.sizeHintForColumn(0))
    titles = [view.model().index(r, 0, g).data() for g, r in _type_rows(view.model())]
    assert "Channel projection (1x1 conv)" in titles
    assert "Transformer encoder layer" in titles


def _type_rows(model):
    for g in range(model.rowCount()):
        group = model.index(g, 0)
        for r in range(model.rowCount(group)):
            yield group, r


def test_filter_and_enter_appends_a_block(window, qtbot, settle):
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    palette = window.palette
    palette.filter.setFocus()
    qtbot.waitUntil(palette.filter.hasFocus)
    qtbot.keyClicks(palette.filter, "layernorm")  # exactly one match
    n = len(window.doc.blocks)
    qtbot.keyClick(palette.filter, Qt.Key_Return)
    settle(window)
    assert [b.type for b in window.doc.blocks[n:]] == ["layer_norm"]
    palette.filter.clear()
    qtbot.keyClicks(palette.filter, "pool")  # several: the first gets the keyboard
    qtbot.keyClick(palette.filter, Qt.Key_Return)
    assert palette.view.hasFocus()
    qtbot.keyClick(palette.view, Qt.Key_Down)
    qtbot.keyClick(palette.view, Qt.Key_Return)
    settle(window)
    assert window.doc.blocks[-1].type == palette.visible_types()[1]


def test_plot_legends_appear_with_the_first_points(qtbot):
    from ftstudio.gui.qt_plots import QtTrainingPlots

    plots = QtTrainingPlots()
    qtbot.addWidget(plots)
    loss_legend = plots.loss_plot.getPlotItem().legend
    metric_legend = plots.metric_plot.getPlotItem().legend
    assert not loss_legend.isVisible() and not metric_legend.isVisible()
    plots.add_step(1, 2.0)
    plots.refresh()
    assert loss_legend.isVisible() and not metric_legend.isVisible()
    plots.add_epoch({"step": 1, "epoch": 0, "train_loss": 1.5, "train_accuracy": 0.5})
    plots.refresh()
    assert metric_legend.isVisible()
    plots.reset()  # a new run starts empty again
    assert not loss_legend.isVisible() and not metric_legend.isVisible()


def test_the_keyboard_starts_on_the_model_not_the_palette_filter(window, qtbot):
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    assert QApplication.focusWidget() is window.stack_view
    assert not window.palette.filter.hasFocus()  # no blinking cursor repainting the palette
