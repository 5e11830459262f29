"""Small icons drawn with QPainter: one coloured tile per block category, a lock, badges."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap

from ftstudio.core.resources import RESOURCES

APP_ICON_SVG = RESOURCES / "icons" / "ftstudio.svg"

CATEGORY_STYLE = {
    "Backbones": ("#2f6db5", "B"),
    "Feature extractors": ("#2e8b57", "F"),
    "Attention": ("#8a4fbf", "A"),
    "Adapters": ("#c07a12", "↔"),
    "Heads": ("#b8405e", "H"),
}
ERROR_BG = QColor("#f8d0d0")
ERROR_FG = QColor("#9b1c1c")
OK_FG = QColor("#1e7b34")
UNKNOWN_FG = QColor("#777777")


@cache
def category_icon(category: str) -> QIcon:
    color, letter = CATEGORY_STYLE.get(category, ("#666666", "?"))
    size = 32
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setBrush(QColor(color))
    painter.setPen(Qt.NoPen)
    painter.drawRoundedRect(QRectF(2, 2, size - 4, size - 4), 6, 6)
    painter.setPen(QColor("white"))
    font = QFont()
    font.setBold(True)
    font.setPixelSize(18)
    painter.setFont(font)
    painter.drawText(QRectF(0, 0, size, size), Qt.AlignCenter, letter)
    painter.end()
    return QIcon(pixmap)


@cache
def app_icon() -> QIcon:
    """The application icon (resources/icons/ftstudio.svg; packaging/ has PNG sizes)."""
    icon = QIcon(str(APP_ICON_SVG))
    return icon if not icon.isNull() else category_icon("Backbones")
