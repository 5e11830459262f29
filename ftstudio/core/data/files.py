"""File sources read fully into memory: ``csv`` and ``tensor-file`` (.npz/.safetensors/.pt)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ftstudio.core.data.config import DataConfig
from ftstudio.core.errors import DataError
from ftstudio.core.files import require_regular_file
from ftstudio.core.text import printable, shorten
from ftstudio.core.weights import describe_load_failure

TENSOR_SUFFIXES = (".npz", ".safetensors", ".pt", ".pth")
MAX_SHOWN_COLUMNS = 12


@dataclass
class SourceNotes:
    """What a reader learned besides the samples: warnings, and each sample's file line."""

    warnings: list[str] = field(default_factory=list)
    lines: list[int] | None = None

    def place(self, index: int) -> str:
        """Where sample ``index`` (in file order) is: ``line N`` for a CSV, else ``sample N``."""
        return f"line {self.lines[index]}" if self.lines is not None else f"sample {index}"


def existing(path: str, config: DataConfig, folder: bool = False) -> Path:
    """The path, or a :class:`DataError` saying it is missing or not a regular file/folder."""
    hint = "Check data.path in the project."
    if not folder:
        return require_regular_file(path, config.described, DataError, hint)
    p = Path(path)
    if not p.is_dir():
        state = "is not a folder" if p.exists() else "does not exist"
        raise DataError(f"{config.described}: the folder {printable(str(p))} {state}. {hint}")
    return p


def columns_text(header: list[str]) -> str:
    """The header's column names for a message, summarised when there are many."""
    shown = ", ".join(shorten(c, 40) for c in header[:MAX_SHOWN_COLUMNS]) or "none"
    more = len(header) - MAX_SHOWN_COLUMNS
    return shown + (f" and {more} more" if more > 0 else "")


