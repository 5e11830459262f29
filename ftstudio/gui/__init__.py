"""The PySide6 window: a thin skin over :mod:`ftstudio.core` (the only package importing Qt)."""

from ftstudio.gui.pyside_fixes import keep_none_alive

keep_none_alive()
