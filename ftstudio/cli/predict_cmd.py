"""``ftstudio predict PROJECT FILE --checkpoint CKPT``: the top classes of a checkpoint for a
sample file (the window's Try a sample). The file is prepared as an export's ``predict.py``
prepares it, and the output is the same: one line per sample, or ``--json``."""

from __future__ import annotations

import json

from ftstudio.core.text import printable


def add_parser(sub) -> None:
    p = sub.add_parser("predict", help="top classes of a checkpoint for a sample file")
    p.add_argument("project", help=".ftproj file")
    p.add_argument("file", help="an image, or a .npy/.npz/.pt/.csv sample file")
    p.add_argument("--checkpoint", required=True, help="a last.pt/best.pt checkpoint")
    p.add_argument("--row", type=int, help="only this sample of the file (default: every one)")
    p.add_argument("--top-k", type=int, default=5, help="classes per sample (default 5)")
    p.add_argument("--json", action="store_true", help="print one JSON list, as predict.py")
    p.set_defaults(run=run)


def run(args) -> int:
    from ftstudio.core import project as project_io
    from ftstudio.core.errors import DataError
    from ftstudio.core.prediction import Predictor, describe_record

    if args.top_k < 1:
        raise DataError("--top-k must be 1 or more.")
    predictor = Predictor(project_io.load(args.project), args.checkpoint)
    records = predictor.records(args.file, args.top_k, args.row)
    if args.json:
        print(json.dumps(records, indent=2))
        return 0
    for record in records:
        print(f"{printable(record['input'])}: {describe_record(record)}")
    return 0
