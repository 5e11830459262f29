"""Pretrained vs from scratch, through the real project/engine path, in one run.

Writes scikit-learn's digits 5-9 as an image folder (64x64 RGB), makes the pretrained Small
CNN with ``scripts/make_digits64_backbone.py`` (digits 0-4, FT Studio's own engine; or reuses
``--weights``), then trains three projects with an ``image-folder`` source and the Small CNN
block loading that file, for the same fixed number of epochs:

(a) the pretrained backbone frozen, plus a linear head;
(b) the same backbone with its last stage unfrozen;
(c) the same stack from random initialisation, all trainable.

A linear probe (scikit-learn's LogisticRegression) on the frozen backbone's pooled features of
the same split is the reference for (a). Goals: (b) >= (c) + 2 points, and (a) within 5
points of the probe.

    python bench/pretrained_vs_scratch.py [--epochs 3] [--batch-size 16] [--weights FILE]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "make_digits64_backbone.py"
FINE_TUNE_CLASSES = range(5, 10)


def load_script():
    spec = importlib.util.spec_from_file_location("make_digits64_backbone", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def project_dict(script, folder: Path, weights: str, setup: str, args) -> dict:
    """The fine-tuning project of one setup: frozen, last stage unfrozen, or scratch."""
    stages = script.BACKBONE["stages"]
    backbone = {
        "id": "backbone",
        "type": "small_cnn",
        "name": f"Small CNN ({setup})",
        "params": {**script.BACKBONE, "weights_file": "" if setup == "scratch" else weights},
        "frozen": setup == "frozen",
        "frozen_stages": [f"stage{i}" for i in range(1, stages)] if setup == "last-stage" else [],
    }
    return {
        "format": "ftstudio-project",
        "version": 1,
        "name": f"digits64-5-9-{setup}",
        "input": {"shape": [3, script.SIZE, script.SIZE], "dtype": "float32"},
        "task": {"kind": "classification", "num_classes": len(FINE_TUNE_CLASSES)},
        "blocks": [
            backbone,
            # pooled ReLU features share a large common offset (mean ~1, spread ~0.3): a
            # LayerNorm and a 10x head lr let a few epochs of AdamW fit a linear head at all
            # (see bench/README.md for the runs without them)
            {"id": "norm", "type": "layer_norm", "params": {}},
            {
                "id": "classifier",
                "type": "linear_classifier",
                "params": {"classes": 5},
                "lr_scale": args.head_lr_scale,
            },
        ],
        "data": {
            "source": "image-folder",
            "path": str(folder),
            "val_fraction": args.val_fraction,
            "seed": 0,
        },
        "training": {
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "lr": args.lr,
            "optimizer": "adamw",
            "schedule": "cosine",
            "seed": 0,
            "device": args.device,
        },
    }


def features(backbone, dataset, device):
    """Pooled features of every sample in ``dataset``, in order, and their labels."""
    import torch
    from torch.utils.data import DataLoader

    xs, ys = [], []
    backbone.eval().to(device)
    with torch.no_grad():
        for x, y in DataLoader(dataset, batch_size=128):
            xs.append(backbone(x.to(device)).cpu())
            ys.append(torch.as_tensor(y))
    return torch.cat(xs).numpy(), torch.cat(ys).numpy()


def linear_probe(project, device) -> float:
    """Validation accuracy of LogisticRegression on the frozen pretrained features."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from ftstudio.core.builder import build_model
    from ftstudio.core.data import load_data

    data = load_data(project)  # the same split and preprocessing as the engine's
    backbone = build_model(project).get_submodule("backbone")
    x_train, y_train = features(backbone, data.train, device)
    x_val, y_val = features(backbone, data.val, device)
    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    return float(probe.fit(x_train, y_train).score(x_val, y_val))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="fine-tuning epochs per setup")
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument(
        "--head-lr-scale", type=float, default=10.0, help="the new head's lr = lr x this"
    )
    parser.add_argument(
        "--val-fraction", type=float, default=0.5, help="held out for validation (rest: training)"
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--weights", type=Path, help="reuse this pretrained file")
    args = parser.parse_args(argv)

    import torch
    from safetensors import safe_open

    from ftstudio.core import project as project_io
    from ftstudio.core.training import train_project
    from ftstudio.core.training.device import resolve_device

    script = load_script()
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        folder = tmp / "digits-5-9"
        count = script.write_digits_folder(folder, FINE_TUNE_CLASSES)
        weights = args.weights
        start = time.perf_counter()
        if weights is None:
            weights = tmp / "digits64_cnn_0-4.safetensors"
            script.main(["--out", str(weights), "--device", args.device])
        pretrain_s = time.perf_counter() - start
        with safe_open(str(weights), framework="pt") as handle:
            recorded = handle.metadata()
        timings = {}
        for setup in ("frozen", "last-stage", "scratch"):
            raw = project_dict(script, folder, str(weights), setup, args)
            project = project_io.from_dict(raw, f"{setup} project")
            start = time.perf_counter()
            result = train_project(project, run_dir=tmp / f"run-{setup}")
            timings[setup] = time.perf_counter() - start
            results[setup] = result.summary["final"]["val_accuracy"]
        frozen = project_io.from_dict(project_dict(script, folder, str(weights), "frozen", args))
        results["probe"] = linear_probe(frozen, resolve_device(args.device))

    print(
        f"digits 5-9 as a {count}-image folder, 64x64 RGB; Small CNN {script.BACKBONE}; "
        f"{args.epochs} epochs, batch {args.batch_size}, lr {args.lr} (head x{args.head_lr_scale}), device {args.device}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads"
    )
    made = "made in this run" if args.weights is None else f"reused {weights}"
    print(f"pretrained weights ({made}, {pretrain_s:.0f} s): {recorded}")
    labels = {
        "frozen": "(a) pretrained, frozen + head",
        "last-stage": "(b) pretrained, last stage unfrozen",
        "scratch": "(c) random initialisation",
        "probe": "linear probe on (a)'s frozen features",
    }
    for key, label in labels.items():
        took = f"  ({timings[key]:.0f} s)" if key in timings else ""
        print(f"{label:<40} val accuracy {results[key]:.4f}{took}")
    gain = results["last-stage"] - results["scratch"]
    gap = results["probe"] - results["frozen"]
    goal_b = gain >= 0.02
    goal_a = abs(gap) <= 0.05
    print(f"(b) - (c) = {100 * gain:+.1f} points (goal >= +2): {'PASS' if goal_b else 'FAIL'}")
    print(f"probe - (a) = {100 * gap:+.1f} points (goal within 5): {'PASS' if goal_a else 'FAIL'}")
    return 0 if goal_a and goal_b else 1


if __name__ == "__main__":
    sys.exit(main())
