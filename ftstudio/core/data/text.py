"""Text data sources, tokenised with the encoder's own tokenizer.

``text-csv``
    A UTF-8 CSV with a text column (``data.text_column``, default ``text``) and a label column
    (``data.label_column``, default ``label``): one class per text (sentence classification).
``token-jsonl``
    One ``{"tokens": [...], "labels": [...]}`` object per line (a label per word), or
    CoNLL-style text: one word per line, its label in the last whitespace-separated column, a
    blank line between sentences (``-DOCSTART-`` lines are skipped).

Texts become token ids ``(N, max_length)`` padded with the tokenizer's pad id (which is how
the model finds the padding mask). A word's label goes to its first sub-token; the other
sub-tokens, the special tokens and the padding get :data:`IGNORE_INDEX`, which the loss and
the metrics leave out. Texts longer than ``data.max_length`` tokens are truncated and
counted in a warning.
"""

from __future__ import annotations

import json
from typing import Any

import torch

from ftstudio.core.data.config import DataConfig
from ftstudio.core.errors import DataError
from ftstudio.core.text import shorten

TEXT_SOURCES = ("text-csv", "token-jsonl")
IGNORE_INDEX = -100  # F.cross_entropy's default ignore_index
ENCODER_TYPE = "hf_text_encoder"


def encoder_spec(project):
    """The project's first 'Transformer encoder (Hugging Face)' block, or None."""
    return next((b for b in project.blocks if b.type == ENCODER_TYPE), None)


def load_tokenizer(project, config: DataConfig):
    """The tokenizer saved with the project's encoder (its folder or cached hub model)."""
    from ftstudio.core.blocks import hf_text
    from ftstudio.core.builder import resolved_params

    spec = encoder_spec(project)
    if spec is None:
        raise DataError(
            f"{config.described}: text is tokenised with the encoder's own tokenizer, but the "
            "stack has no 'Transformer encoder (Hugging Face)' block. Put one first."
        )
    try:
        folder = hf_text.encoder_folder(resolved_params(project, spec))
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    except (OSError, ValueError, hf_text.FTStudioError) as exc:
        raise DataError(f"{config.described}: cannot load the encoder's tokenizer: {exc}") from None


def class_names(labels: list[str]) -> list[str]:
    """Distinct labels in a stable order: "O" first (BIO tags), then numbers numerically,
    then the rest alphabetically."""
    distinct = set(labels)
    numbers = sorted((v for v in distinct if v.lstrip("-").isdigit()), key=int)
    rest = sorted(v for v in distinct if v not in numbers and v != "O")
    return (["O"] if "O" in distinct else []) + numbers + rest


def label_names(config: DataConfig, path: str) -> list[str]:
    """The class names a text source's labels give (no tokenizer needed)."""
    if config.source == "text-csv":
        return class_names(read_text_csv(config, path)[1])
    return class_names([t for tags in read_token_file(config, path)[1] for t in tags])


def _label_index(config: DataConfig, names: list[str], given: list[str] | None, where: str):
    known = given or names
    index = {n: i for i, n in enumerate(known)}

    def look(label: str, place: str) -> int:
        if label not in index:
            raise DataError(
                f"{config.described}: {place} has the label '{shorten(label, 40)}', which the "
                f"training data does not have ({', '.join(shorten(n, 20) for n in known[:12])})."
                f" {where}"
            )
        return index[label]

    return known, look


def read_text_csv(config: DataConfig, path: str) -> tuple[list[str], list[str], list[int]]:
    """Texts, labels (as text) and file lines of a text-csv file."""
    from ftstudio.core.data.files import columns_text, existing, read_csv_rows

    header, rows, lines = read_csv_rows(config, existing(path, config))
    for column in (config.text_column, config.label_column):
        if column not in header:
            raise DataError(
                f"{config.described}: no column '{shorten(column, 40)}' (columns: "
                f"{columns_text(header)}). Set data.text_column and data.label_column."
            )
    t, label = header.index(config.text_column), header.index(config.label_column)
    return [r[t] for r in rows], [r[label].strip() for r in rows], lines


def read_token_file(config: DataConfig, path: str) -> tuple[list[list[str]], list[list[str]]]:
    """Words and word labels per sentence from a token-jsonl (or CoNLL-style) file."""
    from ftstudio.core.data.files import existing

    p = existing(path, config)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(
            f"{config.described}: the file is not UTF-8 text. Save it as UTF-8."
        ) from None
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    reader = _read_jsonl if first.startswith("{") else _read_conll
    words, labels = reader(config, text)
    if not words:
        raise DataError(f"{config.described}: no sentences in the file.")
    return words, labels


