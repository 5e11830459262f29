"""Keep the window's start-up objects out of Python's full garbage collections.

A full (oldest-generation) collection walks every tracked object: once torch, Qt and
pyqtgraph are imported that is about 370,000 objects and 180 ms on the GUI thread, a visible
freeze that came at random in about one run in forty (the bench's 195-223 ms stalls).
``gc.freeze`` moves the objects alive now to a generation no collection walks; later ones are
collected as before. It runs once a process, when start-up's imports are done (the first
validation has imported torch and the builder), after the young generations' garbage is
collected, so only what lives then is kept for good.
"""

from __future__ import annotations

import gc

_settled = False


def settle_start_up_objects(*_args: object) -> bool:
    """Freeze the objects alive now, at the first call in this process; True if it did."""
    global _settled
    if _settled:
        return False
    _settled = True
    gc.collect(1)  # young garbage goes first (fast); only the oldest generation is walked slowly
    gc.freeze()
    return True
