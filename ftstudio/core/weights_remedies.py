"""What a user can do about a block whose weights file does not fit it, as data.

The window shows these as buttons next to a "Weights problem"; they are plain parameter
changes, so the CLI reaches the same result by setting the same parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ftstudio.core.project import BlockSpec

CHOOSE_FILE, RANDOM_INIT = "choose_file", "random_init"


@dataclass(frozen=True)
class WeightsRemedy:
    kind: str  # CHOOSE_FILE (then set ``param`` to the chosen path) or RANDOM_INIT
    label: str
    param: str = ""  # the path parameter a chosen file goes into
    params: dict[str, Any] = field(default_factory=dict)  # other parameters to set with it


def weights_remedies(spec: BlockSpec) -> list[WeightsRemedy]:
    """The remedies that apply to ``spec``: choose another file (a block with a path
    parameter), use random initialisation (a block whose weights are optional)."""
    params = {p.name: p for p in spec.block_type.params}
    choice = params.get("weights")
    pretrained = choice is not None and choice.kind == "choice"
    paths = [p.name for p in params.values() if p.kind == "path"]
    file_param = "weights_file" if "weights_file" in paths else (paths[0] if paths else "")
    remedies = []
    if file_param:
        also = {"weights": "file"} if pretrained and "file" in choice.choices else {}
        remedies.append(WeightsRemedy(CHOOSE_FILE, "Choose another file…", file_param, also))
    if pretrained and "none" in choice.choices:
        remedies.append(
            WeightsRemedy(RANDOM_INIT, "Use random initialisation", "", {"weights": "none"})
        )
    elif "weights_file" in params and params["weights_file"].default == "":
        remedies.append(
            WeightsRemedy(RANDOM_INIT, "Use random initialisation", "", {"weights_file": ""})
        )
    return remedies
