"""``ftstudio devices``: the devices training can use here (``training.device`` values)."""

from __future__ import annotations

import json


def add_parser(sub) -> None:
    p = sub.add_parser("devices", help="list the devices training can use on this machine")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=run)


def run(args) -> int:
    from ftstudio.core.training.device import list_devices

    found = list_devices()
    if args.json:
        rows = [
            {"name": d.name, "description": d.description, "memory_bytes": d.memory_bytes}
            for d in found
        ]
        print(json.dumps(rows, indent=2))
        return 0
    for device in found:
        print(device.title)
    print("Set training.device to one of these names, or to 'auto' (CUDA, then MPS, then CPU).")
    return 0
