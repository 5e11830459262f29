"""A progress bar that never keeps an animation running.

Fusion animates a progress bar that has been busy (range 0-0) and then stands at its minimum:
about 60 repaints a second, each repainting its parents' background under it. Drawn without
a style object the bar is not repainted, but then the style's animation has no target and
never stops: the application's animation timer ticks 60 times a second for good, waking the
GUI thread, which takes CPU from a run (issue 15). So the style animates a stand-in object
that declines the animation's first update, and the style stops it at once.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QProgressBar, QStyle, QStyleOptionProgressBar, QStylePainter


class _AnimationSink(QObject):
    """A style animation's target that declines every update (its ``event`` accepts none
    of them), so the animation stops at its first frame."""


class QuietProgressBar(QProgressBar):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._animation_sink = _AnimationSink(self)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter = QStylePainter(self)
        option = QStyleOptionProgressBar()
        self.initStyleOption(option)
        option.styleObject = self._animation_sink  # the style's animation stops at once
        painter.drawControl(QStyle.CE_ProgressBar, option)
