"""The training panel's progress bar does not repaint itself while nothing changes."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QProgressBar

from ftstudio.gui.qt_quiet_progress import QuietProgressBar


class PaintCounter(QObject):
    def __init__(self, widget):
        super().__init__()
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
        if event.type() == QEvent.Paint:
            self.count += 1
        return False


def paints_while_idle(qtbot, bar: QProgressBar) -> int:
    """A bar that was busy (as before a run's first batch) and then stands at its start."""
    qtbot.addWidget(bar)
    bar.resize(300, 24)
    bar.setRange(0, 0)
    bar.show()
    qtbot.waitExposed(bar)
    qtbot.wait(100)  # the style's busy animation, if any, is running now
    bar.setRange(0, 100)
    bar.setValue(0)
    counter = PaintCounter(bar)
    qtbot.wait(300)  # a span of time to count repaints in, not a synchronisation
    return counter.count


def test_a_bar_at_its_start_after_a_busy_phase_is_not_repainted_60_times_a_second(qtbot):
    stock = paints_while_idle(qtbot, QProgressBar())  # Fusion: ~18 in 300 ms
    quiet = paints_while_idle(qtbot, QuietProgressBar())
    assert quiet <= 2 and (quiet < stock or stock <= 2)


def test_the_training_panels_bar_is_the_quiet_one(window):
    assert isinstance(window.training.progress, QuietProgressBar)
