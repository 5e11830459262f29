"""The ``ftstudio`` command: opens the window, or runs one command headless.

``ftstudio [PROJECT]`` opens the app. Other commands are modules of this package with
``add_parser(subparsers)`` and ``run(args) -> int``. A user error prints its message and
exits non-zero; no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from ftstudio.cli import code_options

COMMANDS = {
    "blocks": "ftstudio.cli.blocks_cmd",
    "new": "ftstudio.cli.new_cmd",
    "validate": "ftstudio.cli.validate_cmd",
    "train": "ftstudio.cli.train_cmd",
    "runs": "ftstudio.cli.runs_cmd",
    "evaluate": "ftstudio.cli.evaluate_cmd",
    "predict": "ftstudio.cli.predict_cmd",
    "export": "ftstudio.cli.export_cmd",
    "devices": "ftstudio.cli.devices_cmd",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ftstudio",
        description="FT Studio: assemble, fine-tune and export PyTorch models. "
        "Run with no command (or a .ftproj path) to open the window.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMANDS.values():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue  # a command not built yet
        module.add_parser(sub)
    for command in sub.choices.values():
        code_options.add_arguments(command)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        return open_window(argv)
    from ftstudio.cli.interrupt import ctrl_c_always_exits

    try:  # Ctrl-C while torch is still importing ends quietly too
        with ctrl_c_always_exits():
            parser = build_parser()
            args = parser.parse_args(argv)
            return run_command(args, argv[0])
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def run_command(args: argparse.Namespace, name: str) -> int:
    """Run one command; our errors, OS errors and running out of memory become one line."""
    from ftstudio.core.errors import FTStudioError
    from ftstudio.core.os_errors import describe_os_error
    from ftstudio.core.text import printable

    try:
        code_options.apply(args)
        return args.run(args)
    except BrokenPipeError:  # output piped into `head`
        return 0
    except FTStudioError as exc:
        print(f"error: {printable(str(exc), keep_newlines=True)}", file=sys.stderr)
        return getattr(exc, "exit_code", 1)
    except MemoryError:
        print(
            f"error: '{name}' ran out of memory. Use smaller data, a smaller batch size or "
            "model, or a machine with more memory.",
            file=sys.stderr,
        )
        return 1
    except OSError as exc:  # a full disk, a read-only folder, a file where a folder must be
        print(f"error: {printable(describe_os_error(exc))}", file=sys.stderr)
        return 1


def open_window(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="ftstudio", description="Open the FT Studio window.")
    parser.add_argument(
        "project", nargs="?", help=".ftproj file to open (default: the starter project)"
    )
    args = parser.parse_args(argv)
    problem = missing_display()
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    try:
        from ftstudio.gui.app import run_app
    except ImportError as exc:
        print(f"error: the window cannot start: {exc}", file=sys.stderr)
        return 1
    return run_app(args.project)


def missing_display() -> str | None:
    """Why the window cannot open here (Linux without X11/Wayland), or None.

    Qt aborts the process in that case; saying so first is kinder.
    """
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "no display found (DISPLAY and WAYLAND_DISPLAY are unset), so the window cannot open. "
        "Run it from a desktop session, or use the commands that need no display: "
        "ftstudio validate / train / evaluate / export (see ftstudio --help)."
    )
