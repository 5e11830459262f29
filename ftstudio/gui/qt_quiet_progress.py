"""A progress bar that never keeps an animation running.

Fusion animates a progress bar that has been busy (range 0-0) and then stands at its minimum:
about 60 repaints a second, each repainting its parents' background under it. Drawn without
a style object the bar is not repainted, but then the style's animation has no target and
nothing stops it until the bar next shows progress: the application's animation timer ticks
60 times a second meanwhile, waking the GUI thread, which takes CPU from a run (issue 15).
So the style animates a plain QObject instead: it accepts none of the animation's updates,
and the style stops an animation whose target declines one, at its first frame.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QProgressBar, QStyle, QStyleOptionProgressBar, QStylePainter


class QuietProgressBar(QProgressBar):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._animation_sink = QObject(self)  # declines the style's animation updates

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter = QStylePainter(self)
        option = QStyleOptionProgressBar()
        self.initStyleOption(option)
        option.styleObject = self._animation_sink  # the style's animation stops at once
        painter.drawControl(QStyle.CE_ProgressBar, option)
