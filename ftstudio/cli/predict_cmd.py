"""``ftstudio predict PROJECT --checkpoint CKPT FILE``: top-k classes for one sample file
(the window's Try a sample; the same preparation as an export's ``predict.py``)."""

from __future__ import annotations

import json

from ftstudio.core.text import printable


def add_parser(sub) -> None:
    p = sub.add_parser("predict", help="top-k classes of a checkpoint for one sample file")
    p.add_argument("project", help=".ftproj file")
    p.add_argument("file", help="an image, or a .npy/.npz/.pt/.csv sample file")
    p.add_argument("--checkpoint", required=True, help="a last.pt/best.pt checkpoint")
    p.add_argument("--row", type=int, default=0, help="the sample of a batch file (default 0)")
    p.add_argument("--top-k", type=int, default=5, help="how many classes (default 5)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(run=run)


def run(args) -> int:
    from ftstudio.core import project as project_io
    from ftstudio.core.prediction import Predictor

    predictor = Predictor(project_io.load(args.project), args.checkpoint)
    result = predictor.predict(args.file, args.row, max(1, args.top_k))
    if args.json:
        print(json.dumps({"task": result.task, "top": result.top, "values": result.values}))
        return 0
    if result.values:
        print(" ".join(f"{v:.6g}" for v in result.values))
    for name, p in result.top:
        print(f"{p:7.2%}  {printable(name)}")
    return 0
