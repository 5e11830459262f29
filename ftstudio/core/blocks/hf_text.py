"""The "Transformer encoder (Hugging Face)" block: token ids (B, T) -> token features (B, T, D).

It needs the optional extra ``ftstudio[text]`` (transformers, tokenizers). Without it the block
is still listed, says how to install it, and a project using it gets a validation issue. The
encoder comes from a local folder (``config.json``, ``model.safetensors``, tokenizer files) or
a hub name found in the local Hugging Face cache; nothing is downloaded, weights load from
safetensors only, and remote code never runs.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from torch import nn

from ftstudio.core.blocks import codegen, layers
from ftstudio.core.blocks.registry import BlockType, Shape, register
from ftstudio.core.errors import FTStudioError, WeightsUnavailableError
from ftstudio.core.params import Param

EXTRA = "ftstudio[text]"
INSTALL_HINT = f"install {EXTRA} (pip install '{EXTRA}') to use it"
EXPORT_FOLDER = "text_encoder"  # where an export keeps the encoder's config and tokenizer
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json")


class MissingExtraError(FTStudioError):
    """An optional extra (here transformers/tokenizers) is not installed."""


def available() -> bool:
    """True when transformers and tokenizers can be imported (checked without importing)."""
    return all(importlib.util.find_spec(m) is not None for m in ("transformers", "tokenizers"))


def require_extra() -> None:
    if not available():
        raise MissingExtraError(
            f"Transformer encoder (Hugging Face) needs transformers and tokenizers, which are not "
            f"installed. Install them with pip install '{EXTRA}', or remove the block."
        )


def hub_cache() -> str:
    """The Hugging Face hub cache folder (``HF_HUB_CACHE``/``HF_HOME`` respected)."""
    import os

    from huggingface_hub import constants

    return os.environ.get("HF_HUB_CACHE") or str(constants.HF_HUB_CACHE)


def encoder_folder(params: dict[str, Any]) -> Path:
    """The folder holding the encoder's ``config.json``: ``folder``, else ``hub_name`` looked
    up in the local cache only. Raises :class:`WeightsUnavailableError` naming the remedies."""
    require_extra()
    folder = params.get("folder") or ""
    if folder:
        path = Path(folder)
        if path.is_file():  # a file of the folder (Browse picks files): its config.json, say
            path = path.parent
        if not (path / "config.json").is_file():
            state = "has no config.json" if path.is_dir() else "is not a folder"
            raise WeightsUnavailableError(
                f"the encoder folder {path} {state}. Choose a folder written by "
                "save_pretrained (config.json, model.safetensors, tokenizer files)."
            )
        return path
    name = params.get("hub_name") or ""
    if not name:
        raise WeightsUnavailableError(
            "no encoder is chosen. Set folder to a save_pretrained folder, or hub_name to a "
            "model in the local Hugging Face cache."
        )
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(name, local_files_only=True, cache_dir=hub_cache()))
    except Exception:  # noqa: BLE001 - not cached, or not a valid repository name
        raise WeightsUnavailableError(
            f"'{name}' is not in the local Hugging Face cache ({hub_cache()}); FT Studio never "
            f"downloads. Remedies: on a connected machine run `huggingface-cli download {name}` "
            "and copy the cache (or the downloaded folder) here; or set folder to any "
            "save_pretrained folder."
        ) from None


def weights_file(folder: Path) -> Path:
    """The folder's safetensors weights; other formats are refused (they can run code)."""
    for name in WEIGHT_FILES:
        if (folder / name).is_file():
            return folder / name
    others = sorted(p.name for p in folder.glob("*.bin")) + sorted(
        p.name for p in folder.glob("*.pt*")
    )
    found = f" (it has {', '.join(others[:3])})" if others else ""
    raise WeightsUnavailableError(
        f"the encoder folder {folder} has no model.safetensors{found}. FT Studio loads "
        "safetensors only: save the model with save_pretrained (safetensors is its default), "
        "or set weights to 'none' to start from random initialisation."
    )


def _build(params: dict[str, Any], in_shape: Shape, load_weights: bool) -> nn.Module:
    folder = encoder_folder(params)
    module = layers.HFTextEncoder(str(folder))
    limit = getattr(module.model.config, "max_position_embeddings", None)
    if isinstance(limit, int) and in_shape[0] > limit:
        raise FTStudioError(
            f"the encoder takes at most {limit} tokens, the input has {in_shape[0]}. Lower the "
            f"data's max_length to {limit} or less."
        )
    if params["weights"] == "pretrained":
        path = weights_file(folder)
        if load_weights:
            _load_pretrained(module, folder, path)
    return module


def _load_pretrained(module: layers.HFTextEncoder, folder: Path, path: Path) -> None:
    from transformers import AutoModel
    from transformers.utils import logging

    logging.disable_progress_bar()
    try:
        pretrained = AutoModel.from_pretrained(
            str(folder), local_files_only=True, use_safetensors=True, trust_remote_code=False
        )
    except (OSError, ValueError) as exc:
        raise WeightsUnavailableError(f"cannot read {path}: {exc}") from None
    state = pretrained.state_dict()
    missing = [k for k in module.model.state_dict() if k not in state]
    if missing:
        raise WeightsUnavailableError(
            f"{path} does not hold {len(missing)} of the encoder's weights (such as "
            f"{missing[0]}). Choose the folder the model was saved to with save_pretrained."
        )
    module.model.load_state_dict(state, strict=False)


def _code(params: dict[str, Any], in_shape: Shape) -> str:
    """The export reads the config copied into ``text_encoder/`` next to model.py."""
    return codegen.make("layers.HFTextEncoder", EXPORT_FOLDER).code()


_DESCRIPTION = (
    "A pretrained text encoder from Hugging Face Transformers (BERT, MiniLM, RoBERTa...): "
    "token ids (B, T) -> token features (B, T, D). Its embeddings and each layer are freeze "
    "units."
)


def describe() -> str:
    """The block's description, with the install hint while the extra is missing."""
    return _DESCRIPTION if available() else f"{_DESCRIPTION} Not available: {INSTALL_HINT}."


BLOCK = register(
    BlockType(
        name="hf_text_encoder",
        title="Transformer encoder (Hugging Face)",
        category="Backbones",
        description=describe(),
        params=(
            Param(
                "folder",
                "path",
                "",
                "a save_pretrained folder (config.json, model.safetensors, tokenizer files); "
                "a file in it (its config.json) stands for the folder",
            ),
            Param(
                "hub_name",
                "str",
                "",
                "or a model name in the local Hugging Face cache (when folder is empty)",
            ),
            Param(
                "weights",
                "choice",
                "pretrained",
                "pretrained: the folder's model.safetensors; none: random init, same shape",
                choices=("pretrained", "none"),
            ),
        ),
        accepts=("tokens",),
        build=_build,
        code=_code,
        time_limited=False,  # library code only; importing transformers can take long
    )
)
