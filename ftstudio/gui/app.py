"""Start the window: ``run_app(project_path_or_None) -> exit code``."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication


def run_app(project_path: str | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("ftstudio")  # settings and data under .../ftstudio/FT Studio
    app.setApplicationName("FT Studio")
    from ftstudio.gui.qt_main_window import QtMainWindow

    window = QtMainWindow()
    if project_path:
        window.files.open(project_path)
    else:
        window.files.offer_recovery()
    window.show()
    from ftstudio.gui import qt_smoke

    if mode := qt_smoke.requested():  # FTSTUDIO_SMOKE: checks of an installed copy
        qt_smoke.attach(window, mode)
    return app.exec()
