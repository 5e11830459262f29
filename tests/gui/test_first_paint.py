"""The window paints first; the first validation and the plots (pyqtgraph) come after."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject

from ftstudio.core.templates import load_template


class PaintSpy(QObject):
    def __init__(self, order: list[str]):
        super().__init__()
        self.order = order

    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            self.order.append("paint")
        return False


def test_the_first_validation_and_the_plots_wait_for_the_first_paint(qtbot, settings, tmp_path):
    from ftstudio.gui.qt_main_window import QtMainWindow

    order: list[str] = []
    window = QtMainWindow(
        load_template("seed-sequence"), settings=settings, recovery_dir=tmp_path / "recovery"
    )
    qtbot.addWidget(window)
    spy = PaintSpy(order)
    window.installEventFilter(spy)
    request = window.validator.request
    window.validator.request = lambda: (order.append("validate"), request())
    assert window.training._plots is None and not window.after_first_paint.done
    window.show()
    qtbot.waitUntil(lambda: window.after_first_paint.done, timeout=10000)
    assert order[:2] == ["paint", "validate"]
    assert window.training._plots is not None  # made after the paint
    qtbot.waitUntil(lambda: window.validator.idle, timeout=20000)
    assert window.validator.report is not None
    window.removeEventFilter(spy)
    window.close()


def test_a_window_never_shown_still_validates(qtbot, settings, tmp_path):
    from ftstudio.gui.qt_main_window import QtMainWindow

    window = QtMainWindow(
        load_template("seed-sequence"), settings=settings, recovery_dir=tmp_path / "recovery"
    )
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.validator.idle, timeout=20000)
    assert window.after_first_paint.done and window.validator.report is not None
    window.close()
