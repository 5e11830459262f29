"""Pretrain the seed-sequence template's encoder with FT Studio's own engine.

The related task: the same kind of synthetic sequences as the template, labelled with another
rule (``data.labels = "symbols"``: every token's shown symbol, 10 when masked; see
:mod:`ftstudio.core.data.builtin`). It is readable from each token alone, so a per-token MLP
learns it, and the features it learns (which symbol, or masked) are what the template's
attention needs. The sequences are drawn with another seed than the template's data.

Writes ``ftstudio/resources/weights/sequence_encoder_symbols.safetensors`` (the MLP's state dict
only) with the pretraining result in the file's metadata. Deterministic on CPU:
``python scripts/make_sequence_encoder.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pretrain_block import pretrain_block  # noqa: E402

from ftstudio.core.project import RESOURCES  # noqa: E402

OUT = RESOURCES / "weights" / "sequence_encoder_symbols.safetensors"

PRETRAIN = {
    "format": "ftstudio-project",
    "version": 1,
    "name": "sequence-encoder-pretrain",
    "input": {"shape": [100, 128], "dtype": "float32"},
    "task": {"kind": "token_classification", "num_classes": 11},
    "blocks": [
        {
            "id": "encoder",
            "type": "mlp",
            "params": {"hidden": 64, "layers": 1, "activation": "relu", "dropout": 0.1},
        },
        {"id": "classifier", "type": "token_classifier", "params": {"classes": 11}},
    ],
    "data": {
        "source": "synthetic-sequence",
        "labels": "symbols",
        "samples": 500,
        "seed": 7,
        "val_fraction": 0.2,
    },
    "training": {"epochs": 2, "batch_size": 32, "lr": 0.003, "optimizer": "adamw", "seed": 0},
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the weights")
    args = parser.parse_args(argv)
    metadata = {
        "task": "synthetic-sequence, labels=symbols (11 classes)",
        "samples": str(PRETRAIN["data"]["samples"]),
        "data_seed": str(PRETRAIN["data"]["seed"]),
        "epochs": str(PRETRAIN["training"]["epochs"]),
        "made_by": "scripts/make_sequence_encoder.py",
    }
    accuracy = pretrain_block(PRETRAIN, "encoder", args.out, metadata)
    print(f"val accuracy on shown symbols: {accuracy:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
