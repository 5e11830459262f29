"""Write the screenshot of the starter project training (the Training dock's curves).

    /work/shared/tools/screenshot docs/screenshots/training.png --wait 60 -- \
        python scripts/make_training_screenshot.py [EPOCHS]

Saves the starter project in a temporary folder, opens it, presses Train once the shapes are
checked, and leaves the window open (the shot is taken after ``--wait`` seconds).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path


def main(epochs: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="ftstudio-training-shot-"))
    os.environ["FTSTUDIO_RECOVERY_DIR"] = str(folder / "recovery")
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from ftstudio.core import project as project_io
    from ftstudio.core.templates import load_template
    from ftstudio.gui.qt_main_window import QtMainWindow

    project = load_template("digits-transfer")
    project.training["epochs"] = epochs
    project_io.save(project, folder / "digits.ftproj")
    app = QApplication([])
    settings = QSettings(str(folder / "s.ini"), QSettings.IniFormat)
    window = QtMainWindow(project_io.load(folder / "digits.ftproj"), settings=settings)
    window.resize(1400, 900)
    window.show()

    def train() -> None:
        if not window.validator.idle or not window.training.train_action.isEnabled():
            QTimer.singleShot(100, train)
            return
        window.training_dock.raise_()
        window.training.train_action.trigger()

    QTimer.singleShot(500, train)
    app.exec()
    window.shutdown()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 8)
