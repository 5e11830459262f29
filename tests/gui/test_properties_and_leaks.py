"""The generated parameter form, and the QThread/QTimer leak check itself."""

import pytest
from PySide6.QtCore import QSettings, QThread, QTimer
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QSpinBox

from ftstudio.core import blocks


def test_form_follows_the_param_schema(window):
    window.stack_view.select_row(0)  # mlp
    props = window.properties
    schema = {p.name: p for p in blocks.get("mlp").params}
    hidden = props.editor("hidden")
    assert isinstance(hidden, QSpinBox)
    assert hidden.minimum() == schema["hidden"].minimum
    assert hidden.maximum() == schema["hidden"].maximum
    assert hidden.value() == window.doc.blocks[0].params["hidden"]
    assert isinstance(props.editor("dropout"), QDoubleSpinBox)
    combo = props.editor("activation")
    assert isinstance(combo, QComboBox)
    assert [combo.itemText(i) for i in range(combo.count())] == list(schema["activation"].choices)
    window.stack_view.select_row(1)
    assert isinstance(props.editor("residual"), QCheckBox)


def test_editor_commits_and_invalid_value_is_refused(window):
    window.stack_view.select_row(0)
    props = window.properties
    props.editor("hidden").setValue(72)
    assert window.doc.blocks[0].params["hidden"] == 72
    before = dict(window.doc.blocks[0].params)
    assert not props.apply_param("hidden", -5)
    assert "hidden" in props.message.text() and "between" in props.message.text()
    assert window.doc.blocks[0].params == before
    assert props.editor("hidden").value() == 72  # the form shows the kept value


def test_leak_check_sees_running_timers_and_threads(leak_scan):
    timer = QTimer()
    thread = QThread()
    timer.start(1000)
    thread.start()
    leaks = leak_scan()
    assert any("QTimer" in leak for leak in leaks)
    assert any("QThread" in leak for leak in leaks)
    timer.stop()
    thread.quit()
    thread.wait()
    assert leak_scan() == []


def test_a_window_that_fails_to_build_stops_its_validation_thread(
    qtbot, tmp_path, monkeypatch, leak_scan
):
    from ftstudio.gui import qt_main_window

    def broken(self):
        raise RuntimeError("broken widget")

    monkeypatch.setattr(qt_main_window.QtMainWindow, "_build_widgets", broken)
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat)
    with pytest.raises(RuntimeError, match="broken widget"):
        qt_main_window.QtMainWindow(settings=settings, recovery_dir=tmp_path)
    assert leak_scan() == []
