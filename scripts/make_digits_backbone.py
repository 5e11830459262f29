"""Pretrain the digits-transfer backbone on digits 0-4 with FT Studio's own engine.

Writes ``ftstudio/resources/weights/digits_cnn_0-4.safetensors`` (the Small CNN's state dict
only). Deterministic on CPU: ``python scripts/make_digits_backbone.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pretrain_block import pretrain_block  # noqa: E402

from ftstudio.core.project import RESOURCES  # noqa: E402

OUT = RESOURCES / "weights" / "digits_cnn_0-4.safetensors"

PRETRAIN = {
    "format": "ftstudio-project",
    "version": 1,
    "name": "digits-pretrain-0-4",
    "input": {"shape": [1, 16, 16], "dtype": "float32"},
    "task": {"kind": "classification", "num_classes": 5},
    "blocks": [
        {
            "id": "backbone",
            "type": "small_cnn",
            "params": {"width": 16, "stages": 2, "output": "feature_map", "weights_file": ""},
        },
        {"id": "flatten", "type": "flatten", "params": {}},
        {"id": "classifier", "type": "linear_classifier", "params": {"classes": 5}},
    ],
    "data": {"source": "digits", "classes": "0-4", "val_fraction": 0.1, "seed": 0},
    "training": {"epochs": 8, "batch_size": 32, "lr": 0.003, "schedule": "cosine", "seed": 0},
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the weights")
    args = parser.parse_args(argv)
    accuracy = pretrain_block(PRETRAIN, "backbone", args.out)
    print(f"val accuracy on digits 0-4: {accuracy:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
