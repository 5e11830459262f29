"""The "timm backbone" block: any image model of the installed timm (extra ``ftstudio[timm]``).

The block builds ``timm.create_model(name, pretrained=False, num_classes=0)``; pretrained
weights come through timm's own cache (Hugging Face hub), a local file through the same safe
loaders as the other backbones. Without timm the block is still listed, with the install
hint, and a project that uses it gets a validation issue saying so.
"""

from __future__ import annotations

import importlib.util
import socket
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from torch import nn

from ftstudio.core.blocks import codegen
from ftstudio.core.blocks.backbones import OUTPUT, _require_file
from ftstudio.core.blocks.registry import BlockType, Shape, register
from ftstudio.core.errors import FTStudioError, ShapeMismatch, WeightsUnavailableError
from ftstudio.core.params import Param
from ftstudio.core.weights import apply_weights_file, describe_load_failure

INSTALL_HINT = "install ftstudio[timm] (pip install 'ftstudio[timm]')"
PRETRAINED = "pretrained"
HUB_PROBE_TIMEOUT_S = 5.0
RESAMPLING = ("bilinear", "bicubic", "nearest")  # what torchvision's Resize takes by name


class MissingTimmError(FTStudioError):
    """timm is not installed, and a project uses the timm backbone block."""


def timm_installed() -> bool:
    """Whether ``import timm`` can work (without importing it: that takes a second)."""
    if "timm" in sys.modules:
        return sys.modules["timm"] is not None  # None: imports of it are refused
    return importlib.util.find_spec("timm") is not None


def _timm() -> Any:
    try:
        import timm
    except ImportError:
        raise MissingTimmError(
            f"the timm backbone block needs timm, which is not installed: {INSTALL_HINT}, "
            "or replace the block with 'Pretrained backbone' (torchvision)."
        ) from None
    return timm


class TimmNames(Sequence):
    """The installed timm's model names, read on first use.

    Without timm the list is empty, yet every name is accepted (``in``), so a project that
    uses the block still loads and its validation says what to install.
    """

    def __init__(self) -> None:
        self._names: tuple[str, ...] | None = None

    def _get(self) -> tuple[str, ...]:
        if not timm_installed():
            return ()
        if self._names is None:
            self._names = tuple(_timm().list_models())
        return self._names

    def __getitem__(self, index):
        return self._get()[index]

    def __len__(self) -> int:
        return len(self._get())

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __contains__(self, value: object) -> bool:
        if not timm_installed():
            return isinstance(value, str)
        return value in self._get()


def pretrained_cfg(name: str) -> Any | None:
    """timm's default pretrained config of model ``name`` (None: none, or no timm)."""
    if not timm_installed():
        return None
    from timm.models import get_pretrained_cfg

    try:
        return get_pretrained_cfg(name)
    except (RuntimeError, KeyError, ValueError):
        return None


def weights_source(name: str) -> tuple[str, Path | None]:
    """``(what, cached file)`` of ``name``'s pretrained weights: the hub repo and the file in
    Hugging Face's cache, or the URL and the file in torch.hub's cache (None: not cached)."""
    cfg = pretrained_cfg(name)
    if cfg is None:
        return f"timm's {name}", None
    if cfg.hf_hub_id:
        from huggingface_hub import try_to_load_from_cache

        for filename in (cfg.hf_hub_filename, "model.safetensors", "pytorch_model.bin"):
            if filename:
                hit = try_to_load_from_cache(cfg.hf_hub_id, filename)
                if isinstance(hit, str):
                    return cfg.hf_hub_id, Path(hit)
        return cfg.hf_hub_id, None
    from ftstudio.core.weights import hub_cache_file

    cached = hub_cache_file(cfg.url) if cfg.url else None
    return cfg.url or name, cached if cached is not None and cached.is_file() else None


def cache_folder(repo: str) -> str:
    """Where Hugging Face's cache keeps (or would keep) ``repo``."""
    from huggingface_hub import constants

    return str(Path(constants.HF_HUB_CACHE) / f"models--{repo.replace('/', '--')}")


def _remedies(repo: str) -> str:
    return (
        f"Remedies: connect once so timm caches them; on a connected machine run "
        f"`huggingface-cli download {repo}` and copy {cache_folder(repo)} to the same place "
        "here (or point HF_HOME at a copied cache); set the block's weights to 'file' and pick a "
        "local file; or set weights to 'none' to start from random initialisation."
    )


def _warnings(params: dict[str, Any]) -> list[str]:
    """Pretrained weights not in the local cache: said before training, offline and cheap."""
    if params.get("weights") != PRETRAINED or not timm_installed():
        return []
    repo, cached = weights_source(params["architecture"])
    if cached is not None:
        return []
    return [
        f"Pretrained weights for {params['architecture']} ({repo}) are not in the local cache "
        f"({cache_folder(repo)}); training will try to download them and fails offline. "
        + _remedies(repo)
    ]


def _create(params: dict[str, Any], in_shape: Shape, pretrained: bool) -> nn.Module:
    timm = _timm()
    name = params["architecture"]
    if pretrained:
        _require_hub(name)
    try:
        return timm.create_model(name, pretrained=pretrained, **_kwargs(in_shape))
    except FTStudioError:
        raise
    except Exception as exc:  # noqa: BLE001 - offline, DNS, missing file, corrupt cache...
        if not pretrained:
            raise
        repo, cached = weights_source(name)
        where = f"are in the cache ({cached}) but" if cached else "are not in the cache and"
        raise WeightsUnavailableError(
            f"Pretrained weights for {name} ({repo}) {where} could not be loaded: "
            f"{describe_load_failure(exc)}. " + _remedies(repo)
        ) from exc


