"""A progress bar that never animates.

Fusion animates a progress bar that has been busy (range 0-0) and then stands at its minimum:
about 60 repaints a second, each repainting its parents' background under it. During a run
that is several percent of a core taken from training, for a bar that shows nothing new.
Drawn without its style object, the style has nothing to animate; it looks the same.
"""

from __future__ import annotations

from PySide6.QtWidgets import QProgressBar, QStyle, QStyleOptionProgressBar, QStylePainter


class QuietProgressBar(QProgressBar):
    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter = QStylePainter(self)
        option = QStyleOptionProgressBar()
        self.initStyleOption(option)
        option.styleObject = None  # no style animation for this bar
        painter.drawControl(QStyle.CE_ProgressBar, option)
