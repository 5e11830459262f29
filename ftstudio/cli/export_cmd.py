"""``ftstudio export PROJECT --out DIR``: plain PyTorch code and weights that run without FT Studio."""

from __future__ import annotations

import sys


def add_parser(sub) -> None:
    p = sub.add_parser(
        "export", help="export plain PyTorch code + weights (runs without FT Studio)"
    )
    p.add_argument("project", help=".ftproj file")
    p.add_argument("--out", required=True, metavar="DIR", help="export folder")
    p.add_argument(
        "--checkpoint", metavar="CKPT", help="trained weights: last.pt/best.pt or a state dict"
    )
    p.add_argument("--torchscript", action="store_true", help="also write model.ts")
    p.add_argument(
        "--onnx",
        action="store_true",
        help="also write model.onnx (needs: pip install 'ftstudio[onnx]')",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="write into a non-empty folder that is not an export",
    )
    p.set_defaults(run=run)


def run(args) -> int:
    from ftstudio.core import project as project_io
    from ftstudio.core.export import export_project
    from ftstudio.core.text import printable

    project = project_io.load(args.project)
    formats = [f for f, on in (("torchscript", args.torchscript), ("onnx", args.onnx)) if on]
    result = export_project(
        project, args.out, checkpoint=args.checkpoint, formats=formats, overwrite=args.overwrite
    )
    out_dir = printable(str(result.out_dir))
    print(
        f"Exported '{printable(project.name)}' to {out_dir} ({result.mode}); weights: "
        f"{printable(str(result.weights_from))}"
    )
    for path in result.files:
        print(f"  wrote {printable(path.name)}")
    for note in result.notes:
        print(f"note: {printable(note)}")
    if result.parity is not None:
        print(result.parity.heading())
        for item in result.parity.files:
            print(f"  {printable(item.line())}")
    failure = result.failure_message()
    if failure is not None:  # a format not written, or one that differs, is a failure
        print(f"error: {printable(failure)}", file=sys.stderr)
        return 1
    print(f"Try: cd {out_dir} && python predict.py INPUT")
    return 0
