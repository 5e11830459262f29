"""The README's keyboard shortcut table is the window's list (Help > Keyboard shortcuts)."""

from __future__ import annotations

from pathlib import Path

from ftstudio.gui.qt_help import shortcut_rows

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_shortcuts() -> dict[str, list[str]]:
    section = README.read_text(encoding="utf-8").split("\n## Keyboard shortcuts\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 2 and cells[0] not in ("action", "---"):
            rows[cells[0]] = [k.strip() for k in cells[1].split(",")]
    return rows


def test_the_readme_lists_every_shortcut_of_the_window_and_no_other(window):
    shown = readme_shortcuts()
    actual = {action: keys.split(", ") for action, keys in shortcut_rows(window)}
    assert set(shown) == set(actual), set(shown) ^ set(actual)
    for action, keys in shown.items():
        assert keys[0] == actual[action][0], action  # the main key first
        assert set(keys) <= set(actual[action]), action
