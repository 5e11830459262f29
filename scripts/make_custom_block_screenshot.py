"""Write the screenshot of custom blocks in the stack (the seed-sequence-custom template).

python scripts/make_custom_block_screenshot.py docs/screenshots/custom-block.png
"""

from __future__ import annotations

import os
import sys
import tempfile
import time


def main(out: str) -> None:
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ["FTSTUDIO_RECOVERY_DIR"] = tempfile.mkdtemp()
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from ftstudio.core.templates import load_template
    from ftstudio.gui.qt_main_window import QtMainWindow

    app = QApplication([])
    settings = QSettings(os.path.join(tempfile.mkdtemp(), "s.ini"), QSettings.IniFormat)
    window = QtMainWindow(load_template("seed-sequence-custom"), settings=settings)
    window.resize(1360, 860)
    window.show()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (window.validator.idle and window.validator.report):
        app.processEvents()
        time.sleep(0.02)
    window.stack_view.select_row(1)
    app.processEvents()
    window.grab().save(out)
    window.shutdown()


if __name__ == "__main__":
    main(sys.argv[1])
