"""``ftstudio blocks``: list the block catalog by category."""

from __future__ import annotations

import json
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("blocks", help="list the block types by category")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=run)


def run(args) -> int:
    from ftstudio.core import blocks

    grouped = blocks.by_category()
    if args.json:
        out = {
            category: [
                {
                    "name": t.name,
                    "title": t.title,
                    "description": t.description,
                    "accepts": list(t.accepts),
                    **({"origin": t.origin} if t.origin else {}),
                    "params": [p.to_json() for p in t.params],
                }
                for t in types
            ]
            for category, types in grouped.items()
        }
        print(json.dumps(out, indent=2))
        return 0
    from ftstudio.core.blocks import custom

    folder = custom.user_blocks_dir()
    files = custom.user_blocks_files()
    state = f"{len(files)} file(s)" if folder.is_dir() else "does not exist yet"
    print(f"User blocks folder: {folder} ({state}; every *.py there is loaded as blocks)\n")
    for category, types in grouped.items():
        print(f"{category}:")
        for t in types:
            origin = f" [{Path(t.origin).name}]" if t.origin else ""
            print(f"  {t.name:<24} {t.title}{origin}: {t.description}")
            for p in t.params:
                shown = (
                    p.default if p.kind != "choice" or len(p.choices) < 8 else f"{p.default}, ..."
                )
                print(f"  {'':<26}{p.name} ({p.kind}, default {shown!r}): {p.help}")
        print()
    return 0
