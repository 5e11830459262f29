"""Follow the README's five-minute walkthrough in the window, offscreen, as a user would click
it, and save a screenshot of each step (the README shows them).

    python scripts/walkthrough.py PROJECT.ftproj SCREENSHOT_DIR

The script opens the starter, dismisses the hint and saves it as PROJECT, adds a
Self-attention block after the CNN (a shape error), inserts the suggested adapter,
unfreezes the CNN's last stage, saves, trains (the README's epochs) and prints each step's
outcome; the command line steps (evaluate, export, predict.py) follow in the README.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path


def main(project: str, shots: str) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("FTSTUDIO_RECOVERY_DIR", tempfile.mkdtemp())
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from ftstudio.gui.qt_main_window import QtMainWindow

    app = QApplication([])
    out = Path(shots)
    out.mkdir(parents=True, exist_ok=True)
    settings = QSettings(os.path.join(tempfile.mkdtemp(), "s.ini"), QSettings.IniFormat)
    window = QtMainWindow(settings=settings)
    window.resize(1360, 860)
    window.show()

    def wait(condition, what: str, seconds: float = 300) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                raise SystemExit(f"stuck: {what}")
            app.processEvents()
            time.sleep(0.02)

    def settled() -> None:
        wait(lambda: window.validator.idle and window.validator.report is not None, "validation")
        app.processEvents()

    def shot(name: str) -> None:
        app.processEvents()
        window.grab().save(str(out / name))

    settled()
    shot("walkthrough-1-starter.png")  # the first-run hint on the starter
    names = [b.label for b in window.doc.blocks]
    print(f"1. starter: {' > '.join(names)}; hint: {window.first_run_hint.label.text()}")
    window.first_run_hint.close_button.click()  # its X
    window.dialogs.save_project_path = lambda suggested: project  # the Save dialog's answer
    window.actions["save"].trigger()  # Ctrl+S
    assert window.doc.project.path is not None and Path(project).is_file(), "not saved"
    print(f"   saved as {window.doc.project.path}; hint dismissed")

    # 2. add a block: Self-attention dropped between the CNN and Flatten
    window.model.insert_type(1, "self_attention")
    settled()
    issue = window.validator.report.issue
    print(f"2. added Self-attention: {issue.title}: {issue.message} (fix: {issue.fix})")
    window.stack_view.select_row(issue.index)
    shot("walkthrough-2-shape-error.png")

    # 3. fix it: the Properties panel's "Insert ..." button
    assert window.insert_suggested_fix(issue.index)
    settled()
    report = window.validator.report
    print(f"3. inserted the suggested block: shapes ok = {report.ok}")
    print(
        "   "
        + " > ".join(
            f"{b.label} {tuple(r.out_shape)}"
            for b, r in zip(window.doc.blocks, report.blocks, strict=True)
        )
    )

    # 4. freeze a stage: the CNN is frozen; let its last stage train
    window.stack_view.expandAll()
    stages = window.model._stages.get("backbone", [])
    window.model.set_stage_frozen(0, stages[-1], False)
    settled()
    spec = window.doc.blocks[0]
    print(f"4. CNN stages {stages}: frozen {spec.frozen_stages}, {stages[-1]} trains")
    window.stack_view.select_row(0)
    shot("walkthrough-4-stage.png")

    # 5. save (Ctrl+S) and train (Ctrl+T)
    window.actions["save"].trigger()
    panel = window.training
    assert panel.train_action.isEnabled(), panel.state.text()
    panel.train()
    wait(lambda: not panel.runner.running, "training", seconds=900)
    print(f"5. trained: {panel.summary and panel.summary['status']}, run folder {panel.run_dir}")
    final = (panel.summary or {}).get("final", {})
    print(f"   final: {final}")
    shot("walkthrough-5-trained.png")
    window.shutdown()
    return 0 if panel.summary and panel.summary["status"] == "finished" else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2]))
