"""Smoke runs of an installed FT Studio (the wheel check, the desktop bundle's smoke script).

``FTSTUDIO_SMOKE=show ftstudio`` opens the window, prints ``window shown`` after its first
paint and closes it. ``FTSTUDIO_SMOKE=train`` then also presses Train once the first
validation allows it, prints each epoch, stops after the first one and closes. The exit code
is 0 when it all worked. Nothing here runs unless that variable is set.
"""

from __future__ import annotations

import os

from PySide6.QtWidgets import QApplication

from ftstudio.gui.qt_first_paint import QtAfterFirstPaint

MODES = ("show", "train")


def requested() -> str | None:
    mode = os.environ.get("FTSTUDIO_SMOKE", "")
    return mode if mode in MODES else None


def attach(window, mode: str) -> None:
    """Drive ``window`` as ``mode`` says; ends the application with the smoke's exit code."""

    def finish(code: int, line: str) -> None:
        print(line, flush=True)
        window.close()
        QApplication.exit(code)

    def shown() -> None:
        print(f"window shown: {window.windowTitle()}", flush=True)
        if mode == "show":
            finish(0, "closing")
            return
        panel = window.training
        panel.runner.epoch.connect(
            lambda row: (print(f"trained epoch {row['epoch']}"), panel.stop())
        )
        panel.runner.error.connect(lambda message: print(f"training failed: {message}"))
        panel.runner.ended.connect(
            lambda: finish(0 if panel.last_error is None else 1, "training ended, closing")
        )
        if panel.train_action.isEnabled():
            panel.train()
        else:  # the first validation has not reported yet
            panel.train_action.changed.connect(start_once)

    def start_once() -> None:
        panel = window.training
        if panel.train_action.isEnabled() and not panel.runner.running and panel.train():
            panel.train_action.changed.disconnect(start_once)

    window.smoke_hook = QtAfterFirstPaint(window, shown)
