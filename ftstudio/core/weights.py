"""Safe weight loading: safetensors or ``torch.load(weights_only=True)``, never pickled code."""

from __future__ import annotations

import contextlib
import pickle
import re
import socket
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import torch
from torch import nn

from ftstudio.core.errors import WeightsUnavailableError
from ftstudio.core.files import require_regular_file
from ftstudio.core.state_dicts import KeyFit, extract_state_dict, fit_keys, shapes_of

STATE_DICT_SUFFIXES = (".safetensors", ".pt", ".pth", ".bin")
DOWNLOAD_TIMEOUT_S = 20.0


def describe_load_failure(exc: Exception) -> str:
    """A short reason for a failed safe load, without torch's advice to turn safety off and
    without calling a file of another kind corrupted."""
    text = str(exc).strip()
    if isinstance(exc, pickle.UnpicklingError):
        found = re.search(r"GLOBAL ([\w.]+)", text)
        if found or "global" in text.lower():
            what = f" ({found.group(1)})" if found else ""
            return (
                f"it holds Python objects{what} besides tensors, and FT Studio never unpickles code"
            )
        return "it is not a file that torch.save or safetensors wrote"
    if "zip archive" in text or "corrupted" in text or "safetensors" in type(exc).__module__:
        return "it is not a complete torch.save or safetensors file (another kind, or cut short)"
    first = text.splitlines()[0] if text else type(exc).__name__
    return first.split(" In PyTorch")[0].split("weights_only")[0].rstrip(" .,(`")


def load_state_dict_file(path: str | Path, device: str = "cpu") -> dict[str, torch.Tensor]:
    """Read a state dict from ``.safetensors`` or a weights-only ``.pt``/``.pth`` file.

    ``device="meta"`` reads names and shapes only (no tensor data): cheap enough for
    validation to check that a file fits its block. See :func:`read_state_dict`.
    """
    return read_state_dict(path, device)[0]


def read_state_dict(path: str | Path, device: str = "cpu") -> tuple[dict[str, torch.Tensor], str]:
    """The state dict in ``path`` and where in the file it was (``""``: the whole file).

    A checkpoint dict (``{"state_dict": ...}``, ``{"model": ...}``, Lightning's, FT Studio's)
    gives the weights it holds; a TorchScript archive is named as such, not as a damaged file.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise WeightsUnavailableError(
            f"Weights file not found: {path}. Check the path in the block's settings."
        )
    require_regular_file(
        path, "Weights file", WeightsUnavailableError, "Check the path in the block's settings."
    )
    if is_torchscript(path):
        raise WeightsUnavailableError(
            f"{path} is a TorchScript archive (a whole scripted model), not a state dict. Use "
            "it with 'Backbone from file' (architecture 'auto' or 'torchscript')."
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
            ".safetensors files, state dicts and checkpoint dicts saved with torch.save, and "
            "TorchScript files."
        ) from exc
    found = extract_state_dict(state)
    if found is None:
        raise WeightsUnavailableError(
            f"{path} holds no state dict (no mapping of names to tensors). Save the model's "
            "weights with torch.save(model.state_dict(), path)."
        )
    return found


def is_torchscript(path: str | Path) -> bool:
    """True for a TorchScript archive (``torch.jit.save``), told apart from ``torch.save``'s."""
    try:
        with zipfile.ZipFile(path) as archive:
            return any(name.endswith("/constants.pkl") for name in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


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

    A wrapper prefix on the file's keys (``module.``, ``model.``...) is stripped when that
    makes them fit. Keys under the ``ignore`` prefixes (a head the block drops) are left out whatever their
    shape. ``remedy(fit)`` says what to do when the file does not fit.
    """
    state = load_state_dict_file(path, device="cpu" if load else "meta")
    fit = fit_keys(shapes_of(state), shapes_of(module.state_dict()), ignore, ignore_unexpected)
    if not fit.ok:
        error = WeightsUnavailableError(
            f"The weights in {path} do not match the model ({fit.problems}). "
            + (remedy(fit) if remedy else "Pick a file saved from this block.")
        )
        error.details = fit.full_list
        raise error
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
                f"not be read: {describe_load_failure(exc)}. Remedies: delete that file so torchvision downloads it "
                "again; set the block's weights to 'file' and pick a local file; or set weights "
                "to 'none' to start from random initialisation."
            ) from exc
        raise WeightsUnavailableError(
            f"Pretrained weights for {arch} ({weights}) are not in the cache ({cached}) and could "
            f"not be downloaded: {describe_load_failure(exc)}. {uncached_remedies(cached)}"
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
