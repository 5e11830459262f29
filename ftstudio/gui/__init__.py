"""The PySide6 window: a thin skin over :mod:`ftstudio.core` (the only package importing Qt)."""
