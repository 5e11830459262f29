"""Text that is safe to show: names and messages with control characters escaped."""

from __future__ import annotations

import unicodedata

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
