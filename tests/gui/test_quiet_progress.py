"""The progress bars (training, evaluate) leave no animation running: neither repaints while
nothing changes, nor wakes the GUI thread with the application's 60 Hz animation timer."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QProgressBar

from ftstudio.gui.qt_quiet_progress import QuietProgressBar


class EventCounter(QObject):
    """Counts paints of one widget, and the ticks of Qt's animation timer (a timer event on
    its animation driver: it runs only while some animation does)."""

    def __init__(self, widget):
        super().__init__()
        self.widget = widget
        self.paints = self.animation_ticks = 0
        QApplication.instance().installEventFilter(self)

    def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
        if event.type() == QEvent.Paint and obj is self.widget:
            self.paints += 1
        elif event.type() == QEvent.Timer and "Animation" in obj.metaObject().className():
            self.animation_ticks += 1
        return False

    def remove(self):
        QApplication.instance().removeEventFilter(self)


def idle_after_busy(qtbot, bar: QProgressBar) -> EventCounter:
    """A bar that was busy (as before a run's first batch) and then stands at its start."""
    qtbot.addWidget(bar)
    bar.resize(300, 24)
    bar.setRange(0, 0)
    bar.show()
    qtbot.waitExposed(bar)
    qtbot.wait(100)  # the style's busy animation, if any, is running now
    bar.setRange(0, 100)
    bar.setValue(0)
    qtbot.wait(100)  # an animation that stops does so within a few frames
    counter = EventCounter(bar)
    qtbot.wait(300)  # a span of time to count in, not a synchronisation
    counter.remove()
    bar.hide()
    qtbot.wait(50)  # the stock bar's animation stops once its bar is hidden
    return counter


def test_a_bar_at_its_start_after_a_busy_phase_is_not_repainted_60_times_a_second(qtbot):
    stock = idle_after_busy(qtbot, QProgressBar())  # Fusion: ~18 paints in 300 ms
    quiet = idle_after_busy(qtbot, QuietProgressBar())
    assert quiet.paints <= 2 and (quiet.paints < stock.paints or stock.paints <= 2)


def test_no_animation_timer_is_left_ticking_after_a_busy_phase(qtbot):
    stock = idle_after_busy(qtbot, QProgressBar())
    assert stock.animation_ticks > 5  # the control: Fusion's animation runs at 60 Hz
    quiet = idle_after_busy(qtbot, QuietProgressBar())
    assert quiet.animation_ticks <= 1


def test_no_animation_timer_is_left_ticking_while_a_bar_moves(qtbot):
    bar = QuietProgressBar()
    qtbot.addWidget(bar)
    bar.resize(300, 24)
    bar.setRange(0, 100)
    bar.show()
    qtbot.waitExposed(bar)
    for value in (10, 40, 70):  # a run's progress, drawn once a second
        bar.setValue(value)
        qtbot.wait(50)
    qtbot.wait(100)
    counter = EventCounter(bar)
    qtbot.wait(300)
    counter.remove()
    assert counter.animation_ticks <= 1
    assert counter.paints <= 2


def test_the_training_panels_bar_is_the_quiet_one(window):
    assert isinstance(window.training.progress, QuietProgressBar)
