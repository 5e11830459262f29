"""Write the screenshot of a timm backbone in the stack, its properties shown (issue 12).

python scripts/make_timm_screenshot.py docs/screenshots/timm-backbone.png
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

    from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block
    from ftstudio.gui.qt_main_window import QtMainWindow

    project = Project(name="timm resnet10t", input=InputSpec(shape=(3, 176, 176)))
    project.task = TaskSpec(num_classes=10)
    backbone = make_block("timm_backbone", project, architecture="resnet10t", weights="none")
    backbone.frozen_stages = ["stem", "stage1", "stage2"]
    project.blocks = [backbone, make_block("mlp", project, hidden=128)]
    project.blocks.append(make_block("linear_classifier", project, classes=10))
    app = QApplication([])
    settings = QSettings(os.path.join(tempfile.mkdtemp(), "s.ini"), QSettings.IniFormat)
    window = QtMainWindow(project, settings=settings)
    window.resize(1360, 860)
    window.show()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (window.validator.idle and window.validator.report):
        app.processEvents()
        time.sleep(0.02)
    window.stack_view.expandAll()  # the backbone's stages, three of them frozen
    window.stack_view.select_row(0)
    app.processEvents()
    window.grab().save(out)
    window.shutdown()


if __name__ == "__main__":
    main(sys.argv[1])
