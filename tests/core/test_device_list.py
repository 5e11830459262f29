"""The device list (issue 8, device selector): what is really there, each CUDA GPU with its
name and memory, MPS, and the CPU. No GPU here: torch.cuda is monkeypatched."""

from __future__ import annotations

import contextlib
import io
import json
from types import SimpleNamespace

import pytest
import torch

from ftstudio.cli import main
from ftstudio.core.training.device import list_devices

GIB = 2**30


@pytest.fixture
def two_gpus(monkeypatch):
    cards = [
        SimpleNamespace(name="NVIDIA H200", total_memory=140 * GIB),
        SimpleNamespace(name="Tesla T4", total_memory=15 * GIB),
    ]
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: len(cards))
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda i: cards[i])
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    return cards


def test_each_cuda_gpu_is_listed_with_its_name_and_memory_then_the_cpu(two_gpus):
    found = list_devices()
    assert [d.name for d in found] == ["cuda:0", "cuda:1", "cpu"]
    assert (found[0].description, found[0].memory_bytes) == ("NVIDIA H200", 140 * GIB)
    assert (found[1].description, found[1].memory_bytes) == ("Tesla T4", 15 * GIB)
    assert found[1].title == "cuda:1 · Tesla T4 · 15.0 GiB"


def test_without_cuda_only_mps_and_cpu_when_there(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert [d.name for d in list_devices()] == ["mps", "cpu"]
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert [d.name for d in list_devices()] == ["cpu"]


def test_a_gpu_whose_properties_fail_is_still_listed(two_gpus, monkeypatch):
    def broken(index):
        raise RuntimeError("CUDA error: unknown error")

    monkeypatch.setattr(torch.cuda, "get_device_properties", broken)
    found = list_devices()
    assert [d.name for d in found] == ["cuda:0", "cuda:1", "cpu"]
    assert found[0].memory_bytes is None and "unreadable" in found[0].description


def test_a_control_character_in_a_gpu_name_is_shown_escaped(two_gpus):
    two_gpus[0].name = "Evil\x1b[2J GPU"
    assert "\x1b" not in list_devices()[0].title


def test_cli_devices_lists_the_same_names(two_gpus):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["devices", "--json"]) == 0
    rows = json.loads(out.getvalue())
    assert [r["name"] for r in rows] == ["cuda:0", "cuda:1", "cpu"]
    assert rows[0] == {"name": "cuda:0", "description": "NVIDIA H200", "memory_bytes": 140 * GIB}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["devices"]) == 0
    assert "cuda:0 · NVIDIA H200 · 140.0 GiB" in out.getvalue().splitlines()
