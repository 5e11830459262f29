"""Device choice, autocast, distributed (torchrun) setup, peak memory."""

from __future__ import annotations

import contextlib
import os
import resource
import sys
from dataclasses import dataclass

import torch
import torch.distributed as dist

from ftstudio.core.errors import TrainingError
from ftstudio.core.text import printable

SUPPORTED_DEVICE_TYPES = ("cpu", "cuda", "mps")
DEVICE_CHOICES = "auto, cpu, cuda, cuda:N (a GPU number) or mps"


@dataclass(frozen=True)
class DistInfo:
    """This process's place in a torchrun job (rank 0 of 1 when not distributed)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world > 1


def dist_info() -> DistInfo:
    if dist.is_available() and dist.is_initialized():
        return DistInfo(
            dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", 0))
        )
    return DistInfo()


def launched_by_torchrun() -> bool:
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def init_distributed(device: torch.device) -> bool:
    """Join the torchrun process group (NCCL on GPU, Gloo on CPU); True if this call did it."""
    if not launched_by_torchrun() or dist.is_initialized():
        return False
    dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return True


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    """``auto`` picks CUDA, then MPS, then CPU; other names are checked."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", local_rank)
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    shown = printable(str(name))
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError, ValueError):
        raise TrainingError(f"Unknown device '{shown}'. Use {DEVICE_CHOICES}.") from None
    if device.type not in SUPPORTED_DEVICE_TYPES:
        raise TrainingError(f"FT Studio cannot train on device '{shown}'. Use {DEVICE_CHOICES}.")
    if device.type == "cpu" and device.index not in (None, 0):
        raise TrainingError(f"There is only one CPU device; use 'cpu', not '{shown}'.")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise TrainingError("Device 'cuda' was asked for, but no CUDA GPU is available.")
        if device.index is None:
            device = torch.device("cuda", local_rank)
        count = torch.cuda.device_count()
        if device.index >= count:
            raise TrainingError(
                f"Device '{shown}' was asked for, but this machine has {count} CUDA "
                f"GPU{'s' if count != 1 else ''} (cuda:0 to cuda:{count - 1})."
            )
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise TrainingError("Device 'mps' was asked for, but Apple's MPS is not available.")
    return device


@dataclass(frozen=True)
class DeviceOption:
    """One device training can use: ``name`` is what ``training.device`` holds."""

    name: str  # "cuda:0", "mps" or "cpu"
    description: str  # "NVIDIA H200", "Apple GPU (MPS)", "CPU, 16 cores"
    memory_bytes: int | None = None  # total memory (GPU memory, or the machine's RAM)

    @property
    def title(self) -> str:
        """``cuda:0 · NVIDIA H200 · 139.8 GiB``."""
        memory = f" · {self.memory_bytes / 2**30:.1f} GiB" if self.memory_bytes else ""
        return f"{self.name} · {self.description}{memory}"


def _total_ram() -> int | None:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def list_devices() -> list[DeviceOption]:
    """The devices this machine really has: each CUDA GPU (name, memory), MPS, then the CPU.

    A GPU whose properties cannot be read is still listed, without a name.
    """
    found: list[DeviceOption] = []
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            try:
                props = torch.cuda.get_device_properties(index)
                name, memory = printable(str(props.name)), int(props.total_memory)
            except (RuntimeError, AssertionError, AttributeError):
                name, memory = "CUDA GPU (properties unreadable)", None
            found.append(DeviceOption(f"cuda:{index}", name, memory))
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append(DeviceOption("mps", "Apple GPU (MPS)"))
    cores = os.cpu_count()
    found.append(DeviceOption("cpu", f"CPU, {cores} cores" if cores else "CPU", _total_ram()))
    return found


def autocast_factory(device: torch.device, amp: str):
    """A zero-argument context factory: autocast for bf16/fp16 on CUDA, else a no-op."""
    if amp == "off" or device.type != "cuda":
        return contextlib.nullcontext
    dtype = torch.bfloat16 if amp == "bf16" else torch.float16
    return lambda: torch.autocast("cuda", dtype=dtype)


def reset_peak_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def peak_memory_mb(device: torch.device) -> float:
    """Peak allocated GPU memory, or this process's peak resident memory on CPU."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024
