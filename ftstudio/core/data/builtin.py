"""Built-in, offline data sources: ``digits`` and ``synthetic-sequence``.

The synthetic-sequence rule
---------------------------
Each sequence has a *topic* symbol ``c`` in 0..9. Every one of its 100 tokens carries a symbol
``a_t`` that equals ``c`` with probability 1/2 and is uniform over 0..9 otherwise, so ``c`` is
the most frequent symbol in the sequence. About 70% of tokens are *visible*: their features are
the symbol's embedding plus noise, and their label is their own symbol ``a_t``. The other tokens
are *masked*: their features are a shared mask embedding plus noise and say nothing about
themselves; their label is the sequence's topic ``c``. A masked token's label can only be read
from the other tokens, so a per-token model without attention tops out near 73% while a model
that attends across the sequence can approach 100%.

With ``labels="symbols"`` the same sequences carry another rule: every token is labelled with
the symbol it shows, 10 for a masked token (11 classes). Each label is readable from the token
alone; it is the task the seed template's frozen encoder is pretrained on
(``scripts/make_sequence_encoder.py``).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ftstudio.core.data.config import DataConfig, parse_classes
from ftstudio.core.errors import DataError

SEQ_LEN, SEQ_DIM, SEQ_CLASSES = 100, 128, 10
VISIBLE_FRACTION = 0.7
TOPIC_SHARE = 0.5
NOISE = 0.5


def load_digits_source(
    config: DataConfig, input_shape: tuple[int, ...] | None
) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """scikit-learn's bundled 8x8 digits, resized and channel-expanded to ``input_shape``.

    Returns ``(X, y, class_names)`` with labels remapped to 0..k-1 in class order.
    """
    pixels, target = digits_arrays()
    classes = parse_classes(config.classes, list(range(10)))
    keep = np.isin(target, classes)
    images = torch.tensor(pixels[keep].reshape(-1, 8, 8), dtype=torch.float32).unsqueeze(1) / 16.0
    remap = {c: i for i, c in enumerate(classes)}
    y = torch.tensor([remap[int(t)] for t in target[keep]], dtype=torch.long)
    return fit_images(images, input_shape, config.described), y, [str(c) for c in classes]


def digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """The digits as ``(pixels (N, 64), target (N,))``: scikit-learn's own CSV, read without
    importing scikit-learn (1-2 s, most of a starter run's start); its loader if the file moved."""
    spec = importlib.util.find_spec("sklearn")
    for folder in (spec and spec.submodule_search_locations) or ():
        path = Path(folder) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            table = np.loadtxt(path, delimiter=",")
            return table[:, :-1], table[:, -1].astype(int)
    from sklearn.datasets import load_digits

    raw = load_digits()
    return raw.data, raw.target


def fit_images(images: torch.Tensor, shape: tuple[int, ...] | None, where: str) -> torch.Tensor:
    """Resize (N, C, h, w) images to ``shape`` = (C, H, W), repeating a single channel."""
    if shape is None:
        return images
    if len(shape) == 1 and shape[0] == images[0].numel():
        return images.flatten(1)
    if len(shape) != 3:
        raise DataError(
            f"{where} gives images {tuple(images.shape[1:])}, but the model's input is "
            f"{list(shape)}. Set the project's input shape to an image shape such as [1, 16, 16]."
        )
    channels, height, width = shape
    if images.shape[-2:] != (height, width):
        images = F.interpolate(images, size=(height, width), mode="bilinear", align_corners=False)
    if images.shape[1] != channels:
        if images.shape[1] != 1:
            raise DataError(f"{where} has {images.shape[1]} channels; the model takes {channels}.")
        images = images.expand(-1, channels, -1, -1).contiguous()
    return images


def sequence_class_names(labels: str = "tagging") -> list[str]:
    """Class names of the synthetic sequences under a labelling rule (see the module doc)."""
    names = [str(i) for i in range(SEQ_CLASSES)]
    return names + ["masked"] if labels == "symbols" else names


def synthetic_sequence(
    samples: int, seed: int, labels: str = "tagging"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Seeded (N, 100, 128) features and (N, 100) labels following the module's rule.

    ``labels`` is ``"tagging"`` (the rule above) or ``"symbols"`` (each token's shown symbol,
    10 when masked); the features are the same either way.
    """
    gen = torch.Generator().manual_seed(seed)
    # the embeddings are fixed (seed 1234) so train and validation share one "vocabulary"
    emb_gen = torch.Generator().manual_seed(1234)
    embeddings = torch.randn(SEQ_CLASSES + 1, SEQ_DIM, generator=emb_gen)  # last = mask
    topic = torch.randint(0, SEQ_CLASSES, (samples, 1), generator=gen)
    uniform = torch.randint(0, SEQ_CLASSES, (samples, SEQ_LEN), generator=gen)
    on_topic = torch.rand(samples, SEQ_LEN, generator=gen) < TOPIC_SHARE
    symbols = torch.where(on_topic, topic.expand(-1, SEQ_LEN), uniform)
    visible = torch.rand(samples, SEQ_LEN, generator=gen) < VISIBLE_FRACTION
    shown = torch.where(visible, symbols, torch.full_like(symbols, SEQ_CLASSES))
    x = embeddings[shown] + NOISE * torch.randn(samples, SEQ_LEN, SEQ_DIM, generator=gen)
    if labels == "symbols":
        return x, shown.long()
    y = torch.where(visible, symbols, topic.expand(-1, SEQ_LEN))
    return x, y.long()
