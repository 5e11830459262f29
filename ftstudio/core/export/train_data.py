"""The data part of the exported ``train.py``: the project's source, split and scaling.

Each source is written as a small function that reads what :mod:`ftstudio.core.data`
reads, the same way (same tensors, same split, same image preprocessing), without FT Studio.
Only the code of the project's own source is generated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ftstudio.core.blocks.codegen import literal
from ftstudio.core.data import builtin, images, scaling
from ftstudio.core.data.config import DataConfig, parse_classes, parse_data_config
from ftstudio.core.data.text import TEXT_SOURCES
from ftstudio.core.errors import DataError
from ftstudio.core.export import text_export
from ftstudio.core.export.train_sources import (
    CSV_CLASSES,
    CSV_TARGETS,
    DIGITS,
    IMAGES,
    SPLIT,
    SPLIT_PLAIN,
    STANDARDIZE,
    SYNTHETIC,
    TENSORS,
)
from ftstudio.core.project import Project


def _fill(template: str, **values: str) -> str:
    for key, value in values.items():
        template = template.replace(f"@{key}@", value)
    return template


def _synthetic(labels: str) -> str:
    """:func:`ftstudio.core.data.builtin.synthetic_sequence` for one labelling rule."""
    if labels == "symbols":
        doc, ret = "each token labelled with the symbol it shows (TOPICS: masked)", "shown"
    else:
        doc = "visible tokens labelled with their symbol, masked ones with the sequence's topic"
        ret = "torch.where(visible, symbols, topic.expand(-1, LEN))"
    return _fill(
        SYNTHETIC,
        LEN=str(builtin.SEQ_LEN),
        DIM=str(builtin.SEQ_DIM),
        TOPICS=str(builtin.SEQ_CLASSES),
        VISIBLE=repr(builtin.VISIBLE_FRACTION),
        SHARE=repr(builtin.TOPIC_SHARE),
        NOISE=repr(builtin.NOISE),
        DOC=doc,
        RETURN=ret,
    )


def _fit_images(shape: tuple[int, ...] | None) -> str:
    """The lines of ``builtin.fit_images`` this input shape needs (digits source)."""
    if not shape:
        return ""
    if len(shape) == 1:
        return "    x = x.flatten(1)\n"
    if len(shape) != 3:  # the app refuses to train this project: train.py says the same
        try:
            builtin.fit_images(torch.zeros(1, 1, 8, 8), shape, "The digits source")
        except DataError as error:
            return f"    raise SystemExit({str(error)!r})\n"
    channels, height, width = shape
    out = ""
    if (height, width) != (8, 8):
        out += (
            f'    x = F.interpolate(x, size=({height}, {width}), mode="bilinear", '
            "align_corners=False)\n"
        )
    if channels != 1:
        out += f"    x = x.expand(-1, {channels}, -1, -1).contiguous()\n"
    return out


def _labels(task: str) -> str:
    if task == "regression":
        return "y.float().view(len(y), -1)"
    return "y.long()"


def _image_steps(prep: dict[str, Any], config: DataConfig) -> str:
    _, height, width = prep["input_shape"]
    size = f"({height}, {width})"
    mode = prep.get("interpolation") or "bilinear"  # timm's pretrained_cfg: often bicubic
    interp = "" if mode == "bilinear" else f'interpolation=T.InterpolationMode("{mode}"), '
    if prep.get("resize"):
        plain = f"[T.Resize({prep['resize']}, {interp}antialias=True), T.CenterCrop({size})]"
    else:
        plain = f"[T.Resize({size}, {interp}antialias=True)]"
    flip = ", T.RandomHorizontalFlip()" if config.flip else ""
    if config.random_crop:
        crop = f"T.RandomResizedCrop({size}, scale=(0.6, 1.0), {interp}antialias=True)"
        out = f"    if train:\n        steps = [{crop}{flip}]\n    else:\n        steps = {plain}\n"
    elif config.flip:
        out = (
            f"    steps = {plain}\n    if train:\n        steps.append(T.RandomHorizontalFlip())\n"
        )
    else:
        out = f"    steps = {plain}\n"
    mean, std = [float(v) for v in prep["mean"]], [float(v) for v in prep["std"]]
    return out + f"    steps += [T.ToTensor(), T.Normalize({literal(mean)}, {literal(std)})]\n"


def _data_path(project: Project, path: str) -> str:
    return str(Path(project.resolve_path(path)).absolute())


class DataCode:
    """The generated data code of one project: settings, functions and ``make_datasets``."""

    def __init__(self, project: Project, input_shape: tuple[int, ...] | None):
        self.project = project
        self.config = config = parse_data_config(project.data)
        self.task = project.task.kind
        self.shape = input_shape
        self.val_config: DataConfig | None = None
        if config.validation is not None:
            merged = {k: v for k, v in project.data.items() if k != "validation"}
            self.val_config = parse_data_config({**merged, **config.validation})
        self.standardize = config.standardize and config.source in scaling.SOURCES
        self.has_path = bool(config.path)

    @property
    def split(self) -> bool:
        return self.val_config is None

    @property
    def num_workers(self) -> int:
        if self.config.num_workers is not None:
            return self.config.num_workers
        return 2 if self.config.source == "image-folder" else 0

    def described(self) -> str:
        c = self.config
        if c.source == "digits":
            return "scikit-learn's bundled 8x8 digits" + (
                f" (classes {c.classes})" if c.classes else ""
            )
        if c.source == "synthetic-sequence":
            return f"FT Studio's synthetic sequences ({c.samples} samples, labels '{c.labels}')"
        kinds = {
            "csv": "a CSV file",
            "tensor-file": "a tensor file (X, y)",
            "image-folder": "an image folder",
            "text-csv": "a text CSV file (text and label columns)",
            "token-jsonl": "a token-jsonl or CoNLL file (a label per word)",
        }
        return f"{kinds[c.source]}, --data (default: the project's)"

    def settings(self) -> list[str]:
        """``NAME = value`` lines of the data settings."""
        c, out = self.config, []
        if self.has_path:
            out.append(f"DATA_PATH = {literal(_data_path(self.project, c.path))}")
        if self.val_config is not None and self.has_path:
            out.append(f"VAL_PATH = {literal(_data_path(self.project, self.val_config.path))}")
        if c.source == "digits":
            out.append(f"CLASSES = {literal(parse_classes(c.classes, list(range(10))))}")
        if c.source == "synthetic-sequence":
            out.append(f"SAMPLES = {c.samples}")
            if self.val_config is not None:
                out.append(f"VAL_SAMPLES = {self.val_config.samples}")
                out.append(f"VAL_SEED = {self.val_config.seed}")
        if c.source in TEXT_SOURCES:
            out += text_export.text_settings(c)
        if c.source == "csv":
            out.append(f"LABEL_COLUMN = {literal(c.label_column)}")
            if c.feature_columns:
                out.append(f"FEATURE_COLUMNS = {literal(list(c.feature_columns))}")
        if self.split:
            out.append(f"DATA_SEED = {c.seed}  # seed of the train/validation split")
            out.append(f"VAL_FRACTION = {c.val_fraction}")
        if c.source == "synthetic-sequence" and not self.split:
            out.append(f"DATA_SEED = {c.seed}")
        if self.num_workers:
            out.append(f"NUM_WORKERS = {self.num_workers}  # DataLoader worker processes")
        return out

    def functions(self) -> str:
        """The reader of the source, the split and the scaling."""
        c = self.config
        if c.source == "digits":
            code = _fill(DIGITS, FIT=_fit_images(self.shape))
        elif c.source == "synthetic-sequence":
            code = _synthetic(c.labels)
        elif c.source == "csv":
            features = (
                "FEATURE_COLUMNS"
                if c.feature_columns
                else ("[c for c in header if c != LABEL_COLUMN]")
            )
            template = CSV_TARGETS if self.task == "regression" else CSV_CLASSES
            code = _fill(template, FEATURES=features, LABEL="LABEL_COLUMN")
        elif c.source == "tensor-file":
            code = _fill(TENSORS, LABELS=_labels(self.task))
        elif c.source in TEXT_SOURCES:
            code = text_export.TEXT_READER
        else:
            shape = self.shape if self.shape and len(self.shape) == 3 else (3, 224, 224)
            prep = images.preprocessing_for(self.project, shape)
            mode = "RGB" if prep["input_shape"][0] == 3 else "L"
            code = _fill(IMAGES, STEPS=_image_steps(prep, c), MODE=literal(mode))
        if self.split:
            code += SPLIT if self.task == "classification" else SPLIT_PLAIN
        if self.standardize:
            code += STANDARDIZE
        return code + self.make_datasets()

    def _read(self, val: bool = False) -> str:
        """The call that reads the (validation) samples as ``x, y``."""
        source = self.config.source
        if source == "digits":
            return "read_digits()"
        if source == "synthetic-sequence":
            return (
                "synthetic_sequence(VAL_SAMPLES, VAL_SEED)"
                if val
                else ("synthetic_sequence(SAMPLES, DATA_SEED)")
            )
        path = "args.val_data" if val else "args.data"
        if source in TEXT_SOURCES:
            return f"read_text({path})"
        return f"read_tensors({path})" if source == "tensor-file" else f"read_csv({path})"

    def make_datasets(self) -> str:
        std = self.standardize
        head = (
            "\n\ndef make_datasets(args, stats: dict | None) -> tuple[Dataset, Dataset | None, dict]:\n"
            '    """Training and validation samples as FT Studio makes them; ``stats``: the\n'
            '    standardisation of a resumed run (fitted on the training split otherwise)."""\n'
            if std
            else "\n\ndef make_datasets(args) -> tuple[Dataset, Dataset | None]:\n"
            '    """Training and validation samples, split as FT Studio splits them."""\n'
        )
        if self.config.source == "image-folder":
            return head + self._image_datasets()
        text = self.config.source in TEXT_SOURCES
        csv_names = (self.config.source == "csv" or text) and self.task != "regression"
        body = (
            f"    x, y, names = {self._read()}\n" if csv_names else f"    x, y = {self._read()}\n"
        )
        if self.split:
            strata = ", y.tolist()" if self.task == "classification" else ""
            body += (
                f"    train, val = split_indices(len(x), VAL_FRACTION, DATA_SEED{strata})\n"
                "    (x, y), (vx, vy) = (x[train], y[train]), (x[val], y[val])\n"
            )
        elif csv_names:
            reader = "read_text" if text else "read_csv"
            body += f"    vx, vy, _ = {reader}(args.val_data, names or None)\n"
        else:
            body += f"    vx, vy = {self._read(val=True)}\n"
        if std:
            body += (
                "    stats = stats or fit_standardizer(x)\n"
                "    x, vx = apply_standardizer(x, stats), apply_standardizer(vx, stats)\n"
            )
        ret = "TensorDataset(x, y), TensorDataset(vx, vy) if len(vx) else None"
        if not self.split:
            ret = "TensorDataset(x, y), TensorDataset(vx, vy)"
        return head + body + f"    return {ret}{', stats' if std else ''}\n"

    def _image_datasets(self) -> str:
        body = "    items, _ = scan_folder(args.data)\n"
        if self.split:
            body += (
                "    labels = [label for _, label in items]\n"
                "    train, val = split_indices(len(items), VAL_FRACTION, DATA_SEED, labels)\n"
                "    items, val_items = [items[i] for i in train], [items[i] for i in val]\n"
            )
        else:
            body += "    val_items, _ = scan_folder(args.val_data)\n"
        return body + (
            "    val_set = ImageFolder(val_items, train=False) if val_items else None\n"
            "    return ImageFolder(items, train=True), val_set\n"
        )
