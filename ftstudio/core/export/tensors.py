"""The exported weights: the model's state dict as safetensors bytes."""

from __future__ import annotations

from pathlib import Path

from torch import nn

from ftstudio.core.weights import load_into, load_state_dict_file


def load_trained(model: nn.Module, checkpoint: str | Path) -> None:
    """Load a training checkpoint (last.pt/best.pt) or a state-dict file into ``model``.

    Read with safe loaders only (``weights_only=True`` / safetensors); mismatched keys raise
    :class:`~ftstudio.core.errors.WeightsUnavailableError` naming them.
    """
    path = str(checkpoint)
    load_into(model, load_state_dict_file(path), path)


def safetensors_bytes(model: nn.Module) -> bytes:
    """Every entry of ``model.state_dict()`` as its own contiguous CPU tensor, serialised.

    Cloning each tensor turns shared or tied storage into separate copies, which safetensors
    requires; loading them back restores the same values under the same keys.
    """
    from safetensors.torch import save

    state = {k: v.detach().to("cpu").clone().contiguous() for k, v in model.state_dict().items()}
    return save(state, metadata={"format": "pt", "producer": "ftstudio"})
