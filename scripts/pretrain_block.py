"""Shared by the scripts that pretrain a block: train a project with FT Studio's own engine and
write one block's state dict as safetensors (atomically, with the result in its metadata)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from safetensors.torch import save_file

from ftstudio.core import project as project_io
from ftstudio.core.training import train_project


def pretrain_block(
    raw_project: dict,
    block_id: str,
    out: Path,
    metadata: dict[str, str] | None = None,
    device: str = "cpu",
) -> float:
    """Train ``raw_project`` and write block ``block_id``'s weights to ``out``.

    Returns the final validation accuracy; with ``metadata``, it is recorded there as
    ``val_accuracy`` next to the given entries.
    """
    project = project_io.from_dict(raw_project, raw_project["name"])
    with tempfile.TemporaryDirectory() as run_dir:
        result = train_project(project, overrides={"device": device}, run_dir=run_dir)
    state = {
        k: v.detach().cpu().contiguous()
        for k, v in result.model.get_submodule(block_id).state_dict().items()
    }
    accuracy = result.summary["final"].get("val_accuracy", float("nan"))
    if metadata is not None:
        metadata = {**metadata, "val_accuracy": f"{accuracy:.4f}"}
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    save_file(state, str(partial), metadata=metadata)
    os.replace(partial, out)  # atomic: never a half-written weights file
    print(f"wrote {out} ({out.stat().st_size} bytes)")
    return accuracy
