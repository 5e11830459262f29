"""FTSTUDIO_SMOKE (the installed-copy checks): 'show' reports the first paint and closes."""

from __future__ import annotations

from ftstudio.gui import qt_smoke


def test_only_known_modes_are_requested(monkeypatch):
    monkeypatch.setenv("FTSTUDIO_SMOKE", "show")
    assert qt_smoke.requested() == "show"
    monkeypatch.setenv("FTSTUDIO_SMOKE", "1")
    assert qt_smoke.requested() is None
    monkeypatch.delenv("FTSTUDIO_SMOKE")
    assert qt_smoke.requested() is None


def test_show_mode_says_the_window_was_shown_and_closes_it(make_window, qtbot, monkeypatch, capsys):
    window = make_window()
    codes: list[int] = []
    monkeypatch.setattr(qt_smoke.QApplication, "exit", staticmethod(codes.append))
    window.show()
    qt_smoke.attach(window, "show")
    qtbot.waitUntil(lambda: codes == [0], timeout=20000)
    assert not window.isVisible()
    assert "window shown: seed-sequence" in capsys.readouterr().out
