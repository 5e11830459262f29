"""GUI test fixtures: temporary settings and recovery folder, fake dialogs, and a check
that fails any test leaving a QThread or QTimer running, or a training process alive."""

from __future__ import annotations

import gc
import multiprocessing

import pytest
from PySide6.QtCore import QSettings, QThread, QTimer

from ftstudio.core.templates import load_template


def running_qt_objects() -> list[str]:
    """QThreads still running and QTimers still active, found by a gc scan."""
    gc.collect()
    leaks = []
    for obj in gc.get_objects():
        kind = type(obj)  # not isinstance: some lazy objects warn when probed
        try:
            if issubclass(kind, QThread) and obj.isRunning():
                leaks.append(f"QThread {obj.objectName() or obj!r} is still running")
            elif issubclass(kind, QTimer) and obj.isActive():
                leaks.append(f"QTimer {obj.objectName() or obj!r} is still active")
        except RuntimeError:  # the C++ object is already deleted
            continue
    for child in multiprocessing.active_children():  # also reaps the ones that ended
        leaks.append(f"process {child.name} (pid {child.pid}) is still alive")
    return leaks


@pytest.fixture
def leak_scan():
    return running_qt_objects


@pytest.fixture(autouse=True)
def no_leaked_qt_threads_or_timers(qapp):
    yield
    leaks = running_qt_objects()
    if leaks:
        pytest.fail("test left Qt work running: " + "; ".join(leaks), pytrace=False)


@pytest.fixture(autouse=True)
def temporary_settings(tmp_path, monkeypatch):
    """Never touch the user's settings or recovery file."""
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))
    monkeypatch.setenv("FTSTUDIO_RECOVERY_DIR", str(tmp_path / "recovery"))
    monkeypatch.setenv("FTSTUDIO_BLOCKS_DIR", str(tmp_path / "user_blocks"))
    monkeypatch.setenv("FTSTUDIO_TRAINING_STANDBY", "0")  # one test turns it on
    yield


class FakeDialogs:
    """Answers every question from attributes and records what it was asked."""

    def __init__(self):
        self.save_answer = "discard"
        self.open_path: str | None = None
        self.save_path: str | None = None
        self.recovery_answer = True
        self.run_code_answer = False
        self.memory_answer = False
        self.stop_training_answer = True  # closing mid-run: stop it (teardown closes windows)
        self.file_choice: str | None = None
        self.folder_choice: str | None = None
        self.errors: list[tuple[str, str]] = []
        self.asked: list[str] = []
        # export: an ExportRequest, None (cancel) or a function of the ExportOptions
        self.export_answer = None
        self.export_options = None  # the ExportOptions last offered
        self.overwrite_answer = False
        self.overwrite_reasons: list = []
        self.export_results: list = []
        self.shortcut_rows: list[list[tuple[str, str]]] = []  # one list per dialog shown
        self.about_texts: list[str] = []
        self.opened_documents: list[str] = []

    def ask_save_changes(self, name):
        self.asked.append("save_changes")
        return self.save_answer

    def show_error(self, title, message):
        self.errors.append((title, message))

    def open_project_path(self):
        return self.open_path

    def save_project_path(self, suggested):
        self.asked.append("save_path")
        return self.save_path

    def choose_file(self, title):
        self.asked.append("file")
        return self.file_choice

    def choose_blocks_file(self):
        self.asked.append("blocks_file")
        return self.file_choice

    def ask_run_code(self, message):
        self.asked.append(("run_code", message))
        return self.run_code_answer

    def choose_folder(self, title):
        self.asked.append("folder")
        return self.folder_choice

    def confirm_memory(self, shortfall):
        self.asked.append("memory")
        return self.memory_answer

    def confirm_stop_training(self):
        self.asked.append("stop_training")
        return self.stop_training_answer

    def offer_recovery(self, saved_at):
        self.asked.append("recovery")
        return self.recovery_answer

    def ask_export(self, options):
        self.asked.append("export")
        self.export_options = options
        answer = self.export_answer
        return answer(options) if callable(answer) else answer

    def ask_overwrite(self, folder, reason=None):
        self.asked.append("overwrite")
        self.overwrite_reasons.append(reason)
        return self.overwrite_answer

    def show_export_result(self, result, project_name):
        self.export_results.append(result)

    def show_shortcuts(self, rows):
        self.shortcut_rows.append(rows)

    def show_about(self, text):
        self.about_texts.append(text)

    def open_document(self, path):
        self.opened_documents.append(path)


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "ftstudio-test.ini"), QSettings.IniFormat)


@pytest.fixture
def make_window(qtbot, settings, tmp_path):
    """Factory: a main window on a template, with fake dialogs; waits for the first report."""
    from ftstudio.gui.qt_main_window import QtMainWindow

    windows = []

    def make(template: str = "seed-sequence", project=None, dialogs=None):
        window = QtMainWindow(
            project or load_template(template),
            settings=settings,
            dialogs=dialogs or FakeDialogs(),
            recovery_dir=tmp_path / "recovery",
        )
        qtbot.addWidget(window)
        windows.append(window)
        wait_settled(qtbot, window)
        return window

    yield make
    for window in windows:  # a real close: must stop the validation thread and timers
        window.dialogs.save_answer = "discard"
        window.close()


@pytest.fixture
def window(make_window):
    return make_window()


def wait_settled(qtbot, window) -> None:
    """Wait until the newest edit's validation report is shown."""
    qtbot.waitUntil(lambda: window.validator.idle, timeout=20000)


@pytest.fixture
def settle(qtbot):
    return lambda window: wait_settled(qtbot, window)
