"""Fixtures for the core tests (no Qt here)."""

from __future__ import annotations

import pytest
import torch
from tiny_nets import TinyNet


@pytest.fixture
def torchscript_file(tmp_path):
    """A TorchScript file of :class:`TinyNet` and the module it was scripted from."""
    torch.manual_seed(0)
    net = TinyNet().eval()
    path = tmp_path / "tiny_scripted.pt"
    torch.jit.save(torch.jit.script(net), str(path))
    return path, net


@pytest.fixture
def offline_hub(tmp_path, monkeypatch):
    """An empty torch.hub cache in ``tmp_path`` and a network that refuses every download.

    Returns the checkpoints folder and the list of URLs that a download was attempted for.
    """
    import socket

    hub = tmp_path / "hub"
    monkeypatch.setattr(torch.hub, "_hub_dir", str(hub))
    attempts: list[tuple[str, float | None]] = []

    def refuse(url, dst, *args, **kwargs):
        attempts.append((url, socket.getdefaulttimeout()))
        raise OSError("[Errno -3] Temporary failure in name resolution (test: offline)")

    monkeypatch.setattr(torch.hub, "download_url_to_file", refuse)
    return hub / "checkpoints", attempts


@pytest.fixture
def custom_blocks():
    """Loads blocks files for one test and unloads every one afterwards (the registry is
    process-wide). Returns :func:`ftstudio.core.blocks.custom.load_blocks_file`."""
    from ftstudio.core.blocks import custom

    yield custom.load_blocks_file
    for record in custom.loaded_files():
        custom.unload_blocks_file(record.path)
