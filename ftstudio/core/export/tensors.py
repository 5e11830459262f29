"""The exported weights: the model's state dict as safetensors bytes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from torch import nn

from ftstudio.core.export.errors import ExportError
from ftstudio.core.finite import describe_nonfinite, nonfinite_tensors
from ftstudio.core.weights import load_into, load_state_dict_file


def load_trained(model: nn.Module, checkpoint: str | Path) -> None:
    """Load a training checkpoint (last.pt/best.pt) or a state-dict file into ``model``.

    Read with safe loaders only (``weights_only=True`` / safetensors); mismatched keys raise
    :class:`~ftstudio.core.errors.WeightsUnavailableError` naming them; NaN or infinite
    values (parameters or buffers) raise :class:`ExportError` naming the tensors.
    """
    path = str(checkpoint)
    state = load_state_dict_file(path)
    bad = nonfinite_tensors(state)
    if bad:
        raise ExportError(
            f"The checkpoint {path} holds {describe_nonfinite(bad)}; exported weights would "
            "be useless. Export an earlier checkpoint, or train again with a lower learning "
            "rate."
        )
    load_into(model, state, path)


def weights_metadata(
    project_name: str,
    class_names: list[str] | None,
    input_shape: tuple[int, ...],
    preprocessing: dict[str, Any] | None,
) -> dict[str, str]:
    """The safetensors header metadata of an export (str -> str: values are JSON).

    ``project``, ``class_names`` (a list or null), ``input_shape``, ``preprocessing`` (a dict
    or null) and ``ftstudio_version``; ``predict.py`` reads the class names from here.
    """
    import ftstudio

    return {
        "format": "pt",
        "producer": "ftstudio",
        "ftstudio_version": ftstudio.__version__,
        "project": project_name,
        "class_names": json.dumps(class_names),
        "input_shape": json.dumps(list(input_shape)),
        "preprocessing": json.dumps(preprocessing),
    }


def safetensors_bytes(model: nn.Module, metadata: dict[str, str] | None = None) -> bytes:
    """Every entry of ``model.state_dict()`` as its own contiguous CPU tensor, serialised.

    Cloning each tensor turns shared or tied storage into separate copies, which safetensors
    requires; loading them back restores the same values under the same keys. ``metadata``
    (see :func:`weights_metadata`) goes into the header.
    """
    from safetensors.torch import save

    state = {k: v.detach().to("cpu").clone().contiguous() for k, v in model.state_dict().items()}
    return save(state, metadata=metadata or {"format": "pt", "producer": "ftstudio"})