def read_csv_rows(config: DataConfig, p: Path) -> tuple[list[str], list[list[str]], list[int]]:
    """Header, rows and each row's first file line of a UTF-8 CSV; blank lines are skipped.

    Refused with the line named: bytes that are not UTF-8, NUL bytes (not a text file), a
    field over the csv module's size limit, a row with more or fewer fields than the header,
    and a header that names a column twice. No message quotes the file beyond its header.
    """
    data = p.read_bytes()
    if b"\0" in data:
        line = data.count(b"\n", 0, data.index(b"\0")) + 1
        raise DataError(
            f"{config.described}: line {line} holds a NUL byte, so this is not a CSV text file. "
            "Give a CSV file: text with a header row and one sample per line."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(
            f"{config.described}: the file is not UTF-8 text: line {line} holds the byte "
            f"0x{data[exc.start]:02x}, which is not valid UTF-8 (the file may be saved as "
            'Latin-1 or Windows-1252). Save it as UTF-8 ("CSV UTF-8" in a spreadsheet program).'
        ) from None
    del data
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    last = 0
    try:
        for row in reader:
            first, last = last + 1, reader.line_num
            if not row:
                continue
            if header is None:
                header = row
                _check_header(config, header)
            elif len(row) != len(header):
                raise DataError(
                    f"{config.described}: line {first} has {len(row)} field(s), but the header "
                    f"has {len(header)} columns. Give every row one value per column, or remove "
                    "that row."
                )
            else:
                rows.append(row)
                lines.append(first)
    except csv.Error as exc:
        line = reader.line_num
        reason = str(exc)
        if "field limit" in reason:
            reason = (
                f"a field is longer than {csv.field_size_limit()} characters, the CSV reader's "
                "limit (a quote may be missing its closing quote)"
            )
        raise DataError(
            f"{config.described}: line {line} cannot be read as CSV: {reason}. Fix that line."
        ) from None
    if header is None:
        raise DataError(
            f"{config.described}: the file is empty. It needs a header row naming the columns, "
            "then one sample per line."
        )
    return header, rows, lines


def _check_header(config: DataConfig, header: list[str]) -> None:
    seen: dict[str, list[int]] = {}
    for number, name in enumerate(header, 1):
        seen.setdefault(name, []).append(number)
    twice = {name: at for name, at in seen.items() if len(at) > 1}
    if twice:
        listed = "; ".join(
            f"'{shorten(name, 40)}' (columns {', '.join(map(str, at))})"
            for name, at in list(twice.items())[:MAX_SHOWN_COLUMNS]
        )
        raise DataError(
            f"{config.described}: the header names a column more than once: {listed}. Give each "
            "column its own name in the file's first line."
        )


def load_csv(
    config: DataConfig,
    path: str,
    regression: bool,
    classes: list[str] | None = None,
    notes: SourceNotes | None = None,
) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """Feature columns and a label column of a CSV file with a header row.

    Classification labels are class numbers 0..k-1, or names (``cat``, ``dog``) that become
    classes in sorted order; ``classes`` gives the training data's names so that a validation
    file maps the same way. Returns ``(X, y, class_names)`` (names empty for numeric labels);
    ``notes`` receives each sample's file line and any warning.
    """
    notes = notes if notes is not None else SourceNotes()
    p = existing(path, config)
    header, rows, lines = read_csv_rows(config, p)
    notes.lines = lines
    if config.label_column not in header:
        raise DataError(
            f"{config.described}: no column '{shorten(config.label_column, 40)}' (columns: "
            f"{columns_text(header)}). Set data.label_column to the label's column."
        )
    features = config.feature_columns or [c for c in header if c != config.label_column]
    missing = [shorten(c, 40) for c in features if c not in header]
    if missing:
        raise DataError(
            f"{config.described}: feature column(s) {', '.join(missing[:MAX_SHOWN_COLUMNS])} "
            f"not in the file (columns: {columns_text(header)}). Fix data.feature_columns."
        )
    if not rows:
        raise DataError(
            f"{config.described}: the file has a header but no rows. Add data rows below it."
        )
    position = {name: i for i, name in enumerate(header)}
    columns = [(name, position[name]) for name in features]
    x = np.array([_numbers(config, r, columns, line) for line, r in zip(lines, rows, strict=True)])
    label_at = position[config.label_column]
    raw_labels = [r[label_at].strip() for r in rows]
    numeric = [_is_number(v) for v in raw_labels]
    if regression or classes is None and all(numeric):
        y = torch.tensor(
            [_label_number(config, v, line) for line, v in zip(lines, raw_labels, strict=True)],
            dtype=torch.float32,
        )
        if not regression:
            if not torch.equal(y, y.round()):
                raise DataError(
                    f"{config.described}: column '{config.label_column}' holds non-integer "
                    "labels; classification labels must be class numbers 0..k-1 or class names."
                )
            y = y.long()
        x = torch.from_numpy(x.astype(np.float32))
        check_finite(config, x, y if regression else None, notes.place)
        return x, y, []
    if "" in raw_labels:
        line = lines[raw_labels.index("")]
        raise DataError(
            f"{config.described}: line {line} has no label in column '{config.label_column}'. "
            "Fill it in or remove the row."
        )
    if classes is None and any(numeric):
        text_lines = [line for line, is_num in zip(lines, numeric, strict=True) if not is_num]
        notes.warnings.append(
            f"{config.described}: column '{config.label_column}' holds class numbers except "
            f"at line {text_lines[0]}"
            + (f" and {len(text_lines) - 1} other line(s)" if len(text_lines) > 1 else "")
            + ", so every label was read as a class name (the number 1 is now the class "
            "named '1'). Fix those labels if the classes are numbers."
        )
    names = classes if classes is not None else sorted(set(raw_labels))
    index = {name: i for i, name in enumerate(names)}
    unknown = sorted(set(raw_labels) - set(index))
    if unknown:
        first = lines[next(i for i, v in enumerate(raw_labels) if v not in index)]
        raise DataError(
            f"{config.described}: label(s) {', '.join(repr(shorten(u, 40)) for u in unknown[:5])}"
            f" in column '{config.label_column}' (first at line {first}) are not among the "
            f"training classes {[shorten(n, 40) for n in names[:20]]}. Use the training data's "
            "class names."
        )
    y = torch.tensor([index[v] for v in raw_labels], dtype=torch.long)
    x = torch.from_numpy(x.astype(np.float32))
    check_finite(config, x, None, notes.place)
    return x, y, list(names)


def check_finite(
    config: DataConfig,
    x: torch.Tensor,
    y: torch.Tensor | None,
    place: Callable[[int], str] = SourceNotes().place,
) -> None:
    """No NaN or infinite feature (or regression target): it would only surface as a NaN loss.

    ``place(i)`` names where sample ``i`` is in the file (``line N`` or ``sample N``).
    """
    for values, what in ((x, "values"), (y, "targets")):
        if values is None or not values.is_floating_point():
            continue
        bad = ~torch.isfinite(values.reshape(len(values), -1)).all(dim=1)
        if bool(bad.any()):
            first = int(bad.nonzero()[0])
            where = place(first)
            raise DataError(
                f"{config.described}: {int(bad.sum())} sample(s) have NaN or infinite "
                f"{what}, the first at {where}. Fill in or remove those samples."
            )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _numbers(
    config: DataConfig, row: list[str], columns: list[tuple[str, int]], line: int
) -> list[float]:
    values = []
    for column, at in columns:
        text = row[at].strip()
        try:
            value = float(text)
        except ValueError:
            shown = "is empty" if not text else "is not a number"
            raise DataError(
                f"{config.described}: line {line}, column '{column}' {shown}. Feature columns "
                "must hold numbers: fix that cell, remove the row, or leave the column out "
                "with data.feature_columns."
            ) from None
        values.append(value)
    return values


def _label_number(config: DataConfig, text: str, line: int) -> float:
    try:
        return float(text)
    except ValueError:
        shown = "is empty" if not text else "is not a number"
        raise DataError(
            f"{config.described}: line {line}, column '{config.label_column}' {shown}. "
            "Regression targets must be numbers: fix that cell or remove the row."
        ) from None


def load_tensor_file(config: DataConfig, path: str) -> tuple[torch.Tensor, torch.Tensor]:
    """``X`` and ``y`` from a .npz, .safetensors or weights-only .pt file."""
    p = existing(path, config)
    try:
        if p.suffix == ".npz":
            with np.load(p, allow_pickle=False) as npz:
                store = {k: torch.from_numpy(np.array(npz[k])) for k in npz.files}
        elif p.suffix == ".safetensors":
            from safetensors.torch import load_file

            store = load_file(str(p))
        elif p.suffix in (".pt", ".pth"):
            store = torch.load(p, map_location="cpu", weights_only=True)
        else:
            raise DataError(
                f"{config.described}: unknown file type '{p.suffix}'; use one of "
                f"{', '.join(TENSOR_SUFFIXES)}."
            )
    except (DataError, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure becomes one message
        raise DataError(
            f"{config.described}: cannot read the file: {shorten(describe_load_failure(exc), 200)}."
        ) from None
    if not isinstance(store, dict) or not {"X", "y"} <= set(store):
        keys = columns_text(list(map(str, store))) if isinstance(store, dict) else "no names"
        raise DataError(
            f"{config.described}: the file must hold tensors named 'X' and 'y' (found: {keys})."
        )
    x, y = store["X"], store["y"]
    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise DataError(f"{config.described}: 'X' and 'y' must be tensors.")
    for name, values in (("X", x), ("y", y)):
        if values.dim() == 0:
            raise DataError(
                f"{config.described}: '{name}' is a single number (0 dimensions); it needs one "
                f"entry per sample along its first dimension."
            )
    if len(x) == 0:
        raise DataError(
            f"{config.described}: the file holds no samples ('X' has shape {list(x.shape)}). "
            "Give a file with at least one sample."
        )
    if len(x) != len(y):
        raise DataError(f"{config.described}: X has {len(x)} samples but y has {len(y)}.")
    y = y.float() if y.is_floating_point() else y.long()
    return x.float(), y
