"""Text that is safe to show: names and messages with control characters escaped, and
messages cut to a few lines (:func:`cut_message`, applied to every error of ours; long lists
go through :func:`summarise`)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from itertools import islice

# bidirectional overrides and isolates can reorder what a terminal shows
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def printable(text: str, keep_newlines: bool = False) -> str:
    """``text`` with control characters shown as escapes (``\\x1b``, ``\\n``, ``\\u202e``).

    ANSI escape sequences in a block or file name could otherwise clear a terminal or fake
    table lines. With ``keep_newlines`` a message may still span lines (tabs are kept too).
    """
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if keep_newlines and ch in "\n\t":
            out.append(ch)
        elif ch in _BIDI or unicodedata.category(ch) in ("Cc", "Cs") or ch in "\u2028\u2029":
            out.append(ascii(ch)[1:-1])
        else:
            out.append(ch)
    return "".join(out)


def shorten(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis, then made :func:`printable`."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return printable(text)


MAX_MESSAGE_LINES = 12
MAX_MESSAGE_CHARS = 2000


def cut_message(text: str, limit: int = MAX_MESSAGE_CHARS, lines: int = MAX_MESSAGE_LINES) -> str:
    """``text`` cut to at most ``lines`` lines and about ``limit`` characters, saying what was
    left out (the end is kept too: it usually says what to do)."""
    parts = text.split("\n")
    if len(parts) > lines:
        left = len(parts) - lines + 1
        parts = [*parts[: lines - 2], f"… ({left} more lines) …", parts[-1]]
        text = "\n".join(parts)
    if len(text) > limit:
        tail = min(200, limit // 4)
        left = len(text) - limit + tail
        text = f"{text[: limit - tail]} … ({left:,} characters left out) … {text[-tail:]}"
    return text


def summarise(items: Iterable, total: int | None = None, limit: int = 8) -> str:
    """``"a, b, c, … (N in all)"``: the first ``limit`` items of a list that may be huge.

    ``total`` is the item count when ``items`` is a lazy iterable (never fully read).
    """
    shown = [str(item) for item in islice(items, limit + 1)]
    if total is None and len(shown) <= limit:
        return ", ".join(shown)
    if total is not None and total <= limit:
        return ", ".join(shown[:total])
    more = f", … ({total:,} in all)" if total is not None else ", …"
    return ", ".join(shown[:limit]) + more
