"""The window side of ``gui_training.py``: one real ``QtMainWindow`` (offscreen) in its own
process, trained run after run on request.

:class:`WindowSession` starts this file as a subprocess; :func:`window_child` is that
process: each ``run`` line on its stdin clicks Train under ``app.exec()`` (``run probe``: with a
timer probe on the GUI thread), and prints the run's figures on one line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


class WindowSession:
    """One window (a subprocess) that trains the case run after run, each on request, so
    its runs alternate with the headless ones a few seconds apart (the machine's speed
    drifts over tens of seconds) and its start-up is paid once."""

    def __init__(self, case: dict, out: Path):
        spec = json.dumps({**{k: case[k] for k in ("path", "blocks")}, "out": str(out),
                           "evaluate": case.get("evaluate", False),
                           "switch_interval": case.get("switch_interval"),
                           "backend": case["backend"], "cold": case["cold"],
                           "probe_ms": case["probe_ms"]})  # fmt: skip
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", FTSTUDIO_TRAINING=case["backend"],
                   FTSTUDIO_TRAINING_STANDBY="0" if case["cold"] else "1")  # fmt: skip
        out.mkdir(parents=True, exist_ok=True)
        self.log = open(out / "window-stderr.txt", "w")
        self.proc = subprocess.Popen(
            [sys.executable, __file__, spec],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True, env=env,
        )  # fmt: skip

    def run(self, probe: bool) -> dict:
        """One run; ``probe``: with the GUI-thread probe, which measures the stalls but wakes
        the GUI thread 200 times a second (its throughput is not the window's own)."""
        t0 = time.perf_counter()
        self.proc.stdin.write("run probe\n" if probe else "run\n")
        self.proc.stdin.flush()
        for line in self.proc.stdout:
            if line.startswith(RESULT_MARK):
                result = json.loads(line[len(RESULT_MARK) :])
                result["wall_s"] = time.perf_counter() - t0
                return result
        raise RuntimeError(f"the window exited early; see {self.log.name}")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
        self.proc.wait(timeout=60)
        self.log.close()


RESULT_MARK = "BENCH-RESULT "


def window_child(spec: dict) -> None:
    """In its own process: the real window under ``app.exec()``. Each ``run`` line on stdin
    clicks Train (``run probe``: a 5 ms probe on while it trains) and prints the run's
    figures; ``quit``
    closes the window. Between runs the GUI thread waits on stdin, so an idle window takes
    nothing from the headless runs."""
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from ftstudio.core import project as project_io
    from ftstudio.core.blocks.custom import load_blocks_file

    app = QApplication([])
    if spec.get("switch_interval"):
        sys.setswitchinterval(spec["switch_interval"])
    if spec["blocks"]:
        load_blocks_file(spec["blocks"])
    from ftstudio.gui.qt_main_window import QtMainWindow

    out = Path(spec["out"])
    settings = QSettings(str(out / "settings.ini"), QSettings.IniFormat)
    win = QtMainWindow(project_io.load(spec["path"]), settings=settings,
                       recovery_dir=out / "recovery")  # fmt: skip
    win.resize(1400, 900)
    win.show()
    panel = win.training
    ticks: list[float] = []
    probe = QTimer()
    probe.setInterval(max(1, spec["probe_ms"]))
    probe.timeout.connect(lambda: ticks.append(time.perf_counter()))
    state: dict = {"evaluate": None}
    events: list[tuple[str, float]] = []
    cpu_at: dict[str, float] = {}  # the GUI thread's CPU time when the run started / finished
    for name in ("started", "epoch", "finished"):
        signal = getattr(panel.runner, name)
        signal.connect(lambda *a, name=name: events.append((name, time.perf_counter())))
        if name != "epoch":
            signal.connect(lambda *a, name=name: cpu_at.setdefault(name, time.thread_time()))

    def next_command() -> None:
        command = sys.stdin.readline().split()
        if command[:1] == ["run"]:
            state["probe"] = command[1:] == ["probe"] and spec["probe_ms"] > 0
            ticks.clear()
            events.clear()
            cpu_at.clear()
            start()
        else:
            app.quit()

    def start() -> None:
        standby = panel.runner.standby
        warming = spec["backend"] == "process" and not spec["cold"]
        if (
            not win.validator.idle
            or not panel.train_action.isEnabled()
            or (warming and (standby is None or not standby.warm.is_set()))
        ):
            QTimer.singleShot(50, start)
            return
        if spec["evaluate"] and state["evaluate"] is None:
            state["evaluate"] = open_evaluate_view(win)
        if state["probe"]:
            probe.start()
        state["cpu0"] = (time.thread_time(), time.process_time())
        events.append(("click", time.perf_counter()))
        panel.train_action.trigger()

    def ended() -> None:
        probe.stop()
        state["gui_cpu_s"] = time.thread_time() - state["cpu0"][0]
        state["cpu_s"] = time.process_time() - state["cpu0"][1]
        state["run_s"] = time.perf_counter() - events[0][1]
        QTimer.singleShot(0, report)  # after the other slots of ``ended`` (the summary)

    def report() -> None:
        gaps = np.diff(np.array(ticks)) * 1000 if len(ticks) > 1 else np.zeros(1)
        t0 = events[0][1]
        long = [
            (round((ticks[i] - t0) * 1000), round(float(g))) for i, g in enumerate(gaps) if g > 30
        ]
        result = {
            "run_dir": str(panel.run_dir),
            "status": (panel.summary or {}).get("status", panel.last_error),
            "probe": state["probe"],
            "gaps_ms": [round(float(g), 2) for g in gaps] if state["probe"] else [],
            "evaluate_open": state["evaluate"],
            "gui_cpu_s": state["gui_cpu_s"],  # CPU time of the GUI thread from click to end
            "cpu_s": state["cpu_s"],  # of the whole process (all its threads)
            "run_s": state["run_s"],
            "start_s": next((t - t0 for name, t in events if name == "started"), float("nan")),
            # GUI-thread CPU from the run's start to its end, per second: what the window
            # takes from the run's cores; unlike the samples/s ratio it hardly moves with load
            "gui_ms_per_s": 1000
            * (cpu_at["finished"] - cpu_at["started"])
            / max(1e-3, _span(events)),
            "events_ms": [(name, round((t - t0) * 1000)) for name, t in events],
            "long_gaps_ms": long,  # (ms after the click the gap began, its length)
        }
        state["result"] = result
        when_quiet()

    def when_quiet() -> None:
        """Report once the window's next standby process is warm: it imports torch (seconds
        of CPU), which would otherwise slow the headless run the bench starts next."""
        runner = panel.runner
        if spec["backend"] == "process" and not spec["cold"]:
            if runner.standby is None:
                runner.standby_timer.stop()
                runner.prepare_standby()  # now, not STANDBY_DELAY_MS after the run
            if runner.standby is not None and not runner.standby.warm.is_set():
                QTimer.singleShot(50, when_quiet)
                return
        print(RESULT_MARK + json.dumps(state.pop("result")), flush=True)
        next_command()

    panel.runner.ended.connect(ended)
    QTimer.singleShot(0, next_command)
    app.exec()
    win.dialogs = _Discard()
    win.close()


def _span(events: list[tuple[str, float]]) -> float:
    times = dict(reversed(events))  # the first of each name
    return dict(events)["finished"] - times["started"]


class _Discard:
    def ask_save_changes(self, name):
        return "discard"

    def confirm_stop_training(self):
        return True


def open_evaluate_view(win) -> bool:
    """Show and raise the Evaluate dock if this window has one (issue 8's evaluate view)."""
    dock = getattr(getattr(win, "evaluation", None), "dock", None)
    if dock is None:
        return False
    dock.show()
    dock.raise_()
    return True


if __name__ == "__main__":
    window_child(json.loads(sys.argv[1]))
