"""Try a sample: a checkpoint's top-k classes for one file, prepared as ``predict.py`` does.

The reading rules are those of the exported ``predict.py`` (see
:mod:`ftstudio.core.export.predict_template`): an image of any format Pillow reads is
resized (shorter side + centre crop when the preprocessing has ``resize``), scaled to [0, 1]
and normalised with the project's preprocessing; a ``.npy``, ``.npz`` (key ``X``), ``.pt``
(a tensor or a dict with ``X``, read with ``weights_only=True``) or ``.csv`` file (a header row
and a ``label`` column are skipped) holds one sample or a batch of raw samples, scaled with the
checkpoint's ``data.standardize`` statistics. The same file therefore gets the same
probabilities here and from ``predict.py`` of an export of the same checkpoint.
"""

from __future__ import annotations

import csv
import math
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ftstudio.core.data.images import image_suffixes
from ftstudio.core.errors import DataError
from ftstudio.core.export import info
from ftstudio.core.project import Project
from ftstudio.core.shapes import validate
from ftstudio.core.text import printable
from ftstudio.core.training import checkpoint as ckpt
from ftstudio.core.training.evaluation import load_trained_model

TENSOR_SUFFIXES = (".npy", ".npz", ".pt", ".pth", ".csv")
DEFAULT_TOP_K = 5


@dataclass
class Prediction:
    """One sample's prediction.

    ``top``: ``[(class name, probability)]``, most likely first (classification; for token
    classification the mean per-token probability). ``tokens``: per position ``(class name,
    probability)`` of the most likely class (token classification). ``values``: the
    regression outputs.
    """

    task: str
    top: list[tuple[str, float]] = field(default_factory=list)
    tokens: list[tuple[str, float]] = field(default_factory=list)
    values: list[float] = field(default_factory=list)