def _require_hub(name: str) -> None:
    """Uncached weights need the hub: offline, say so at once (the hub client would retry
    for most of a minute before giving up)."""
    repo, cached = weights_source(name)
    if cached is not None or "/" not in repo:
        return
    from huggingface_hub import constants

    host = urlparse(constants.ENDPOINT).hostname or "huggingface.co"
    why = "HF_HUB_OFFLINE is set" if constants.HF_HUB_OFFLINE else ""
    if not why:
        try:
            socket.create_connection((host, 443), timeout=HUB_PROBE_TIMEOUT_S).close()
        except OSError as exc:
            why = f"{host} cannot be reached ({exc.strerror or exc})"
    if why:
        raise WeightsUnavailableError(
            f"Pretrained weights for {name} ({repo}) are not in the cache "
            f"({cache_folder(repo)}) and {why}. " + _remedies(repo)
        )


def _kwargs(in_shape: Shape) -> dict[str, Any]:
    """``create_model`` arguments besides the name: no classifier, the data's channels."""
    kwargs: dict[str, Any] = {"num_classes": 0}
    if in_shape[0] != 3:
        kwargs["in_chans"] = in_shape[0]
    return kwargs


def _check(params: dict[str, Any], in_shape: Shape) -> None:
    name = params["architecture"]
    _timm()  # without timm: the install hint, before anything else
    cfg = pretrained_cfg(name)
    if cfg is not None and cfg.fixed_input_size and tuple(in_shape[1:]) != cfg.input_size[1:]:
        size = list(cfg.input_size)
        raise ShapeMismatch(
            f"timm's {name} takes images of exactly {size}; got {list(in_shape)}. Set the "
            f"project's input shape to {size}.",
            expected=f"(B, {', '.join(map(str, size))})",
            got=f"(B, {', '.join(map(str, in_shape))})",
        )


def _build(params: dict[str, Any], in_shape: Shape, load_weights: bool) -> nn.Module:
    _check(params, in_shape)
    pretrained = load_weights and params["weights"] == PRETRAINED
    model = _create(params, in_shape, pretrained)
    if params["weights"] == "file":
        path = params["weights_file"]
        if not path:
            raise WeightsUnavailableError("weights is 'file' but no file is chosen.")
        _require_file(path)
        head = getattr(model, "pretrained_cfg", {}).get("classifier") or "fc"
        heads = (head,) if isinstance(head, str) else tuple(head)
        apply_weights_file(model, path, load_weights, ignore=tuple(f"{h}." for h in heads))
    from ftstudio.core.blocks import layers

    return layers.TimmBackbone(model, params["output"])


def _code(params: dict[str, Any], in_shape: Shape) -> str:
    inner = codegen.make(
        "timm.create_model", params["architecture"], pretrained=False, **_kwargs(in_shape)
    )
    return codegen.make("layers.TimmBackbone", inner, params["output"]).code()


def _preprocessing(params: dict[str, Any]) -> dict[str, Any] | None:
    """The pretrained config's input size, interpolation, crop and mean/std, with timm's
    pretrained weights (random ones and a file imply nothing, as for torchvision)."""
    if params.get("weights") != PRETRAINED:
        return None
    return cfg_preprocessing(params["architecture"])


def cfg_preprocessing(name: str) -> dict[str, Any] | None:
    """``name``'s pretrained config as FT Studio's preprocessing (None: no config)."""
    cfg = pretrained_cfg(name)
    if cfg is None:
        return None
    channels, height, width = cfg.input_size
    crop = cfg.crop_pct or 1.0
    return {
        "input_shape": [channels, height, width],
        "resize": int(min(height, width) / crop) if cfg.crop_mode == "center" else None,
        "interpolation": cfg.interpolation if cfg.interpolation in RESAMPLING else "bilinear",
        "mean": list(cfg.mean),
        "std": list(cfg.std),
        "source": f"timm {name}.{cfg.tag} pretrained_cfg" if cfg.tag else f"timm {name}",
    }


register(
    BlockType(
        name="timm_backbone",
        title="timm backbone",
        category="Backbones",
        description="An image model from timm with its classifier removed (resnet, efficientnet, "
        "convnext, vit, ...): over a thousand architectures."
        + ("" if timm_installed() else f" Not available: {INSTALL_HINT}."),
        params=(
            Param(
                "architecture",
                "choice",
                "resnet18",
                "timm model name (type to filter)",
                choices=TimmNames(),
            ),
            Param(
                "weights",
                "choice",
                PRETRAINED,
                "pretrained: timm's weights (Hugging Face cache); none: random init; "
                "file: a local state dict",
                choices=(PRETRAINED, "none", "file"),
            ),
            Param("weights_file", "path", "", "local .safetensors/.pt/.pth file for 'file'"),
            OUTPUT,
        ),
        accepts=("image",),
        build=_build,
        code=_code,
        preprocessing=_preprocessing,
        warnings=_warnings,
    )
)
