"""The project's dataclasses: what a ``.ftproj`` document holds, plus :func:`make_block`.

Reading and writing them is :mod:`ftstudio.core.project_reader` and :mod:`ftstudio.core.project`.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftstudio.core import blocks
from ftstudio.core.errors import FTStudioError, ProjectFileError
from ftstudio.core.resources import RESOURCES

TASK_KINDS = ("classification", "token_classification", "regression")


@dataclass
class InputSpec:
    """Shape of one sample (batch excluded) and its dtype; ``shape`` None means 'from the dataset'."""

    shape: tuple[int, ...] | None = (3, 224, 224)
    dtype: str = "float32"


@dataclass
class BlockSpec:
    """One block of the stack as the user configured it."""

    id: str
    type: str
    name: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    frozen: bool = False
    frozen_stages: list[str] = field(default_factory=list)
    lr_scale: float = 1.0

    @property
    def trains_nothing(self) -> bool:
        """Frozen, or ``lr_scale`` 0: either way the whole block is frozen (no gradients, its
        norm statistics kept, outside the optimizer)."""
        return self.frozen or self.lr_scale == 0

    @property
    def block_type(self) -> blocks.BlockType:
        return blocks.get(self.type)

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        try:
            return self.block_type.title
        except FTStudioError:  # an unknown type still gets a name to show
            return self.type


@dataclass
class TaskSpec:
    """What the model is trained to do."""

    kind: str = "classification"
    num_classes: int = 10
    num_outputs: int = 1


@dataclass
class Project:
    """A whole FT Studio project."""

    name: str = "Untitled"
    input: InputSpec = field(default_factory=InputSpec)
    blocks: list[BlockSpec] = field(default_factory=list)
    task: TaskSpec = field(default_factory=TaskSpec)
    data: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    custom_blocks: list[dict[str, str]] = field(default_factory=list, compare=False)
    """The blocks files the project's custom blocks came from, as read (``path``, ``sha256``);
    saving writes them afresh from the blocks (:mod:`ftstudio.core.project_code`)."""
    path: Path | None = field(default=None, compare=False, repr=False)

    def block(self, block_id: str) -> BlockSpec:
        for spec in self.blocks:
            if spec.id == block_id:
                return spec
        raise KeyError(block_id)

    def index_of(self, block_id: str) -> int:
        return [b.id for b in self.blocks].index(block_id)

    def new_block_id(self, type_name: str) -> str:
        taken = {b.id for b in self.blocks}
        n = 1
        while f"{type_name}_{n}" in taken:
            n += 1
        return f"{type_name}_{n}"

    def copy(self) -> Project:
        return copy.deepcopy(self)

    def resolve_path(self, value: str) -> str:
        """Resolve a path parameter: ``resources:NAME`` is shipped with FT Studio; relative
        paths are relative to the project file's folder."""
        if not value:
            return value
        if value.startswith("resources:"):
            return str(resource_path(value))
        path = Path(value).expanduser()
        if not path.is_absolute() and self.path is not None:
            path = self.path.parent / path
        return str(path)


def resource_path(value: str) -> Path:
    """``resources:NAME`` -> the file FT Studio ships; refuses a NAME leaving that folder."""
    name = value.removeprefix("resources:")
    path = (RESOURCES / name).resolve()
    if Path(name).is_absolute() or not path.is_relative_to(RESOURCES.resolve()):
        raise ProjectFileError(
            f"{json.dumps(value, ensure_ascii=False)[:80]} points outside FT Studio's resources "
            "folder; a resources: path names a file inside it, such as "
            "resources:weights/digits_cnn_0-4.safetensors. Use a plain path for other files."
        )
    return path


def make_block(type_name: str, project: Project | None = None, **params: Any) -> BlockSpec:
    """A new block of ``type_name`` with default params (overridden by ``params``)."""
    block_type = blocks.get(type_name)
    block_id = project.new_block_id(type_name) if project else f"{type_name}_1"
    return BlockSpec(
        id=block_id,
        type=type_name,
        name="",
        params=block_type.resolve(params, f"new '{block_type.title}' block"),
    )
