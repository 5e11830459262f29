"""``ftstudio train PROJECT``: train headless with a terminal progress line."""

from __future__ import annotations

import os

from ftstudio.core.text import printable


def add_parser(sub) -> None:
    p = sub.add_parser("train", help="train a project headless (also under torchrun)")
    p.add_argument("project", help=".ftproj file")
    p.add_argument("--epochs", type=int, help="override training.epochs")
    p.add_argument("--batch-size", type=int, help="override training.batch_size")
    p.add_argument("--device", help="auto (default), cpu, cuda, cuda:N or mps")
    p.add_argument("--out", help="run folder (default: runs/NAME-TIME beside the project)")
    p.add_argument("--resume", metavar="CKPT", help="continue from a last.pt/best.pt checkpoint")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the run already in the --out folder (its metrics, summary, checkpoints)",
    )
    p.add_argument(
        "--ignore-memory-limit",
        action="store_true",
        help="train even when the memory estimate is over the device's free memory",
    )
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.add_argument(
        "--profile",
        type=int,
        metavar="N",
        help="record N training steps with torch.profiler after a short warm-up, then stop: "
        "writes a Chrome trace into the run folder and prints the top operators by self time",
    )
    p.set_defaults(run=run)


def run(args) -> int:
    from ftstudio.cli.progress import ProgressPrinter
    from ftstudio.core import project as project_io
    from ftstudio.core.errors import TrainingError
    from ftstudio.core.training import train_project
    from ftstudio.core.training.allocator import keep_freed_memory

    keep_freed_memory()  # this process exists to train
    for flag in ("epochs", "batch_size", "profile"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            raise TrainingError(f"--{flag.replace('_', '-')} must be at least 1, got {value}.")
    project = project_io.load(args.project)
    overrides = {"epochs": args.epochs, "batch_size": args.batch_size, "device": args.device}
    batch_size = args.batch_size or project.training.get("batch_size", 64)
    is_main = int(os.environ.get("RANK", "0")) == 0  # under torchrun only rank 0 reports
    printer = ProgressPrinter(batch_size, enabled=not args.quiet and is_main, warn=is_main)
    run_dir = args.out
    if run_dir is None and args.resume:
        from pathlib import Path

        ckpt = Path(args.resume).resolve()
        run_dir = ckpt.parent.parent if ckpt.parent.name == "checkpoints" else ckpt.parent
    if args.profile is not None:
        return profile(args, project, overrides, printer, run_dir, is_main)
    try:
        result = train_project(
            project,
            overrides,
            callbacks=[printer],
            run_dir=run_dir,
            resume=args.resume,
            overwrite=args.overwrite,
            ignore_memory_limit=args.ignore_memory_limit,
        )
    finally:  # Ctrl-C or a failure before the loop started: leave no bar behind
        printer.close()
    summary = result.summary
    if is_main:
        final = summary["final"]
        shown = ", ".join(
            f"{k} {final[k]:.4f}"
            for k in ("val_loss", "val_accuracy", "val_mae", "train_loss")
            if final.get(k) is not None
        )
        print(f"{summary['status']} after {summary['epochs_completed']} epochs: {shown}")
        if summary.get("run_dir"):
            print(f"run folder: {printable(str(summary['run_dir']))}")
    return 0


def profile(args, project, overrides, printer, run_dir, is_main: bool) -> int:
    """``--profile N``: a short run that records N steps; prints where the trace is and the
    top operators."""
    from ftstudio.core.errors import TrainingError
    from ftstudio.core.training.profile import profile_project

    if args.resume:
        raise TrainingError("--profile starts a new run; leave out --resume.")
    try:
        result = profile_project(
            project,
            args.profile,
            overrides,
            callbacks=[printer],
            run_dir=run_dir,
            overwrite=args.overwrite,
            ignore_memory_limit=args.ignore_memory_limit,
        )
    finally:
        printer.close()
    if is_main:
        print(printable(result.describe(), keep_newlines=True))
    return 0
