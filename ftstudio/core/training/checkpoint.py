"""Atomic checkpoints holding everything needed to resume exactly; read with weights_only."""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ftstudio.core.errors import TrainingError
from ftstudio.core.files import require_regular_file
from ftstudio.core.project import atomic_write_bytes
from ftstudio.core.weights import describe_load_failure, state_dict_mismatch

FORMAT = "ftstudio-checkpoint"


def rng_state() -> dict[str, Any]:
    """Python, numpy and torch (CPU + CUDA) random states, in weights-only-loadable types."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": [kind, torch.from_numpy(np.asarray(keys).copy()), pos, has_gauss, gauss],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy(), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(path: str | Path, state: dict[str, Any]) -> Path:
    """Serialise ``state`` in memory, then write it atomically (temp file + ``os.replace``)."""
    buffer = io.BytesIO()
    torch.save({"format": FORMAT, **state}, buffer)
    atomic_write_bytes(path, buffer.getvalue())
    return Path(path)


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint with ``torch.load(weights_only=True)``.

    Raises
    ------
    TrainingError
        The file is missing, damaged or not an FT Studio checkpoint.
    """
    path = Path(path)
    if not path.exists():
        raise TrainingError(f"No checkpoint at {path}. Check the path.")
    require_regular_file(path, "Checkpoint", TrainingError, "Give a last.pt or best.pt file.")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - damaged or foreign file
        raise TrainingError(
            f"Cannot read the checkpoint {path}: {describe_load_failure(exc)}. It may be damaged "
            "or from another tool."
        ) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise TrainingError(f"{path} is not an FT Studio checkpoint.")
    return state


def model_weights(path: str | Path) -> dict[str, torch.Tensor]:
    """Only the model's state dict from a checkpoint."""
    return load_checkpoint(path)["model"]


def load_model_state(model: nn.Module, state: dict[str, torch.Tensor], path: str | Path) -> None:
    """Load a checkpoint's model state into ``model``, naming the keys that do not fit.

    Raises
    ------
    TrainingError
        The checkpoint was trained from another project (missing, unexpected or wrong-shape
        keys, each named).
    """
    problems = state_dict_mismatch(model, state)
    if problems:
        raise TrainingError(
            f"The checkpoint {path} does not fit this project's model ({problems}). Use it "
            "with the project it was trained from, or train this project first."
        )
    model.load_state_dict(state)
