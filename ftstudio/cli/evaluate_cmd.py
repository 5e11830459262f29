"""``ftstudio evaluate PROJECT --checkpoint CKPT``: loss, accuracy, per-class table, confusion."""

from __future__ import annotations

import json
from typing import Any

from ftstudio.core.text import printable


def add_parser(sub) -> None:
    p = sub.add_parser("evaluate", help="evaluate a checkpoint on the project's validation data")
    p.add_argument("project", help=".ftproj file")
    p.add_argument("--checkpoint", required=True, help="a last.pt/best.pt checkpoint")
    p.add_argument("--device", default="auto", help="auto (default), cpu, cuda or mps")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=run)


def format_report(result: dict[str, Any]) -> str:
    """The human-readable report: metrics, per-class table, confusion matrix."""
    lines = [f"Evaluated on the {result['split']} split ({result['samples']} samples)"]
    lines.append(f"loss      {result['loss']:.4f}")
    if "mae" in result:
        lines.append(f"MAE       {result['mae']:.4f}")
        lines.append(f"RMSE      {result['rmse']:.4f}")
        return "\n".join(lines)
    lines.append(f"accuracy  {result['accuracy']:.4f}")
    names = [printable(str(n)) for n in result["classes"]]
    width = max(8, *(len(n) for n in names))
    lines += ["", f"{'class':<{width}} {'precision':>9} {'recall':>9} {'F1':>9} {'support':>8}"]
    for name, row in zip(names, result["per_class"], strict=True):
        lines.append(
            f"{name:<{width}} {row['precision']:>9.4f} {row['recall']:>9.4f} "
            f"{row['f1']:>9.4f} {row['support']:>8}"
        )
    if result.get("entities"):
        lines += ["", "entities (BIO spans, seqeval-style: type, start and end must all match)"]
        lines.append(f"{'entity':<{width}} {'precision':>9} {'recall':>9} {'F1':>9} {'support':>8}")
        for name, row in result["entities"].items():
            lines.append(
                f"{printable(name):<{width}} {row['precision']:>9.4f} {row['recall']:>9.4f} "
                f"{row['f1']:>9.4f} {row['support']:>8}"
            )
    cell = max(5, *(len(str(v)) for r in result["confusion"] for v in r), *(len(n) for n in names))
    lines += ["", "confusion matrix (rows: true class, columns: predicted)"]
    lines.append(" " * width + " " + " ".join(f"{n:>{cell}}" for n in names))
    for name, row in zip(names, result["confusion"], strict=True):
        lines.append(f"{name:<{width}} " + " ".join(f"{v:>{cell}}" for v in row))
    return "\n".join(lines)


def run(args) -> int:
    from ftstudio.core import project as project_io
    from ftstudio.core.training import evaluate_checkpoint

    project = project_io.load(args.project)
    # the same function as the window's Evaluate view, so the counts agree
    result = evaluate_checkpoint(project, args.checkpoint, device=args.device).to_dict()
    print(json.dumps(result, indent=2) if args.json else format_report(result))
    return 0
