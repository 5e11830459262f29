"""Write the key names and shapes of every torchvision architecture FT Studio offers.

``ftstudio/resources/torchvision_signatures.json.gz`` lets "Backbone from file" guess a state
dict's architecture in milliseconds. Rerun after upgrading torchvision:
``python scripts/make_torchvision_signatures.py``.
"""

from __future__ import annotations

import gzip
import json

import torchvision

from ftstudio.core.blocks.arch_signatures import SIGNATURES_FILE, empty_init, signature_of
from ftstudio.core.blocks.backbones import torchvision_architectures
from ftstudio.core.project import atomic_write_bytes


def main() -> None:
    architectures = {}
    for arch in torchvision_architectures():
        with empty_init():
            model = torchvision.models.get_model(arch, weights=None)
        sig = signature_of(arch, model)
        architectures[arch] = {"head": sig.head, "keys": {k: list(s) for k, s in sig.keys.items()}}
        print(f"{arch}: {len(sig.keys)} keys, head {sig.head or '-'}")
    raw = {"torchvision": torchvision.__version__, "architectures": architectures}
    text = json.dumps(raw, separators=(",", ":"), sort_keys=True).encode()
    atomic_write_bytes(SIGNATURES_FILE, gzip.compress(text, 9, mtime=0))
    print(f"wrote {SIGNATURES_FILE} ({SIGNATURES_FILE.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
