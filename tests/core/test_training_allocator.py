"""Training processes keep freed tensor memory: no page faults per batch (glibc only)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ftstudio.core.training import allocator

glibc = pytest.mark.skipif(not allocator._is_glibc(), reason="glibc's malloc only")

# Two 20 MB tensors and a small one, allocated and freed as a batch's activations are, in a
# process whose history left glibc giving freed memory back at once (its thresholds adapt to
# the history, so without this the control would depend on the interpreter's own allocations).
FAULT_PROBE = """
import ctypes, resource, sys, torch
from ftstudio.core.training.allocator import keep_freed_memory
mallopt = ctypes.CDLL(None).mallopt
mallopt(-3, 64 * 1024)  # M_MMAP_THRESHOLD
mallopt(-1, 0)  # M_TRIM_THRESHOLD
kept = keep_freed_memory() if sys.argv[1] == "keep" else None
def batch():
    a = torch.ones(5_000_000); b = torch.ones(5_000_000); c = torch.ones(300_000)
    del a, b, c
for _ in range(3):
    batch()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    batch()
print(kept, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def page_faults(mode: str, **env: str) -> tuple[str, int]:
    out = subprocess.run(
        [sys.executable, "-c", FAULT_PROBE, mode],
        capture_output=True, text=True, check=True, env={**os.environ, **env},
    ).stdout.split()  # fmt: skip
    return out[0], int(out[1])


@glibc
def test_freed_tensor_memory_is_reused_without_page_faults():
    _, plain = page_faults("plain")
    kept, faults = page_faults("keep")
    assert kept == "True"
    assert plain > 20 * 1000  # the control: every batch faulted its pages in again
    assert faults < plain / 20


@glibc
def test_a_users_own_malloc_settings_are_kept():
    kept, faults = page_faults("keep", MALLOC_TRIM_THRESHOLD_="1000")
    assert kept == "False"
    assert faults > 20 * 1000  # the user's setting (trim at once) still rules


@pytest.mark.parametrize(
    "environ",
    [
        {"MALLOC_MMAP_THRESHOLD_": "65536"},
        {"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=0"},
        {"LD_PRELOAD": "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"},
    ],
)
def test_each_kind_of_user_choice_is_seen(environ):
    assert allocator._user_chose_allocator(environ)
    assert not allocator._user_chose_allocator({"GLIBC_TUNABLES": "glibc.rtld.optional=1"})


def test_ftstudio_train_sets_it_before_training(monkeypatch, tmp_path):
    from ftstudio.cli import main

    calls = []
    monkeypatch.setattr(allocator, "keep_freed_memory", lambda: calls.append("set") or True)
    assert main(["train", str(tmp_path / "missing.ftproj"), "--quiet"]) != 0
    assert calls == ["set"]