def _read_jsonl(config: DataConfig, text: str):
    words, labels = [], []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{config.described}: line {number} is not JSON ({exc.msg}).") from None
        tokens = item.get("tokens") if isinstance(item, dict) else None
        tags = item.get("labels") if isinstance(item, dict) else None
        if not isinstance(tokens, list) or not isinstance(tags, list) or len(tokens) != len(tags):
            raise DataError(
                f'{config.described}: line {number} needs "tokens" and "labels", two lists '
                'of the same length, e.g. {"tokens": ["John", "lives"], "labels": ["B-PER", "O"]}.'
            )
        words.append([str(t) for t in tokens])
        labels.append([str(t) for t in tags])
    return words, labels


def _read_conll(config: DataConfig, text: str):
    words: list[list[str]] = []
    labels: list[list[str]] = []
    current: tuple[list[str], list[str]] = ([], [])
    for number, line in enumerate([*text.splitlines(), ""], 1):
        parts = line.split()
        if parts and parts[0] == "-DOCSTART-":
            continue
        if not parts:
            if current[0]:
                words.append(current[0])
                labels.append(current[1])
            current = ([], [])
            continue
        if len(parts) < 2:
            raise DataError(
                f"{config.described}: line {number} has one column; CoNLL-style lines hold a "
                "word and its label separated by spaces (or give one JSON object per line)."
            )
        current[0].append(parts[0])
        current[1].append(parts[-1])
    return words, labels


def _encode(tokenizer, batch: list, max_length: int, words: bool) -> Any:
    return tokenizer(
        batch,
        is_split_into_words=words,
        truncation=True,
        max_length=max_length,
        padding="max_length",
    )


def load_text_source(
    project, config: DataConfig, path: str, task: str, given: list[str] | None, notes
) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """(token ids (N, max_length), labels, class names) of a text source; truncations are
    reported in ``notes.warnings``."""
    tokenizer = load_tokenizer(project, config)
    length = config.max_length
    if config.source == "text-csv":
        if task != "classification":
            raise DataError(
                f"{config.described}: gives one label per text; set the task to classification "
                f"(it is {task}), or use token-jsonl for a label per word."
            )
        texts, raw, lines = read_text_csv(config, path)
        notes.lines = lines
        names, look = _label_index(config, class_names(raw), given, "Fix the label.")
        full = tokenizer(texts)["input_ids"]
        cut = sum(len(ids) > length for ids in full)
        x = torch.tensor(_encode(tokenizer, texts, length, False)["input_ids"], dtype=torch.long)
        y = torch.tensor([look(v, f"line {n}") for v, n in zip(raw, lines, strict=True)])
        _note_truncated(notes, config, cut, len(texts), 0)
        return x, y, names
    if task != "token_classification":
        raise DataError(
            f"{config.described}: gives a label per word; set the task to token_classification "
            f"(it is {task})."
        )
    words, raw = read_token_file(config, path)
    flat = [tag for tags in raw for tag in tags]
    names, look = _label_index(config, class_names(flat), given, "Fix the label.")
    encoded = _encode(tokenizer, words, length, True)
    x = torch.tensor(encoded["input_ids"], dtype=torch.long)
    y = torch.full(x.shape, IGNORE_INDEX, dtype=torch.long)
    cut = lost = 0
    for i, (sentence, tags) in enumerate(zip(words, raw, strict=True)):
        previous = None
        seen = set()
        for position, word in enumerate(encoded.word_ids(i)):
            if word is not None and word != previous:
                y[i, position] = look(tags[word], f"sentence {i + 1}")
                seen.add(word)
            previous = word
        if len(seen) < len(sentence):
            cut += 1
            lost += len(sentence) - len(seen)
    _note_truncated(notes, config, cut, len(words), lost)
    return x, y, names


def _note_truncated(notes, config: DataConfig, cut: int, total: int, words: int) -> None:
    if not cut:
        return
    lost = f" ({words} words beyond it are left out of training and the metrics)" if words else ""
    notes.warnings.append(
        f"{config.described}: {cut} of {total} texts are longer than max_length "
        f"({config.max_length} tokens) and were truncated{lost}. Raise data.max_length (and the "
        "input shape) to keep them whole."
    )
