"""``ftstudio new --template NAME PATH``: start a project from a template."""

from __future__ import annotations


def add_parser(sub) -> None:
    from ftstudio.core.templates import DEFAULT_TEMPLATE, list_templates

    p = sub.add_parser("new", help="create a project from a template")
    p.add_argument(
        "--template",
        default=DEFAULT_TEMPLATE,
        choices=list_templates(),
        help=f"starter project (default {DEFAULT_TEMPLATE})",
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.add_argument("path", help="where to write the .ftproj file")
    p.set_defaults(run=run)


def run(args) -> int:
    from ftstudio.core.templates import create_from_template
    from ftstudio.core.text import printable

    project = create_from_template(args.template, args.path, overwrite=args.force)
    print(f"Created {printable(str(project.path))} from template '{printable(args.template)}'.")
    return 0
