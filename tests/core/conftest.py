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
    """:func:`ftstudio.core.blocks.custom.load_blocks_file`; whatever a test loads is unloaded
    after it (``tests/conftest.py``)."""
    from ftstudio.core.blocks import custom

    return custom.load_blocks_file
