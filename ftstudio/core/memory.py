"""Will training fit in memory? The estimate (:func:`ftstudio.core.shapes.estimate_memory`)
against what the chosen device has free.

``validate`` warns and ``train`` refuses (unless told to go ahead) when the estimate is over
the free memory: a 2 TiB model or a ``[1, 8192, 8192]`` input then fails at once with numbers,
instead of allocating until the machine swaps or the process is killed.
"""

from __future__ import annotations

import os

import torch

from ftstudio.core.shapes import MemoryEstimate

OVERRIDE_HINT = (
    "Lower training.batch_size, the input size or the model, or freeze more blocks; to start "
    "anyway, pass --ignore-memory-limit (the window asks)."
)


def human_bytes(n: float) -> str:
    for suffix in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or suffix == "TiB":
            return f"{int(n)} B" if suffix == "B" else f"{n:.1f} {suffix}"
        n /= 1024
    raise AssertionError("unreachable")


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def available_bytes(device: torch.device) -> int | None:
    """Free memory on ``device`` in bytes, or None when it cannot be known (e.g. MPS)."""
    if device.type == "cuda":
        try:
            return int(torch.cuda.mem_get_info(device)[0])
        except (RuntimeError, AssertionError):
            return None
    if device.type != "cpu":
        return None
    found = _meminfo_available()
    if found is not None:
        return found
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def memory_shortfall(estimate: MemoryEstimate, device: torch.device) -> str | None:
    """Why training will not fit on ``device`` (a sentence with the numbers), or None."""
    free = available_bytes(device)
    if free is None or estimate.total <= free:
        return None
    return (
        f"Training needs about {human_bytes(estimate.total)} at batch size "
        f"{estimate.batch_size} (weights {human_bytes(estimate.params)}, gradients and "
        f"optimizer state {human_bytes(estimate.grads + estimate.optimizer)}, activations "
        f"{human_bytes(estimate.activations)}), but {device} has only {human_bytes(free)} free."
    )
