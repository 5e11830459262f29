"""The validation report as data: each block's shapes and counts, the first issue, memory."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ftstudio.core.blocks.registry import Shape
from ftstudio.core.data.peek import DataCheck


@dataclass
class BlockIssue:
    """The first problem in a stack, as data.

    ``index`` is the block's position (-1: the stack as a whole). ``kind`` is ``"block"`` when
    the block cannot take its input (or cannot be built), ``"task"`` when the stack runs but
    its output does not fit the task, ``"stack"`` for the stack as a whole (empty, no input
    shape), ``"data"`` for data that does not fit the project (the data check). ``fix`` names a block type to insert before the block, if one would help.
    """

    index: int
    block_id: str
    message: str
    expected: str = ""
    got: str = ""
    fix: str | None = None
    kind: str = "block"
    details: str = ""  # the full list behind a summarised message (shown on demand)

    @property
    def title(self) -> str:
        """What the problem is called in the window: a weights file is no shape error."""
        return "Weights problem" if self.kind == "weights" else "Shape error"


@dataclass
class BlockReport:
    index: int
    block_id: str
    label: str
    type: str
    status: str  # "ok", "error" or "unknown"
    in_shape: Shape | None = None
    out_shape: Shape | None = None
    trainable: int = 0
    frozen: int = 0
    flops: int = 0
    activation_bytes: int = 0
    stages: list[str] = field(default_factory=list)
    stage_params: dict[str, int] = field(default_factory=dict)
    issue: BlockIssue | None = None
    warnings: list[str] = field(default_factory=list)  # also in the report's list, with "where"
    note: str = ""  # the block's status, e.g. "resnet18 (guessed from the file)"


@dataclass
class MemoryEstimate:
    batch_size: int
    params: int
    grads: int
    optimizer: int
    activations: int

    @property
    def total(self) -> int:
        return self.params + self.grads + self.optimizer + self.activations


@dataclass
class ValidationReport:
    input_shape: Shape | None
    blocks: list[BlockReport]
    issue: BlockIssue | None
    memory: MemoryEstimate
    warnings: list[str] = field(default_factory=list)
    data: DataCheck | None = None  # only when the data check ran

    @property
    def ok(self) -> bool:
        return self.issue is None

    @property
    def output_shape(self) -> Shape | None:
        return self.blocks[-1].out_shape if self.blocks and self.ok else None

    @property
    def trainable(self) -> int:
        return sum(b.trainable for b in self.blocks)

    @property
    def frozen(self) -> int:
        return sum(b.frozen for b in self.blocks)

    @property
    def flops(self) -> int:
        return sum(b.flops for b in self.blocks)

    def to_json(self) -> dict[str, Any]:
        out = {
            "ok": self.ok,
            "input_shape": self.input_shape,
            "output_shape": self.output_shape,
            "trainable": self.trainable,
            "frozen": self.frozen,
            "flops": self.flops,
            "memory": {**asdict(self.memory), "total": self.memory.total},
            "issue": asdict(self.issue) if self.issue else None,
            "blocks": [asdict(b) for b in self.blocks],
            "warnings": list(self.warnings),
            "data": self.data.to_json() if self.data is not None else None,
        }
        return out
