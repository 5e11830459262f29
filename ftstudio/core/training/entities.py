"""Entity scores for BIO tags, as seqeval (conlleval) counts them.

An entity is a run of tags ``B-X I-X I-X...``; an ``I-X`` after ``O`` or after another type
starts one too (conlleval's lenient rule). A predicted entity counts as correct only when its
type, start and end all equal a true one. Scores are per type and overall (micro average).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

Span = tuple[str, int, int]  # (type, start, end exclusive)


def is_bio(class_names: Sequence[str]) -> bool:
    """True when every class is ``O``, ``B-X`` or ``I-X`` and some class begins an entity."""
    names = [str(n) for n in class_names]
    ok = all(n == "O" or n[:2] in ("B-", "I-") and len(n) > 2 for n in names)
    return ok and any(n.startswith("B-") for n in names)


def spans(tags: Sequence[str]) -> list[Span]:
    """The entities of one sentence's tags."""
    out: list[Span] = []
    kind: str | None = None
    start = 0
    for i, tag in enumerate([*tags, "O"]):
        prefix, typ = (tag[0], tag[2:]) if tag[:2] in ("B-", "I-") else ("O", "")
        if kind is not None and (prefix != "I" or typ != kind):
            out.append((kind, start, i))
            kind = None
        if prefix == "B" or (prefix == "I" and kind is None):
            kind, start = typ, i
    return out


def _scores(correct: int, predicted: int, true: int) -> dict[str, float]:
    precision = correct / predicted if predicted else 0.0
    recall = correct / true if true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": true}


def entity_scores(
    true: Iterable[Sequence[str]], predicted: Iterable[Sequence[str]]
) -> dict[str, dict[str, float]]:
    """``{type: {precision, recall, f1, support}}`` plus ``"overall"`` (micro average), over
    sentences given as tag lists (true and predicted of the same length)."""
    n_true: Counter = Counter()
    n_pred: Counter = Counter()
    n_ok: Counter = Counter()
    for t_tags, p_tags in zip(true, predicted, strict=True):
        t, p = set(spans(t_tags)), set(spans(p_tags))
        n_true.update(s[0] for s in t)
        n_pred.update(s[0] for s in p)
        n_ok.update(s[0] for s in t & p)
    out = {k: _scores(n_ok[k], n_pred[k], n_true[k]) for k in sorted(n_true | n_pred)}
    out["overall"] = _scores(sum(n_ok.values()), sum(n_pred.values()), sum(n_true.values()))
    return out


def sentences(index, position, labels, names: Sequence[str]) -> list[list[str]]:
    """Per-word records (sample index, token position, class) back into tag lists, one per
    sample in order of position."""
    by_sample: dict[int, list[tuple[int, str]]] = {}
    for i, pos, label in zip(index, position, labels, strict=True):
        by_sample.setdefault(int(i), []).append((int(pos), str(names[int(label)])))
    return [[tag for _, tag in sorted(by_sample[i])] for i in sorted(by_sample)]
