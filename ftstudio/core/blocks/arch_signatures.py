"""The key names and shapes of every torchvision architecture, for guessing a file's one.

Building 76 torchvision models takes tens of seconds even without their weights, so the
names and shapes ship in ``resources/torchvision_signatures.json.gz``, written by
``scripts/make_torchvision_signatures.py`` for the torchvision version it names. With another
torchvision version they still rank the candidates, and the one picked is confirmed against
its signature built on the meta device (all are built only if that fails).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import torch
from torch import nn

from ftstudio.core.blocks import layers
from ftstudio.core.lazy import LazyModule

torchvision = LazyModule("torchvision")

SIGNATURES_FILE = (
    Path(__file__).resolve().parents[2] / "resources" / "torchvision_signatures.json.gz"
)


# Classifiers without a Linear head or with auxiliary outputs do not fit the block contract.
_EXCLUDED = {"squeezenet1_0", "squeezenet1_1", "googlenet", "inception_v3"}


@cache
def torchvision_architectures() -> tuple[str, ...]:
    """The torchvision classification models a backbone block can be."""
    names = torchvision.models.list_models(module=torchvision.models)
    return tuple(sorted(n for n in names if n not in _EXCLUDED))


@dataclass(frozen=True)
class Signature:
    """A torchvision architecture's state-dict names and shapes, and its head's prefix."""

    arch: str
    keys: dict[str, tuple[int, ...]]
    head: str  # e.g. "fc." or "classifier.1."; "" when it has no Linear head


@cache
def _shipped_file() -> tuple[str, dict[str, Signature]]:
    """The shipped signatures and the torchvision version they were written for."""
    if not SIGNATURES_FILE.is_file():
        return "", {}
    raw = json.loads(gzip.decompress(SIGNATURES_FILE.read_bytes()))
    return raw.get("torchvision", ""), {
        arch: Signature(arch, {k: tuple(s) for k, s in entry["keys"].items()}, entry["head"])
        for arch, entry in raw["architectures"].items()
    }


def _shipped() -> dict[str, Signature]:
    """The shipped signatures when they are for this torchvision version, else none."""
    version, signatures = _shipped_file()
    return signatures if version == torchvision.__version__ else {}


def candidate_signature(arch: str) -> Signature | None:
    """A quick signature for ranking candidates: the shipped one, even for another
    torchvision version (architectures rarely change names or shapes), else :func:`signature`.
    A guess made from it is confirmed with :func:`signature`."""
    return _shipped_file()[1].get(arch) or signature(arch)


@cache
def signature(arch: str) -> Signature | None:
    """The signature of ``arch`` (shipped, or built on the meta device); None if unbuildable."""
    shipped = _shipped().get(arch)
    if shipped is not None:
        return shipped
    try:
        with torch.device("meta"):
            model = torchvision.models.get_model(arch, weights=None)
    except Exception:  # noqa: BLE001 - e.g. regnet computes its widths with real tensors
        return None
    return signature_of(arch, model)


def signature_of(arch: str, model: nn.Module) -> Signature:
    head = layers.last_linear_path(model)
    keys = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    return Signature(arch, keys, head + "." if head else "")


# ---------------------------------------------------------------- for the generating script

_EMPTY = threading.local()


@contextlib.contextmanager
def empty_init() -> Iterator[None]:
    """Build modules with meta parameters and no initialisation (this thread only).

    Unlike ``torch.device("meta")`` this also builds models whose constructor computes with
    real tensors (regnet). Used by the script that writes the shipped signatures.
    """
    register_parameter, register_buffer = nn.Module.register_parameter, nn.Module.register_buffer
    inits = {
        name: getattr(nn.init, name)
        for name in dir(nn.init)
        if name.endswith("_") and not name.startswith("_")
    }

    def parameter(self, name, param):
        if param is not None and getattr(_EMPTY, "on", False):
            param = nn.Parameter(param.to("meta"), requires_grad=param.requires_grad)
        register_parameter(self, name, param)

    def buffer(self, name, tensor, persistent=True):
        if tensor is not None and getattr(_EMPTY, "on", False):
            tensor = tensor.to("meta")
        register_buffer(self, name, tensor, persistent)

    def skip(init):
        def wrapped(tensor, *args, **kwargs):
            return tensor if getattr(_EMPTY, "on", False) else init(tensor, *args, **kwargs)

        return wrapped

    nn.Module.register_parameter, nn.Module.register_buffer = parameter, buffer
    for name, init in inits.items():
        setattr(nn.init, name, skip(init))
    _EMPTY.on = True
    try:
        yield
    finally:
        _EMPTY.on = False
        nn.Module.register_parameter, nn.Module.register_buffer = (
            register_parameter,
            register_buffer,
        )
        for name, init in inits.items():
            setattr(nn.init, name, init)
