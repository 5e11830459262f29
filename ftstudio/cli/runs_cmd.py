"""``ftstudio runs PROJECT``: the project's runs (status, epochs, best metric, checkpoints)."""

from __future__ import annotations

import json

from ftstudio.core.text import printable


def add_parser(sub) -> None:
    p = sub.add_parser("runs", help="list a project's runs from its runs/ folder")
    p.add_argument("project", help=".ftproj file")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--curves", action="store_true", help="with --json: the metrics.csv curves")
    p.add_argument(
        "--all", action="store_true", help="every run folder in runs/, not only this project's"
    )
    p.set_defaults(run=run)


def run(args) -> int:
    from ftstudio.core import project as project_io
    from ftstudio.core.run_history import format_runs, list_runs, project_runs, runs_folder

    project = project_io.load(args.project)
    if args.all:
        runs = list_runs(runs_folder(project.path))
    else:
        runs = project_runs(project.name, project.path)
    if args.json:
        print(json.dumps([r.to_dict(curves=args.curves) for r in runs], indent=2))
    else:
        print(printable(format_runs(runs), keep_newlines=True))
    return 0
