"""Starter projects shipped in ``ftstudio/resources/templates``.

Listing them imports nothing heavy (``ftstudio new --help`` stays quick); reading one loads the
project module, and with it the block catalog and torch.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ftstudio.core.errors import FTStudioError
from ftstudio.core.resources import RESOURCES

if TYPE_CHECKING:
    from ftstudio.core.project import Project

TEMPLATES = RESOURCES / "templates"
DEFAULT_TEMPLATE = "digits-transfer"


def list_templates() -> list[str]:
    return sorted(p.stem for p in TEMPLATES.glob("*.ftproj"))


def offline_templates() -> list[str]:
    """The templates that need nothing beyond FT Studio (the text ones need an encoder
    folder or a cached Hugging Face model, see docs/text.md)."""
    return [name for name in list_templates() if not name.startswith("text-")]


def load_template(name: str) -> Project:
    """A fresh, unsaved copy of template ``name``."""
    from ftstudio.core import project as project_io

    path = TEMPLATES / f"{name}.ftproj"
    if not path.is_file():
        raise FTStudioError(
            f"No template named '{name}'. Templates: {', '.join(list_templates())}."
        )
    project = project_io.loads(path.read_text(encoding="utf-8"), path.name)
    project.path = None
    return project


def create_from_template(name: str, path: str | Path, overwrite: bool = False) -> Project:
    """Write template ``name`` to ``path`` and return it; refuse to overwrite by default."""
    from ftstudio.core import project as project_io

    path = Path(path)
    if path.suffix != project_io.SUFFIX:
        path = path.with_suffix(project_io.SUFFIX)
    if path.exists() and not overwrite:
        raise FTStudioError(f"{path} already exists; choose another name or delete it first.")
    project = load_template(name)
    project.name = path.stem
    project_io.save(project, path)
    return project
