"""The text of the exported ``predict.py`` (fixed: it reads everything from ``model.py``)."""

PREDICT_PY = '''\
"""Predict with the exported model.

    python predict.py INPUT [INPUT ...] [--top-k K] [--json] [--weights model.safetensors]
                      [--device cpu]

INPUT is a .npy, .npz (key X), .pt (a tensor, or a dict with X; read with weights_only=True)
or .csv file (one sample per row; a header row and a "label" column are skipped) holding one
sample of INPUT_SHAPE or a batch of them (raw values: STANDARDIZE from model.py scales them
as FT Studio did), or an image file of any format Pillow reads (.png, .jpg, .webp, .tif, .bmp,
.gif...) when the model takes images: it is prepared with PREPROCESSING from model.py.

It prints one line per sample: the K most likely classes with their probabilities (the
class per token for a token classifier; the values for regression). With --json it prints
one JSON list instead, an object per sample: {"input", "top_k": [{"class", "index", "p"}]}
("tokens": such a list per token; "output": the values for regression).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from pathlib import Path

try:
    import torch
except ModuleNotFoundError as exc:
    if (exc.name or "").split(".")[0] != "torch":
        raise
    sys.exit("error: predict.py needs the torch package: pip install torch")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from model import (  # noqa: E402
    CLASS_NAMES,
    INPUT_SHAPE,
    PREPROCESSING,
    TASK,
    load_model,
    standardize,
)

TENSOR_SUFFIXES = (".npy", ".npz", ".pt", ".pth", ".csv")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def need(package: str, module: str, why: str):
    """Import ``module``, or exit with one line naming the package to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        sys.exit(f"error: {why} needs the {package} package: pip install {package}")


def is_image(suffix: str) -> bool:
    """True for the file endings of every format Pillow reads (as FT Studio trained)."""
    if suffix in TENSOR_SUFFIXES:
        return False
    try:
        from PIL import Image
    except ImportError:  # read_image names the package to install
        return suffix in IMAGE_SUFFIXES
    Image.init()
    return suffix in Image.registered_extensions()


def as_batch(x: torch.Tensor, source: str) -> torch.Tensor:
    """(INPUT_SHAPE) or (N, INPUT_SHAPE) -> (N, INPUT_SHAPE) float32."""
    x = torch.as_tensor(x).float()
    if tuple(x.shape) == tuple(INPUT_SHAPE):
        x = x.unsqueeze(0)
    if tuple(x.shape[1:]) != tuple(INPUT_SHAPE):
        if x.dim() >= 1 and x[0].numel() == math.prod(INPUT_SHAPE):
            return x.reshape(-1, *INPUT_SHAPE)
        sys.exit(
            f"error: {source} holds shape {list(x.shape)}; the model takes {list(INPUT_SHAPE)}"
        )
    return x


def read_csv(path: Path) -> torch.Tensor:
    with open(path, newline="") as handle:
        rows = [row for row in csv.reader(handle) if row]
    drop = None
    try:
        [float(v) for v in rows[0]]
    except ValueError:
        header = [h.strip().lower() for h in rows.pop(0)]
        drop = header.index("label") if "label" in header else None
    values = [[float(v) for i, v in enumerate(row) if i != drop] for row in rows]
    return torch.tensor(values)


def read_image(path: Path) -> torch.Tensor:
    Image = need("pillow", "PIL.Image", f"reading the image {path}")
    T = need("torchvision", "torchvision.transforms", f"preparing the image {path}")

    channels, height, width = INPUT_SHAPE
    prep = PREPROCESSING or {}
    mode = T.InterpolationMode(prep.get("interpolation") or "bilinear")
    steps = []
    if prep.get("resize"):  # shorter side, then a centre crop (as FT Studio trained)
        steps += [T.Resize(prep["resize"], interpolation=mode, antialias=True), T.CenterCrop((height, width))]
    else:
        steps.append(T.Resize((height, width), interpolation=mode, antialias=True))
    steps.append(T.ToTensor())
    if prep.get("mean"):
        steps.append(T.Normalize(prep["mean"], prep["std"]))
    with Image.open(path) as img:
        image = img.convert("RGB" if channels == 3 else "L")
    return T.Compose(steps)(image)


def read(path: Path) -> torch.Tensor:
    """A batch ready for the model: images prepared with PREPROCESSING, other samples
    (raw rows) scaled with STANDARDIZE as FT Studio scaled them."""
    suffix = path.suffix.lower()
    if is_image(suffix):
        if len(INPUT_SHAPE) != 3:
            sys.exit(f"error: {path} is an image, but the model takes {list(INPUT_SHAPE)}")
        return as_batch(read_image(path), str(path))
    return standardize(read_samples(path))


def load_tensors_only(path: Path):
    """``torch.load`` that reads tensors only; a file holding code is an error, not a risk."""
    import pickle

    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        sys.exit(
            f"error: {path} holds Python objects besides tensors, and this script never "
            "unpickles code; save plain tensors (torch.save(tensor, path)) or a .npy file"
        )


def read_samples(path: Path) -> torch.Tensor:
    suffix = path.suffix.lower()
    if suffix == ".npy":
        np = need("numpy", "numpy", f"reading {path}")
        return as_batch(torch.from_numpy(np.load(path, allow_pickle=False)), str(path))
    if suffix == ".npz":
        np = need("numpy", "numpy", f"reading {path}")
        with np.load(path, allow_pickle=False) as data:
            return as_batch(torch.from_numpy(data["X"]), str(path))
    if suffix in (".pt", ".pth"):
        data = load_tensors_only(path)
        return as_batch(data["X"] if isinstance(data, dict) else data, str(path))
    if suffix == ".csv":
        return as_batch(read_csv(path), str(path))
    sys.exit(f"error: {path}: use .npy, .npz, .pt, .csv or an image file")


def class_names(weights: str) -> list[str] | None:
    """The class names in the weights file's metadata, else CLASS_NAMES from model.py."""
    path = Path(weights)
    if not path.is_file():  # as load_model: a relative path is also looked up next to us
        path = Path(__file__).resolve().parent / weights
    if path.suffix != ".safetensors":
        return CLASS_NAMES
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as handle:
            names = json.loads((handle.metadata() or {}).get("class_names", "null"))
    except Exception:  # an older export or another file: model.py's names
        return CLASS_NAMES
    if isinstance(names, list) and all(isinstance(n, str) for n in names):
        return names
    return CLASS_NAMES


def name_of(index: int, names: list[str] | None) -> str:
    return names[index] if names and index < len(names) else str(index)


def top_k(scores: torch.Tensor, k: int, names: list[str] | None) -> list[dict]:
    """The ``k`` most likely classes of one row of scores: class name, index, probability."""
    probs = scores.float().softmax(dim=-1)
    p, index = probs.topk(min(k, probs.numel()))
    return [
        {"class": name_of(i, names), "index": i, "p": round(float(v), 6)}
        for v, i in zip(p.tolist(), index.tolist(), strict=True)
    ]


def prediction(where: str, output: torch.Tensor, k: int, names: list[str] | None) -> dict:
    """One sample's prediction as plain data (what --json prints)."""
    if TASK == "regression":
        return {"input": where, "output": output.reshape(-1).tolist()}
    if TASK == "token_classification":
        return {"input": where, "tokens": [top_k(row, k, names) for row in output]}
    return {"input": where, "top_k": top_k(output, k, names)}


def describe(item: dict) -> str:
    """One line for a prediction: ``5 (p=0.912)``, ``5 (p=0.912), 6 (p=0.050)`` or values."""
    if "output" in item:
        return " ".join(f"{v:.6g}" for v in item["output"])
    if "tokens" in item:
        return " ".join(token[0]["class"] for token in item["tokens"])
    return ", ".join(f"{c['class']} (p={c['p']:.3f})" for c in item["top_k"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+", type=Path, help="files to predict")
    parser.add_argument("--weights", default="model.safetensors", help="weights file")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, mps")
    parser.add_argument("--top-k", type=int, default=1, metavar="K", help="classes per sample")
    parser.add_argument("--json", action="store_true", help="print one JSON list")
    args = parser.parse_args(argv)
    if args.top_k < 1:
        parser.error("--top-k must be 1 or more")
    if str(args.weights).endswith(".safetensors"):
        need("safetensors", "safetensors.torch", f"reading {args.weights}")
    model = load_model(args.weights, args.device)
    names = class_names(args.weights)
    results = []
    for path in args.inputs:
        if not path.is_file():
            sys.exit(f"error: no file {path}")
        x = read(path).to(args.device)
        with torch.no_grad():
            outputs = model(x).cpu()
        for i, output in enumerate(outputs):
            where = f"{path}[{i}]" if len(outputs) > 1 else str(path)
            item = prediction(where, output, args.top_k, names)
            if args.json:
                results.append(item)
            else:
                print(f"{where}: {describe(item)}")
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''
