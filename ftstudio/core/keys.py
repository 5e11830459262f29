"""Unknown keys, named with the nearest known one ("did you mean 'frozen'?")."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable


def nearest(key: str, known: Iterable[str]) -> str | None:
    """The known key closest to ``key`` (a typo, another case), or None."""
    known = list(known)
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return close[0]
    lowered = {k.lower(): k for k in known}
    return lowered.get(key.lower())


def unknown_keys(raw: dict, known: Iterable[str], where: str, noun: str = "key") -> list[str]:
    """One sentence per key of ``raw`` that is not in ``known``, with the nearest known key."""
    known = tuple(known)
    out = []
    for key in raw:
        if key in known:
            continue
        shown = json.dumps(key, ensure_ascii=False)[:60]
        close = nearest(str(key), known)
        hint = f"did you mean '{close}'?" if close else f"known {noun}s: {', '.join(known)}."
        out.append(f"{where}: unknown {noun} {shown}; {hint}")
    return out
