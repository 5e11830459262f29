"""The README's command line reference matches `ftstudio <command> --help`, both ways.

Every command and flag the README (and docs/) shows must exist in the help of that command,
and every command and flag of the help must be shown in the README's reference.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from ftstudio.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
GLOBAL_FLAGS = {"--blocks", "--trust"}  # on every command (see the "any command" lines)


def help_text(*argv: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as stop:
        main([*argv, "--help"])
    assert stop.value.code == 0
    return out.getvalue()


def help_commands() -> set[str]:
    text = help_text()
    section = text.split("COMMAND\n", 1)[1].split("\n\n", 1)[0]
    return {line.split()[0] for line in section.splitlines() if line.strip()}


def help_flags(command: str) -> set[str]:
    """The options `ftstudio COMMAND --help` lists (each option line, not its description)."""
    lines = help_text(command).splitlines()
    flags = set()
    for line in lines:
        match = re.match(r"^  (?:-\w, )?(--[a-z][a-z0-9-]*)", line)
        if match:
            flags.add(match.group(1))
    return flags - {"--help"}


@pytest.fixture(scope="module")
def flags_by_command() -> dict[str, set[str]]:
    return {command: help_flags(command) for command in help_commands()}


def readme_reference() -> list[str]:
    """The entries of the README's command line block: each starts at column 0."""
    section = README.read_text(encoding="utf-8").split("\n## Command line\n", 1)[1]
    block = section.split("```", 2)[1]
    entries: list[str] = []
    for line in block.splitlines()[1:]:
        if line and not line[0].isspace():
            entries.append(line)
        elif entries:
            entries[-1] += "\n" + line
    return entries


def entry_command(entry: str) -> str | None:
    """The command an entry shows; None for the window (`ftstudio [PROJECT]`)."""
    words = entry.split("ftstudio", 1)[1].split()
    return None if words[0].startswith("[") else words[0]


def test_help_lists_the_commands_the_cli_knows():
    assert help_commands() == set(COMMANDS)


def test_every_command_and_flag_in_the_readme_reference_exists(flags_by_command):
    assert len(readme_reference()) >= len(COMMANDS)
    for entry in readme_reference():
        if entry.startswith("--"):  # "--blocks FILE.py (any command, repeatable)"
            flag = entry.split()[0]
            assert "any command" in entry, entry
            for command, flags in flags_by_command.items():
                assert flag in flags, f"README: {flag} is not an option of {command}"
            continue
        assert entry.startswith(("ftstudio ", "torchrun ")), entry
        command = entry_command(entry)
        shown = set(FLAG.findall(entry.split("ftstudio", 1)[1]))
        if command is None:
            assert shown <= {"--help"}, f"README shows {shown} on the window command"
            continue
        assert command in flags_by_command, f"README shows unknown command {command!r}"
        missing = shown - flags_by_command[command]
        assert not missing, f"README: `ftstudio {command}` has no option {sorted(missing)}"


def test_the_readme_reference_shows_every_command_and_flag(flags_by_command):
    entries = readme_reference()
    shown: dict[str, set[str]] = {}
    for entry in entries:
        if entry.startswith("--"):
            continue
        command = entry_command(entry)
        if command is not None:
            first = (
                entry.split("\n", 1)[0]
                + "\n"
                + "\n".join(
                    line for line in entry.splitlines()[1:] if line.lstrip().startswith("[")
                )
            )  # the synopsis, not the description
            shown.setdefault(command, set()).update(FLAG.findall(first))
    assert set(shown) == set(flags_by_command)
    global_lines = {entry.split()[0] for entry in entries if entry.startswith("--")}
    assert global_lines == GLOBAL_FLAGS
    for command, flags in flags_by_command.items():
        missing = flags - GLOBAL_FLAGS - shown[command]
        assert not missing, f"README's synopsis of {command} lacks {sorted(missing)}"


def code_mentions(text: str) -> list[str]:
    """Inline code spans and lines of fenced blocks."""
    spans = re.findall(r"`([^`\n]+)`", text)
    fenced = re.findall(r"```[^\n]*\n(.*?)```", text, flags=re.S)
    return spans + [line for block in fenced for line in block.splitlines()]


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda p: p.name)
def test_commands_and_flags_shown_in_prose_exist(path, flags_by_command):
    every_flag = set().union(*flags_by_command.values()) | {"--help"}
    for code in code_mentions(path.read_text(encoding="utf-8")):
        code = code.removeprefix("$ ").strip()
        mention = re.search(r"(?:^|\s)ftstudio ([a-z][\w-]*)(?=\s|$)", code)
        words = code.split()
        if mention:
            command = mention.group(1)
            assert command in flags_by_command, f"{path.name}: unknown command in {code!r}"
            flags = set(FLAG.findall(code[mention.end() :]))
            missing = flags - flags_by_command[command]
            assert not missing, f"{path.name}: {code!r}: no option {sorted(missing)}"
        elif words and words[0] in flags_by_command and len(words) > 1:
            missing = set(FLAG.findall(code)) - flags_by_command[words[0]]
            assert not missing, f"{path.name}: {code!r}: no option {sorted(missing)}"
        elif words and words[0].startswith("--"):
            missing = set(FLAG.findall(words[0])) - every_flag
            assert not missing, f"{path.name}: {code!r}: no command has {sorted(missing)}"
