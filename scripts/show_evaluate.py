"""Open the window on a trained project with the Evaluate dock showing, for the screenshots.

    python scripts/show_evaluate.py PROJECT evaluate        # evaluate, click the worst cell
    python scripts/show_evaluate.py PROJECT try SAMPLE      # Try a sample on a file

Then take the shot, e.g. with a 1400x900 screen:
    screenshot docs/screenshots/evaluate.png --wait 30 -- python scripts/show_evaluate.py ...
The window stays open until closed; it uses throw-away settings (the default layout).
"""

from __future__ import annotations

import os
import sys
import tempfile


def main(project_path: str, mode: str, sample: str | None = None) -> int:
    os.environ.setdefault("FTSTUDIO_RECOVERY_DIR", tempfile.mkdtemp())
    from PySide6.QtCore import QSettings, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from ftstudio.core import project as project_io
    from ftstudio.gui.qt_main_window import QtMainWindow

    app = QApplication([])
    settings = QSettings(os.path.join(tempfile.mkdtemp(), "s.ini"), QSettings.IniFormat)
    window = QtMainWindow(project_io.load(project_path), settings=settings)
    window.move(0, 0)
    window.resize(1400, 900)
    window.show()
    docks = window.evaluation
    panel = docks.evaluate if mode == "evaluate" else docks.try_sample

    def worst_cell(result) -> None:
        n = len(result.confusion)
        cells = [(result.confusion[t][p], t, p) for t in range(n) for p in range(n) if t != p]
        count, t, p = max(cells)
        docks.evaluate.matrix.choose(t, p) if count else docks.evaluate.matrix.choose(0, 0)

    def start() -> None:
        docks.show_tab(panel)
        window.resizeDocks([docks.dock], [430], Qt.Vertical)
        if mode == "evaluate":
            docks.evaluate.evaluated.connect(worst_cell)
            docks.evaluate.evaluate()
        else:
            docks.try_sample.open(sample)

    QTimer.singleShot(1500, start)
    code = app.exec()
    window.shutdown()
    return code


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
