"""``ftstudio validate PROJECT [--data]``: per-block shapes, parameters and FLOPs, warnings,
and optionally a check of the data against the project; exit 0/1/2."""

from __future__ import annotations

import json

EXIT_VALID, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2


MAX_NAME, MAX_TYPE = 48, 32  # columns fit their longest entry, up to these widths


def clip(text: str, width: int) -> str:
    """``text`` in ``width`` characters, an ellipsis marking a cut."""
    return text if len(text) <= width else text[: width - 1] + "…"


def add_parser(sub) -> None:
    p = sub.add_parser("validate", help="check tensor shapes through the stack")
    p.add_argument("project", help=".ftproj file")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--batch-size", type=int, default=32, help="batch size for the memory estimate")
    p.add_argument(
        "--data",
        action="store_true",
        help="also read the data and check a sample's shape, the class count and label range",
    )
    p.set_defaults(run=run)


def human(n: float, unit: str = "") -> str:
    for suffix in ("", "K", "M", "G", "T"):
        if abs(n) < 1000:
            return f"{n:.3g}{suffix}{unit}" if suffix else f"{n:g}{unit}"
        n /= 1000
    return f"{n:.3g}P{unit}"


def human_bytes(n: float) -> str:
    for suffix in ("B", "KiB", "MiB", "GiB"):
        if n < 1024:
            return f"{n:.1f} {suffix}" if suffix != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.1f} TiB"


def memory_warnings(report, project) -> list[str]:
    """A warning when the estimate is over the free memory of the device training would use."""
    from ftstudio.core.errors import FTStudioError
    from ftstudio.core.memory import memory_shortfall
    from ftstudio.core.training.device import resolve_device

    if not report.ok:
        return []
    try:
        device = resolve_device(str(project.training.get("device", "auto")))
    except FTStudioError:
        return []  # train names a bad device itself
    shortfall = memory_shortfall(report.memory, device)
    if shortfall is None:
        return []
    return [f"{shortfall} Train will refuse to start unless given --ignore-memory-limit."]


def run(args) -> int:
    import sys

    from ftstudio.core import project as project_io
    from ftstudio.core.blocks import format_shape
    from ftstudio.core.errors import ProjectFileError
    from ftstudio.core.shapes import validate
    from ftstudio.core.text import printable

    if args.batch_size < 1:
        print("error: --batch-size must be at least 1", file=sys.stderr)
        return EXIT_UNREADABLE
    try:
        project = project_io.load(args.project)
    except ProjectFileError as exc:
        if args.json:
            print(json.dumps({"ok": False, "readable": False, "problems": exc.problems}, indent=2))
        for problem in exc.problems:
            print(f"error: {printable(problem, keep_newlines=True)}", file=sys.stderr)
        return EXIT_UNREADABLE
    report = validate(project, batch_size=args.batch_size, check_data=args.data)
    report.warnings += memory_warnings(report, project)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
        return EXIT_VALID if report.ok else EXIT_INVALID
    print(
        f"Project '{printable(project.name)}': input {format_shape(report.input_shape)}, task "
        f"{project.task.kind}"
    )
    names = [printable(b.label) for b in report.blocks]
    types = [printable(b.type) for b in report.blocks]
    name_w = min(MAX_NAME, max([len("name"), *map(len, names)]))
    type_w = min(MAX_TYPE, max([len("type"), *map(len, types)]))
    header = (
        f"{'#':>3}  {'name':<{name_w}} {'type':<{type_w}} {'output':<18} {'trainable':>10} "
        f"{'frozen':>10} {'FLOPs':>8}"
    )
    print(header)
    print("-" * len(header))
    for b, name, type_ in zip(report.blocks, names, types, strict=True):
        mark = {"ok": "", "error": "  <-- error", "unknown": ""}[b.status]
        out = (
            format_shape(b.out_shape)
            if b.status == "ok"
            else ("error" if b.status == "error" else "?")
        )
        print(
            f"{b.index + 1:>3}  {clip(name, name_w):<{name_w}} {clip(type_, type_w):<{type_w}} "
            f"{out:<18} {human(b.trainable):>10} {human(b.frozen):>10} {human(b.flops):>8}{mark}"
        )
    print("-" * len(header))
    for b in report.blocks:
        if b.note:
            print(f"{b.index + 1:>3}  {printable(b.label)}: {printable(b.note)}")
    m = report.memory
    print(
        f"Total: {human(report.trainable)} trainable, {human(report.frozen)} frozen parameters, "
        f"{human(report.flops)} FLOPs per sample"
    )
    print(
        f"Training memory at batch {m.batch_size}: {human_bytes(m.total)} (parameters "
        f"{human_bytes(m.params)}, gradients {human_bytes(m.grads)}, optimizer "
        f"{human_bytes(m.optimizer)}, activations {human_bytes(m.activations)})"
    )
    if report.data is not None and report.data.ok:
        print(printable(report.data.summary(), keep_newlines=True))
    for warning in report.warnings:
        print(f"Warning: {printable(warning, keep_newlines=True)}")
    if report.ok:
        fits = " and the data fits" if report.data is not None else ""
        print(f"Valid: the shapes fit from input to output{fits}.")
        return EXIT_VALID
    issue = report.issue
    if issue.kind == "data":
        print(f"Invalid data: {printable(issue.message, keep_newlines=True)}")
        return EXIT_INVALID
    where = "stack"
    if issue.index >= 0:
        label = report.blocks[issue.index].label
        named = issue.message.startswith((f"{label}:", f"{label} cannot take input"))
        where = f"block {issue.index + 1}" + ("" if named else f" '{printable(label)}'")
    print(f"Invalid at {where}: {printable(issue.message, keep_newlines=True)}")
    return EXIT_INVALID
