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
from ftstudio.core.finite import describe_nonfinite, nonfinite_tensors
from ftstudio.core.tempfiles import atomic_write_bytes
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


def set_rng_state(state: dict[str, Any], path: str | Path = "") -> None:
    """Restore the random states; a damaged entry is a :class:`TrainingError`."""
    try:
        _set_rng_state(state)
    except (KeyError, TypeError, ValueError, RuntimeError, IndexError, AttributeError):
        raise damaged(path, "its random-number state ('rng') cannot be restored") from None


def _set_rng_state(state: dict[str, Any]) -> None:
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


def damaged(path: str | Path, problem: str) -> TrainingError:
    return TrainingError(
        f"The checkpoint {path} is damaged or not from this version of FT Studio: {problem}. "
        "Use another checkpoint, or train from the start."
    )


def check_model_state(state: dict[str, Any], path: str | Path) -> dict[str, torch.Tensor]:
    """The checkpoint's ``model`` entry, refused when missing, ill-typed or not finite."""
    model = state.get("model")
    if model is None:
        raise damaged(path, "it has no 'model' entry (the weights)")
    if not isinstance(model, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in model.items()
    ):
        raise damaged(path, "its 'model' entry is not a set of named tensors")
    bad = nonfinite_tensors(model)
    if bad:
        raise TrainingError(
            f"The checkpoint {path} holds {describe_nonfinite(bad)}; its weights cannot be "
            "used. Use an earlier checkpoint, or train again with a lower learning rate."
        )
    return model


def check_training_state(state: dict[str, Any], path: str | Path) -> None:
    """Refuse a checkpoint to resume from whose entries are missing or of the wrong type.

    ``optimizer`` may be missing (the resumed run then starts the optimizer afresh).
    """
    check_model_state(state, path)
    for key in ("scaler", "rng"):
        if not isinstance(state.get(key), dict):
            raise damaged(path, f"its '{key}' entry is missing or not a dictionary")
    for key in ("epoch", "batch", "step", "bad_epochs"):
        value = state.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise damaged(path, f"its '{key}' entry is {_shown(value)}, not a whole number")
        if value < 0:
            raise damaged(path, f"its '{key}' entry is {value}, an impossible position")
    best = state.get("best")
    if best is not None and (not isinstance(best, (int, float)) or isinstance(best, bool)):
        raise damaged(path, f"its 'best' entry is {_shown(best)}, not a number")
    optimizer = state.get("optimizer")
    if optimizer is not None and not (
        isinstance(optimizer, dict) and {"state", "param_groups"} <= set(optimizer)
    ):
        raise damaged(path, "its 'optimizer' entry is not an optimizer state")
    if not isinstance(state.get("config", {}), dict):
        raise damaged(path, "its 'config' entry is not a dictionary")


def check_position(
    state: dict[str, Any], path: str | Path, epochs: int, batches_per_epoch: int
) -> None:
    """Refuse a position this run cannot continue from (past its end, past an epoch's end)."""
    epoch, batch = state["epoch"], state["batch"]
    if epoch > epochs or (epoch == epochs and batch > 0):
        raise TrainingError(
            f"The checkpoint {path} has already trained {epoch} epochs, more than the {epochs} "
            f"asked for. Set the number of epochs (--epochs or training.epochs) to {epoch} or "
            "more."
        )
    if batch >= batches_per_epoch:
        raise TrainingError(
            f"The checkpoint {path} stopped at batch {batch} of an epoch, but an epoch of this "
            f"project's data has {batches_per_epoch} batches: the data or the batch size "
            "changed since. Resume with the same data and batch size, or train from the start."
        )


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def model_weights(path: str | Path) -> dict[str, torch.Tensor]:
    """Only the model's state dict from a checkpoint, checked (present, tensors, finite)."""
    return check_model_state(load_checkpoint(path), path)


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


def saved_standardizer(path: str | Path) -> dict[str, Any]:
    """The ``data.standardize`` statistics a checkpoint was trained with (``{}``: trained
    without), for evaluate, resume and export to scale samples exactly as training did."""
    return load_checkpoint(path).get("standardize") or {}
