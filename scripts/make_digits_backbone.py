"""Pretrain the digits-transfer backbone on digits 0-4 with FT Studio's own engine.

Writes ``ftstudio/resources/weights/digits_cnn_0-4.safetensors`` (the Small CNN's state dict
only). Deterministic on CPU: ``python scripts/make_digits_backbone.py``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from safetensors.torch import save_file

from ftstudio.core import project as project_io
from ftstudio.core.project import RESOURCES
from ftstudio.core.training import train_project

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
    project = project_io.from_dict(PRETRAIN, "digits pretraining")
    with tempfile.TemporaryDirectory() as run_dir:
        result = train_project(project, overrides={"device": "cpu"}, run_dir=run_dir)
    state = {
        k: v.detach().cpu().contiguous()
        for k, v in result.model.get_submodule("backbone").state_dict().items()
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_file(state, str(args.out))
    final = result.summary["final"]
    print(f"val accuracy on digits 0-4: {final.get('val_accuracy', float('nan')):.4f}")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