class Predictor:
    """A checkpoint's model (CPU, eval mode) with the project's input preparation."""

    def __init__(self, project: Project, checkpoint: str | Path):
        report = validate(project)
        shape = report.input_shape or project.input.shape
        self.input_shape = tuple(shape) if shape else ()
        self.task = project.task.kind
        self.model = load_trained_model(project, checkpoint)
        names = info.class_names_for(project)
        count = project.task.num_classes
        self.class_names = names or [str(i) for i in range(count)]
        self.preprocessing = info.preprocessing_for(project, self.input_shape)
        self.standardizer = ckpt.saved_standardizer(checkpoint) or None

    # ------------------------------------------------------------ reading

    def is_image(self, path: str | Path) -> bool:
        suffix = Path(path).suffix.lower()
        return suffix not in TENSOR_SUFFIXES and suffix in image_suffixes()

    def read(self, path: str | Path) -> torch.Tensor:
        """The file's samples as a batch ready for the model, (N, *input shape)."""
        path = Path(path)
        if not path.is_file():
            raise DataError(f"No file {printable(str(path))}. Choose an existing file.")
        if self.is_image(path):
            if len(self.input_shape) != 3:
                raise DataError(
                    f"{printable(str(path))} is an image, but the model takes "
                    f"{list(self.input_shape)}. Open a .npz, .pt or .csv sample instead."
                )
            return self._as_batch(self._read_image(path), path)
        return self._standardize(self._read_samples(path))

    def _read_image(self, path: Path) -> torch.Tensor:
        from PIL import Image
        from torchvision import transforms as T

        channels, height, width = self.input_shape
        prep = self.preprocessing or {}
        mode = T.InterpolationMode(prep.get("interpolation") or "bilinear")
        steps = []
        if prep.get("resize"):  # shorter side, then a centre crop (as in training)
            steps += [
                T.Resize(prep["resize"], interpolation=mode, antialias=True),
                T.CenterCrop((height, width)),
            ]
        else:
            steps.append(T.Resize((height, width), interpolation=mode, antialias=True))
        steps.append(T.ToTensor())
        if prep.get("mean"):
            steps.append(T.Normalize(prep["mean"], prep["std"]))
        try:
            with Image.open(path) as img:
                image = img.convert("RGB" if channels == 3 else "L")
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise DataError(f"Cannot read the image {printable(str(path))}: {exc}.") from None
        return T.Compose(steps)(image)

    def _read_samples(self, path: Path) -> torch.Tensor:
        suffix = path.suffix.lower()
        try:
            if suffix == ".npy":
                return self._as_batch(torch.from_numpy(np.load(path, allow_pickle=False)), path)
            if suffix == ".npz":
                with np.load(path, allow_pickle=False) as data:
                    if "X" not in data:
                        raise DataError(f"{printable(str(path))} holds no array named X.")
                    return self._as_batch(torch.from_numpy(data["X"]), path)
            if suffix in (".pt", ".pth"):
                data = torch.load(path, map_location="cpu", weights_only=True)
                return self._as_batch(data["X"] if isinstance(data, dict) else data, path)
            if suffix == ".csv":
                return self._as_batch(read_csv(path), path)
        except (pickle.UnpicklingError, ValueError, OSError, KeyError, TypeError) as exc:
            raise DataError(
                f"Cannot read the sample {printable(str(path))}: {exc}. Save plain tensors "
                "(X) in a .npz or .pt file, or one sample per row in a .csv file."
            ) from None
        raise DataError(
            f"{printable(str(path))}: open an image, a .npy, .npz, .pt or .csv sample file."
        )

    def _as_batch(self, x, path: Path) -> torch.Tensor:
        """(shape) or (N, shape) -> (N, shape) float32, as predict.py's ``as_batch``."""
        x = torch.as_tensor(x).float()
        shape = self.input_shape
        if tuple(x.shape) == shape:
            x = x.unsqueeze(0)
        if tuple(x.shape[1:]) != shape:
            if x.dim() >= 1 and len(x) and x[0].numel() == math.prod(shape):
                return x.reshape(-1, *shape)
            raise DataError(
                f"{printable(str(path))} holds shape {list(x.shape)}; the model takes "
                f"{list(shape)} (one sample) or a batch of them."
            )
        return x

    def _standardize(self, x: torch.Tensor) -> torch.Tensor:
        if self.standardizer is None:
            return x
        mean = torch.tensor(self.standardizer["mean"], dtype=torch.float64)
        std = torch.tensor(self.standardizer["std"], dtype=torch.float64)
        return ((x.double() - mean) / std).to(x.dtype)

    # ------------------------------------------------------------ predicting

    @torch.no_grad()
    def outputs(self, batch: torch.Tensor) -> torch.Tensor:
        return self.model(batch).float()

    def predict(self, path: str | Path, row: int = 0, k: int = DEFAULT_TOP_K) -> Prediction:
        """Top-``k`` of sample ``row`` of the file (a batch file holds several)."""
        batch = self.read(path)
        if not 0 <= row < len(batch):
            raise DataError(f"{printable(str(path))} holds {len(batch)} sample(s); no row {row}.")
        return self.describe(self.outputs(batch[row : row + 1])[0], k)

    def describe(self, output: torch.Tensor, k: int = DEFAULT_TOP_K) -> Prediction:
        """One sample's output as a :class:`Prediction`."""
        if self.task == "regression":
            return Prediction(self.task, values=[float(v) for v in output.flatten()])
        probs = output.softmax(-1)
        result = Prediction(self.task)
        if self.task == "token_classification":
            p, index = probs.max(-1)
            result.tokens = [(self._name(int(i)), float(v)) for v, i in zip(p, index, strict=True)]
            probs = probs.mean(0)
        values, index = probs.topk(min(k, probs.numel()))
        result.top = [(self._name(int(i)), float(v)) for v, i in zip(values, index, strict=True)]
        return result

    def records(self, path: str | Path, k: int = 1, row: int | None = None) -> list[dict]:
        """Each sample of the file (or only ``row``) as the exported ``predict.py --json``
        prints it: ``{"input", "top_k": [{"class", "index", "p"}]}`` (``"tokens"``: such a
        list per token; ``"output"``: the values for regression)."""
        batch = self.read(path)
        rows = range(len(batch)) if row is None else [row]
        if row is not None and not 0 <= row < len(batch):
            raise DataError(f"{printable(str(path))} holds {len(batch)} sample(s); no row {row}.")
        outputs = self.outputs(batch)
        out = []
        for i in rows:
            where = f"{Path(path)}[{i}]" if len(batch) > 1 else str(Path(path))
            output = outputs[i]
            if self.task == "regression":
                out.append({"input": where, "output": output.reshape(-1).tolist()})
            elif self.task == "token_classification":
                out.append({"input": where, "tokens": [self._top_k(t, k) for t in output]})
            else:
                out.append({"input": where, "top_k": self._top_k(output, k)})
        return out

    def _top_k(self, scores: torch.Tensor, k: int) -> list[dict]:
        probs = scores.float().softmax(-1)
        p, index = probs.topk(min(k, probs.numel()))
        return [
            {"class": self._name(i), "index": i, "p": round(float(v), 6)}
            for v, i in zip(p.tolist(), index.tolist(), strict=True)
        ]

    def _name(self, index: int) -> str:
        names = self.class_names
        return names[index] if index < len(names) else str(index)


def describe_record(record: dict) -> str:
    """One line, as ``predict.py`` prints it: ``5 (p=0.912), 6 (p=0.050)``, the token
    classes, or the values."""
    if "output" in record:
        return " ".join(f"{v:.6g}" for v in record["output"])
    if "tokens" in record:
        return " ".join(token[0]["class"] for token in record["tokens"])
    return ", ".join(f"{c['class']} (p={c['p']:.3f})" for c in record["top_k"])


def read_csv(path: Path) -> torch.Tensor:
    """Rows of numbers; a header row is skipped, and its ``label`` column dropped."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.reader(handle) if row]
    if not rows:
        raise DataError(f"{printable(str(path))} is empty. Give one sample per row.")
    drop = None
    try:
        [float(v) for v in rows[0]]
    except ValueError:
        header = [h.strip().lower() for h in rows.pop(0)]
        drop = header.index("label") if "label" in header else None
    values = [[float(v) for i, v in enumerate(row) if i != drop] for row in rows]
    return torch.tensor(values)
