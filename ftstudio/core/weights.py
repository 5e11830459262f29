"""Safe weight loading: safetensors or ``torch.load(weights_only=True)``, never pickled code."""

from __future__ import annotations

import contextlib
import pickle
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import torch
from torch import nn

from ftstudio.core.errors import WeightsUnavailableError
from ftstudio.core.files import require_regular_file
from ftstudio.core.state_dicts import KeyFit, fit_keys, shapes_of

STATE_DICT_SUFFIXES = (".safetensors", ".pt", ".pth", ".bin")
DOWNLOAD_TIMEOUT_S = 20.0


def describe_load_failure(exc: Exception) -> str:
    """A short reason for a failed safe load, without torch's advice to turn safety off."""
    if isinstance(exc, pickle.UnpicklingError):
        return "it holds Python objects besides tensors, and FT Studio never unpickles code"
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def load_state_dict_file(path: str | Path, device: str = "cpu") -> dict[str, torch.Tensor]:
    """Read a state dict from ``.safetensors`` or a weights-only ``.pt``/``.pth`` file.

    ``device="meta"`` reads names and shapes only (no tensor data): cheap enough for
    validation to check that a file fits its block.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise WeightsUnavailableError(
            f"Weights file not found: {path}. Check the path in the block's settings."
        )
    require_regular_file(
        path, "Weights file", WeightsUnavailableError, "Check the path in the block's settings."
    )
    try:
        if path.suffix == ".safetensors" and device == "meta":
            state = _safetensors_shapes(path)
        elif path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path), device=device)
        else:
            state = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any reader failure becomes one clear message
        raise WeightsUnavailableError(
            f"Could not read weights from {path}: {describe_load_failure(exc)}. FT Studio reads "
            ".safetensors files and plain state dicts, e.g. torch.save(model.state_dict(), path)."
        ) from exc
    for key in ("state_dict", "model", "model_state_dict"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsUnavailableError(
            f"{path} does not hold a state dict (a mapping of names to tensors)."
        )
    return state


def _safetensors_shapes(path: Path) -> dict[str, torch.Tensor]:
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:
        return {
            key: torch.empty(handle.get_slice(key).get_shape(), device="meta")
            for key in handle.keys()  # noqa: SIM118 - safe_open has keys(), not iteration
        }


def apply_weights_file(
    module: nn.Module,
    path: str,
    load: bool,
    ignore: tuple[str, ...] = (),
    ignore_unexpected: tuple[str, ...] = (),
    remedy: Callable[[KeyFit], str] | None = None,
) -> KeyFit:
    """Load the weights in ``path`` into ``module``, or (``load=False``, as validation does)
    only check from names and shapes that they would fit; a mismatch is named either way.

    Keys under the ``ignore`` prefixes (a head the block drops) are left out whatever their
    shape. ``remedy(fit)`` says what to do when the file does not fit.
    """
    state = load_state_dict_file(path, device="cpu" if load else "meta")
    fit = fit_keys(
        shapes_of(state), shapes_of(module.state_dict()), ignore, ignore_unexpected, False
    )
    if not fit.ok:
        raise WeightsUnavailableError(
            f"The weights in {path} do not match the model ({fit.problems}). "
            + (remedy(fit) if remedy else "Pick a file saved from this block.")
        )
    if load:
        module.load_state_dict({name: state[key] for key, name in fit.keys.items()}, strict=False)
    return fit


def load_into(
    module: nn.Module,
    state: dict[str, torch.Tensor],
    source: str,
    ignore: tuple[str, ...] = (),
) -> None:
    """Load ``state`` into ``module``; report mismatched keys and shapes by name."""
    fit = fit_keys(shapes_of(state), shapes_of(module.state_dict()), ignore, strip_prefix=False)
    if not fit.ok:
        raise WeightsUnavailableError(
            f"The weights in {source} do not match the model ({fit.problems}). "
            "Use a file saved from this model."
        )
    module.load_state_dict({name: state[key] for key, name in fit.keys.items()}, strict=False)


def state_dict_mismatch(module: nn.Module, state: dict[str, torch.Tensor]) -> str:
    """Missing, unexpected and wrong-shape keys of ``state`` for ``module``, named ('' if none)."""
    return fit_keys(shapes_of(state), shapes_of(module.state_dict()), strip_prefix=False).problems


@contextlib.contextmanager
def _socket_timeout(seconds: float) -> Iterator[None]:
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def hub_cache_file(url: str) -> Path:
    """Where torch.hub keeps (or would keep) the file downloaded from ``url``."""
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(url).name


def load_torchvision_weights(weights, arch: str) -> dict[str, torch.Tensor]:
    """Load torchvision pretrained weights from the torch.hub cache, downloading once if needed.

    The download has a timeout, so an offline machine gets a clear error instead of a hang.
    """
    cached = hub_cache_file(weights.url)
    try:
        with _socket_timeout(DOWNLOAD_TIMEOUT_S):
            return torch.hub.load_state_dict_from_url(
                weights.url, progress=False, check_hash=False, weights_only=True, map_location="cpu"
            )
    except Exception as exc:  # noqa: BLE001 - offline, DNS, timeout, corrupt cache...
        if cached.is_file():
            raise WeightsUnavailableError(
                f"Pretrained weights for {arch} ({weights}) are in the cache ({cached}) but could "
                f"not be read: {exc}. Remedies: delete that file so torchvision downloads it "
                "again; set the block's weights to 'file' and pick a local file; or set weights "
                "to 'none' to start from random initialisation."
            ) from exc
        raise WeightsUnavailableError(
            f"Pretrained weights for {arch} ({weights}) are not in the cache ({cached}) and could "
            f"not be downloaded: {exc}. {uncached_remedies(cached)}"
        ) from exc


def uncached_remedies(cached: Path) -> str:
    """What to do when torchvision's pretrained weights are not in the local cache."""
    return (
        f"Remedies: connect once so torchvision can cache them; copy the file to {cached}; set "
        "the block's weights to 'file' and pick a local file; or set weights to 'none' to start "
        "from random initialisation."
    )


def uncached_weights_warning(weights, arch: str) -> str | None:
    """A warning when torchvision's pretrained ``weights`` are not in the local cache (building
    the model will try to download them), or None when they are. Never touches the network."""
    cached = hub_cache_file(weights.url)
    if cached.is_file():
        return None
    return (
        f"Pretrained weights for {arch} ({weights}) are not in the local cache ({cached}); "
        f"training will try to download them and fails offline. {uncached_remedies(cached)}"
    )
