"""Ctrl-C always ends the CLI, even while the main thread is stuck in native code.

Python turns Ctrl-C into ``KeyboardInterrupt`` only when the main thread next runs Python
code; inside a TorchScript loop or a long C++ call that may be never. The C-level signal
handler still writes the signal number to the "wakeup fd"; a watcher thread reads it and,
if the process has not ended after a short grace period (time for the normal
``KeyboardInterrupt`` path), prints ``interrupted`` and exits with status 130.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator

GRACE_S = 3.0


@contextlib.contextmanager
def ctrl_c_always_exits(grace_s: float = GRACE_S) -> Iterator[None]:
    """While active, a Ctrl-C that Python cannot deliver still ends the process (exit 130)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    try:
        previous = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    except (ValueError, OSError):
        reader.close()
        writer.close()
        yield
        return
    done = threading.Event()

    def watch() -> None:
        seen = 0
        while not done.is_set():
            try:
                data = reader.recv(64)
            except OSError:
                return
            if not data:
                return
            # one byte per SIGINT, also from forked DataLoader workers that share this fd:
            # any count means "Ctrl-C was pressed"; the grace period always applies
            seen += data.count(signal.SIGINT)
            if seen and not done.wait(grace_s):
                if done.is_set():
                    return
                try:
                    print("interrupted", file=sys.stderr, flush=True)
                finally:
                    os._exit(130)

    watcher = threading.Thread(target=watch, name="ftstudio-ctrl-c", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        signal.set_wakeup_fd(previous)
        writer.close()  # the watcher's recv returns b"" and it ends
        watcher.join(1.0)
        reader.close()
