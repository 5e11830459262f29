"""`ftstudio` with no command opens the window; without a display it says so instead of
letting Qt abort the process."""

import sys
import types

import pytest

from ftstudio.cli import main


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland check is Linux-only")
def test_no_display_gives_a_clear_message_and_exit_1(monkeypatch, capsys):
    opened = []
    fake_app = types.ModuleType("ftstudio.gui.app")
    fake_app.run_app = lambda path=None: opened.append(path) or 0
    monkeypatch.setitem(sys.modules, "ftstudio.gui.app", fake_app)
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert main([]) == 1
    err = capsys.readouterr().err
    assert "no display found" in err
    assert "ftstudio validate / train" in err
    assert opened == []

    monkeypatch.setenv("DISPLAY", ":0")
    assert main(["starter.ftproj"]) == 0
    assert opened == ["starter.ftproj"]
