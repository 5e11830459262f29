"""Write the screenshot of two runs overlaid on the curves (the Runs dock).

    python scripts/make_runs_screenshot.py prepare /tmp/runs-shot   # trains two runs
    /work/shared/tools/screenshot docs/screenshots/runs-overlay.png --wait 45 -- \
        python scripts/make_runs_screenshot.py show /tmp/runs-shot

``prepare`` saves the starter project in the folder and trains it twice (two learning rates);
``show`` opens it (its earlier runs listed), ticks both runs and raises the Runs dock.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path


def prepare(folder: Path) -> None:
    from ftstudio.core import project as project_io
    from ftstudio.core.templates import load_template
    from ftstudio.core.training import train_project

    project = load_template("digits-transfer")
    project_io.save(project, folder / "digits.ftproj")
    project = project_io.load(folder / "digits.ftproj")
    for lr in (0.05, 0.003):
        train_project(project, {"epochs": 6, "lr": lr, "device": "cpu"})


def show(folder: Path) -> None:
    os.environ["FTSTUDIO_RECOVERY_DIR"] = tempfile.mkdtemp()
    from PySide6.QtCore import QSettings, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from ftstudio.core import project as project_io
    from ftstudio.gui.qt_main_window import QtMainWindow

    app = QApplication([])
    settings = QSettings(os.path.join(tempfile.mkdtemp(), "s.ini"), QSettings.IniFormat)
    window = QtMainWindow(project_io.load(folder / "digits.ftproj"), settings=settings)
    window.resize(1400, 900)
    window.show()

    def overlay() -> None:
        if not (window.validator.idle and window.validator.report):
            QTimer.singleShot(200, overlay)  # after the first validation: a settled window
            return
        window.runs_dock.raise_()
        window.resizeDocks([window.runs_dock], [470], Qt.Horizontal)
        for run in window.runs.runs:
            window.runs.set_ticked(run, True)
        window.runs.select(window.runs.runs[-1])

    QTimer.singleShot(1500, overlay)
    app.exec()
    window.shutdown()


if __name__ == "__main__":
    {"prepare": prepare, "show": show}[sys.argv[1]](Path(sys.argv[2]))
