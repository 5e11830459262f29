"""Drag and drop through the models' mime data, and keyboard/double-click appends."""

from PySide6.QtCore import QModelIndex, Qt

from ftstudio.core import blocks
from ftstudio.gui.qt_stack_model import COL_NAME


def ids(window):
    return [b.id for b in window.doc.blocks]


def types(window):
    return [b.type for b in window.doc.blocks]


def test_palette_drop_inserts_at_drop_row(window, settle):
    palette = window.palette.model
    data = palette.mimeData([palette.type_index("layer_norm")])
    assert window.model.dropMimeData(data, Qt.CopyAction, 1, 0, QModelIndex())
    assert types(window) == ["mlp", "layer_norm", "self_attention", "token_classifier"]
    settle(window)
    assert window.model.index(1, COL_NAME).data() == "LayerNorm"
    assert window.validator.report.blocks[1].out_shape == (100, 64)


def test_reorder_by_drag_moves_the_row(window):
    before = ids(window)
    data = window.model.mimeData([window.model.index(0, 0)])
    assert window.model.dropMimeData(data, Qt.MoveAction, 3, 0, QModelIndex())
    assert ids(window) == [before[1], before[2], before[0]]
    # dragging the last row up to the top
    data = window.model.mimeData([window.model.index(2, 0)])
    window.model.dropMimeData(data, Qt.MoveAction, 0, 0, QModelIndex())
    assert ids(window) == before
    assert window.model.rowCount() == 3


def test_move_keeps_view_rows_in_sync(window):
    window.stack_view.select_row(0)
    window.move_block(1)
    assert window.model.index(1, COL_NAME).data() == "Pretrained encoder (token symbols)"
    assert window.stack_view.selected_row() == 1


def test_enter_and_double_click_on_palette_append(window, qtbot):
    view = window.palette.view
    proxy = window.palette.proxy
    source = window.palette.model.type_index("dropout")
    view.setCurrentIndex(proxy.mapFromSource(source))
    qtbot.keyClick(view, Qt.Key_Return)
    assert types(window)[-1] == "dropout"
    with qtbot.waitSignal(window.palette.appendRequested):
        view.doubleClicked.emit(proxy.mapFromSource(window.palette.model.type_index("flatten")))
    assert types(window)[-2:] == ["dropout", "flatten"]


def test_palette_filter_and_tooltips(window):
    window.palette.filter.setText("attention")
    assert window.palette.visible_types() == ["self_attention"]
    window.palette.filter.clear()
    assert len(window.palette.visible_types()) > 10
    item = window.palette.model.itemFromIndex(window.palette.model.type_index("self_attention"))
    assert blocks.get("self_attention").description in item.toolTip()


def test_a_drop_among_a_backbones_stages_lands_after_the_backbone(make_window, settle):
    window = make_window("image-resnet18")  # backbone (5 stage rows), dropout, classifier
    model = window.model
    backbone = model.index(0, 0)
    assert model.rowCount(backbone) > 2
    data = window.palette.model.mimeData([window.palette.model.type_index("layer_norm")])
    assert model.dropMimeData(data, Qt.CopyAction, 2, 0, backbone)  # between two stages
    assert types(window)[:2] == ["torchvision_backbone", "layer_norm"]
    stage = model.index(1, 0, backbone)
    data = model.mimeData([model.index(3, 0)])  # the classifier, dropped onto a stage row
    assert model.dropMimeData(data, Qt.MoveAction, -1, 0, stage)
    assert types(window)[:2] == ["torchvision_backbone", "linear_classifier"]
    data = model.mimeData([model.index(1, 0)])  # onto a block row itself: before it
    assert model.dropMimeData(data, Qt.MoveAction, -1, 0, model.index(0, 0))
    assert types(window)[0] == "linear_classifier"
