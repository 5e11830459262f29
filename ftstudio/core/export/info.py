"""What the exported ``model.py`` states about the project: classes, preprocessing, freezing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from ftstudio.core.builder import freeze_units
from ftstudio.core.data import load_data, scaling
from ftstudio.core.data.config import parse_data_config
from ftstudio.core.errors import FTStudioError
from ftstudio.core.project import Project
from ftstudio.core.training.checkpoint import FORMAT


def class_names_for(project: Project) -> list[str] | None:
    """The class names when the data source tells them (digits, synthetic, image folder)."""
    from ftstudio.core.data import builtin, images
    from ftstudio.core.data.config import parse_classes, parse_data_config

    if project.task.kind == "regression":
        return None
    names: list[str] | None = None
    try:
        config = parse_data_config(project.data)
        if config.source == "digits":
            names = [str(c) for c in parse_classes(config.classes, list(range(10)))]
        elif config.source == "synthetic-sequence":
            names = builtin.sequence_class_names(config.labels)
        elif config.source == "image-folder" and config.path:
            names = images.scan_folder(config, project.resolve_path(config.path))[1]
        elif config.source in ("text-csv", "token-jsonl") and config.path:
            from ftstudio.core.data.text import label_names

            names = label_names(config, project.resolve_path(config.path))
    except FTStudioError:  # data not available here: the export does not need it
        return None
    return names if names is not None and len(names) == project.task.num_classes else None


def preprocessing_for(project: Project, input_shape: tuple[int, ...]) -> dict[str, Any] | None:
    """Image preprocessing as FT Studio applies it, or None when samples are fed as they are.

    The first block's own preprocessing (a pretrained backbone's resize/mean/std), or for an
    image-folder source the defaults the app uses; the final size is the model's input size.
    """
    from ftstudio.core.data import images

    if len(input_shape) != 3 or not project.blocks:
        return None
    first = project.blocks[0].block_type
    if first.preprocessing is None and project.data.get("source") != "image-folder":
        return None
    try:
        prep = images.preprocessing_for(project, input_shape)
    except FTStudioError:
        return None
    same = list(prep["input_shape"]) == list(input_shape)
    out = {
        "resize": prep.get("resize") if same else None,
        "size": list(input_shape[1:]),
        "mean": [float(v) for v in prep["mean"]],
        "std": [float(v) for v in prep["std"]],
        "source": str(prep.get("source", "")),
    }
    if prep.get("interpolation"):  # the weights' own resampling (timm's pretrained_cfg)
        out["interpolation"] = str(prep["interpolation"])
    return out


def standardizer_for(
    project: Project, checkpoint: str | Path | None, notes: list[str]
) -> dict[str, Any] | None:
    """``data.standardize``'s statistics for ``model.py``: a checkpoint's own (as trained),
    else fitted on the training split as training would; None when off or not tabular."""
    try:
        config = parse_data_config(project.data)
    except FTStudioError:
        return None
    if checkpoint is not None:
        try:
            state = torch.load(checkpoint, map_location="cpu", weights_only=True)
        except Exception:  # noqa: BLE001 - a plain weights file: no statistics inside
            state = None
        if isinstance(state, dict) and state.get("format") == FORMAT:
            return state.get("standardize") or None
    if not (config.standardize and config.source in scaling.SOURCES):
        return None
    try:
        return load_data(project).info.get("standardize")
    except FTStudioError as exc:
        notes.append(
            f"data.standardize is on, but the data could not be read to fit it ({exc}); "
            "model.py's STANDARDIZE is None, so feed it standardized samples."
        )
        return None


def frozen_prefixes(model: nn.Module, project: Project) -> list[str]:
    """Parameter-name prefixes of frozen blocks and frozen stages, as the builder freezes them."""
    names: dict[int, str] = {id(m): n for n, m in model.named_modules()}
    names.update({id(p): n for n, p in model.named_parameters()})
    out: list[str] = []
    for spec in project.blocks:
        if spec.trains_nothing:
            out.append(spec.id)
            continue
        units = freeze_units(model.get_submodule(spec.id))
        for stage in spec.frozen_stages:
            out += [names[id(item)] for item in units.get(stage, []) if id(item) in names]
    return out
