"""``--blocks FILE`` and ``--trust`` on every command: which user code may run.

The per-user blocks folder is the user's own code and loads first; a file there that fails is
a warning, so one broken file does not stop every command. A ``--blocks`` file that fails is an
error. ``--trust`` lets a project load the blocks files it names.
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--blocks",
        action="append",
        default=[],
        metavar="FILE",
        help="a Python file whose nn.Module classes become blocks (repeatable); its code runs",
    )
    parser.add_argument(
        "--trust",
        action="store_true",
        help="run the custom blocks files the project names (their code runs)",
    )


def apply(args: argparse.Namespace) -> None:
    """Load the user's folder and the ``--blocks`` files; set whether projects are trusted."""
    from ftstudio.core import project_code
    from ftstudio.core.blocks import custom
    from ftstudio.core.errors import FTStudioError
    from ftstudio.core.text import printable

    for path in custom.user_blocks_files():
        try:
            custom.load_blocks_file(path)
        except FTStudioError as exc:
            print(f"warning: user blocks folder: {printable(str(exc))}", file=sys.stderr)
    for path in getattr(args, "blocks", []):
        custom.load_blocks_file(path)
    project_code.trust_project_code(getattr(args, "trust", False))
