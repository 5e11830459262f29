"""Issue 13 item 18: whatever the validator raises reaches the status bar as a message; the
window never stays at "Validating…"."""

from __future__ import annotations

import pytest

from ftstudio.gui import qt_validator


def nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"a": value}
    return value


def test_a_project_too_deep_to_copy_reaches_the_status_bar(window, settle):
    window.doc.project.data = {"validation": nested(100_000)}  # deepcopy: RecursionError
    window.validator.request()
    settle(window)
    assert window.status.validity.text() == "✗ Validation failed"
    assert "RecursionError" in window.status.currentMessage()
    window.doc.project.data = {}  # the window closes cleanly afterwards


@pytest.mark.parametrize("exc", [RuntimeError(), ValueError("x" * 100_000), RecursionError()])
def test_any_validator_exception_is_a_short_non_empty_message(window, settle, monkeypatch, exc):
    def broken(*args, **kwargs):
        raise exc

    monkeypatch.setattr(qt_validator, "validate", broken)
    window.validator.request()
    settle(window)
    message = window.status.currentMessage()
    assert window.status.validity.text() == "✗ Validation failed"
    assert message.startswith(f"Validation failed: {type(exc).__name__}: ")
    assert len(message) < 600 and message.count("\n") <= 2


def test_a_good_report_after_a_failure_clears_it(window, settle, monkeypatch):
    monkeypatch.setattr(qt_validator, "validate", lambda *a, **k: (_ for _ in ()).throw(OSError()))
    window.validator.request()
    settle(window)
    assert window.status.validity.text() == "✗ Validation failed"
    monkeypatch.undo()
    window.validator.request()
    settle(window)
    assert window.status.validity.text() == "✓ Shapes OK"
