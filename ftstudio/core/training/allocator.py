"""Keep freed tensor memory in a training process, so batches stop faulting pages in (glibc).

glibc's ``malloc`` gives large freed blocks back to the system (``munmap``, or trimming the
top of its heap) and adjusts when it does so from the process's history. A training loop
frees and reallocates the same tensors every batch, so each batch faults its pages in again:
on the seed-sequence template on the CPU, 20-25k page faults a second in ``ftstudio train``
and 45-60k in the window's training process (whose heap history differs), 3-8% of the run
in the kernel, with torch's threads waiting for each other at every fault. Fixed thresholds
keep the memory: the process stays at its peak instead of returning to it every batch.

Called by the processes that exist to train (``ftstudio train``, the window's training
process), never by :func:`train_project` in someone else's process. A user's own malloc
settings (``MALLOC_*_`` variables, ``GLIBC_TUNABLES``, a preloaded allocator) are kept.
"""

from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameters (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 2**20  # glibc's largest: smaller blocks come from the reused heap
TRIM_THRESHOLD = 512 * 2**20  # free memory kept at the heap's top before it is returned
USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_")


def keep_freed_memory() -> bool:
    """Set glibc's thresholds for a training process; True when they were set."""
    if not _is_glibc() or _user_chose_allocator(os.environ):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 and (
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
    )


def _is_glibc() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        return os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")
    except (ValueError, OSError, AttributeError):
        return False


def _user_chose_allocator(environ: os._Environ | dict[str, str]) -> bool:
    if any(name in environ for name in USER_SETTINGS):
        return True
    if "malloc" in environ.get("GLIBC_TUNABLES", ""):
        return True
    return "malloc" in environ.get("LD_PRELOAD", "")  # jemalloc, tcmalloc, mimalloc
