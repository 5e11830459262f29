"""Pretrain a Small CNN on digits 0-4 as 64x64 RGB images, with FT Studio's own engine.

scikit-learn's 8x8 digits are written as an image folder (upscaled to 64x64, grey repeated to
RGB, one sub-folder per digit) and trained through the ``image-folder`` source, so the weights
see exactly the preprocessing a project on such a folder applies. The file holds the Small
CNN's state dict only, with the pretraining result in its metadata. Used by
``bench/pretrained_vs_scratch.py`` (which fine-tunes on digits 5-9); deterministic on CPU:

    python scripts/make_digits64_backbone.py --out digits64_cnn_0-4.safetensors
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pretrain_block import pretrain_block  # noqa: E402

SIZE = 64
BACKBONE = {"width": 16, "stages": 4, "output": "pooled"}
PRETRAIN_CLASSES = range(0, 5)


def write_digits_folder(root: Path, classes, size: int = SIZE) -> int:
    """Write the digits in ``classes`` as ``root/<digit>/<index>.png`` (size x size, RGB)."""
    from PIL import Image
    from sklearn.datasets import load_digits

    raw = load_digits()
    count = 0
    for digit in classes:
        folder = Path(root) / str(digit)
        folder.mkdir(parents=True, exist_ok=True)
        for index in np.flatnonzero(raw.target == digit):
            pixels = (raw.images[index] * (255 / 16)).round().astype(np.uint8)
            image = Image.fromarray(pixels, mode="L").resize((size, size), Image.BILINEAR)
            image.convert("RGB").save(folder / f"{index}.png")
            count += 1
    return count


def pretrain_project(folder: Path) -> dict:
    return {
        "format": "ftstudio-project",
        "version": 1,
        "name": "digits64-pretrain-0-4",
        "input": {"shape": [3, SIZE, SIZE], "dtype": "float32"},
        "task": {"kind": "classification", "num_classes": len(PRETRAIN_CLASSES)},
        "blocks": [
            {"id": "backbone", "type": "small_cnn", "params": dict(BACKBONE)},
            {"id": "classifier", "type": "linear_classifier", "params": {"classes": 5}},
        ],
        "data": {"source": "image-folder", "path": str(folder), "val_fraction": 0.1, "seed": 0},
        "training": {
            "epochs": 6,
            "batch_size": 32,
            "lr": 0.003,
            "optimizer": "adamw",
            "schedule": "cosine",
            "seed": 0,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="where to write the weights")
    parser.add_argument("--device", default="cpu", help="cpu (reproducible), cuda or auto")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "digits-0-4"
        write_digits_folder(folder, PRETRAIN_CLASSES)
        raw = pretrain_project(folder)
        metadata = {
            "task": "digits 0-4, 64x64 RGB image folder",
            "backbone": "small_cnn " + " ".join(f"{k}={v}" for k, v in BACKBONE.items()),
            "epochs": str(raw["training"]["epochs"]),
            "made_by": "scripts/make_digits64_backbone.py",
        }
        accuracy = pretrain_block(raw, "backbone", args.out, metadata, device=args.device)
    print(f"val accuracy on digits 0-4: {accuracy:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
