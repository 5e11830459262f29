"""The ``image-folder`` source: one sub-folder per class, images decoded lazily by workers."""

from __future__ import annotations

import functools
from typing import Any

import torch
from torch.utils.data import Dataset

from ftstudio.core.data.config import DataConfig
from ftstudio.core.data.files import existing
from ftstudio.core.errors import DataError
from ftstudio.core.text import printable, shorten


@functools.cache
def image_suffixes() -> frozenset[str]:
    """File endings of every format this Pillow can decode (``.png``, ``.webp``, ``.tif``...).

    Taken from Pillow's registered plugins, so a Pillow built with more formats reads more.
    Stub formats (which need a handler Pillow does not ship) are left out.
    """
    from PIL import Image, ImageFile

    Image.init()
    readable = {
        name
        for name, (factory, _accept) in Image.OPEN.items()
        if not (isinstance(factory, type) and issubclass(factory, ImageFile.StubImageFile))
    }
    return frozenset(ext for ext, name in Image.registered_extensions().items() if name in readable)


def scan_folder(config: DataConfig, path: str) -> tuple[list[tuple[str, int]], list[str]]:
    """``[(file, label)]`` and the class names (sorted sub-folder names).

    Every class must hold at least one image file of a format Pillow reads; a class without
    one is refused by name (and what its folder holds instead is said).
    """
    root = existing(path, config, folder=True)
    classes = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    if not classes:
        raise DataError(
            f"{config.described}: no class sub-folders. Put each class's images in its own "
            "sub-folder, e.g. cats/1.png, dogs/2.png."
        )
    suffixes = image_suffixes()
    items: list[tuple[str, int]] = []
    empty: list[str] = []
    others: set[str] = set()
    for label, name in enumerate(classes):
        found = 0
        for f in sorted((root / name).iterdir()):
            if f.name.startswith("."):
                continue
            # is_file(): a pipe or device named x.png would block or never end when read
            if f.suffix.lower() in suffixes and f.is_file():
                items.append((str(f), label))
                found += 1
            else:
                others.add(f.suffix.lower() or ("sub-folder" if f.is_dir() else "no ending"))
        if not found:
            empty.append(name)
    if empty:
        shown = ", ".join(f"'{shorten(n, 40)}'" for n in empty[:12])
        more = f" and {len(empty) - 12} more" if len(empty) > 12 else ""
        held = ", ".join(sorted(others)[:8]) or "nothing"
        raise DataError(
            f"{config.described}: class folder(s) {shown}{more} hold no image that can be read "
            f"(besides images, the class folders hold: {held}). Every class needs at least one "
            "image file of a format Pillow reads (.png, .jpg, .webp, .tif, .bmp, .gif, ...): "
            "add images or remove the folder."
        )
    return items, classes


def preprocessing_for(project: Any, input_shape: tuple[int, ...]) -> dict[str, Any]:
    """The first block's own preprocessing (size, mean, std), or the project's input shape.

    A block may give only its mean/std and leave ``input_shape`` None: the project's input
    size then rules, and ``resize_ratio`` (resize / crop of the weights) scales the resize.
    """
    from ftstudio.core.builder import resolved_params

    prep = None
    if project.blocks:
        spec = project.blocks[0]
        if spec.block_type.preprocessing is not None:
            prep = spec.block_type.preprocessing(resolved_params(project, spec))
    channels, height, width = input_shape
    if prep and prep.get("input_shape") is None:  # the block's normalisation, the project's size
        ratio = prep.get("resize_ratio")
        prep = {
            **prep,
            "input_shape": [channels, height, width],
            "resize": round(min(height, width) * ratio) if ratio else None,
        }
    if prep:
        return dict(prep)
    return {
        "input_shape": [channels, height, width],
        "resize": None,
        "mean": [0.5] * channels,
        "std": [0.5] * channels,
        "source": "project input shape",
    }


def weights_shape_conflict(project: Any, shape: tuple[int, ...] | None) -> str | None:
    """Why an image folder cannot feed the project's input ``shape``, or None.

    Only pretrained weights imply an image size (their crop): when the project's input shape
    differs, images prepared for the weights would not fit the model. ``validate`` and
    training both ask this, so they agree.
    """
    if project.data.get("source") != "image-folder" or shape is None or len(shape) != 3:
        return None
    prep = preprocessing_for(project, tuple(shape))
    if tuple(prep["input_shape"]) == tuple(shape):
        return None
    first = f"block 1 '{project.blocks[0].label}'"
    return (
        f"{first} expects images {prep['input_shape']} ({prep.get('source')}), but the "
        f"project's input shape is {list(shape)}. Set the input shape to {prep['input_shape']}, "
        "or choose weights 'none' or 'file' to train at your own size."
    )


def make_transform(prep: dict[str, Any], train: bool, flip: bool, random_crop: bool):
    """torchvision transforms: resize + centre crop (or random resized crop), flip, normalise."""
    from torchvision import transforms as T

    channels, height, width = prep["input_shape"]
    # the weights' own resampling (timm's pretrained_cfg says bicubic for most); else bilinear
    mode = T.InterpolationMode(prep.get("interpolation") or "bilinear")
    steps: list[Any] = []
    if train and random_crop:
        steps.append(
            T.RandomResizedCrop(
                (height, width), scale=(0.6, 1.0), interpolation=mode, antialias=True
            )
        )
    elif prep.get("resize"):
        # torchvision's own eval transform: shorter side to ``resize``, then a centre crop
        # (squashing to (height, width) would distort every non-square image)
        steps += [
            T.Resize(prep["resize"], interpolation=mode, antialias=True),
            T.CenterCrop((height, width)),
        ]
    else:
        steps.append(T.Resize((height, width), interpolation=mode, antialias=True))
    if train and flip:
        steps.append(T.RandomHorizontalFlip())
    steps += [T.ToTensor(), T.Normalize(prep["mean"], prep["std"])]
    return T.Compose(steps)


class ImageFolderDataset(Dataset):
    """Lazily loaded images: only file names live in memory."""

    def __init__(self, items: list[tuple[str, int]], transform, channels: int):
        self.items = items
        self.transform = transform
        self.mode = "RGB" if channels == 3 else "L"

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        from PIL import Image

        path, label = self.items[index]
        shown = printable(path)
        try:
            with Image.open(path) as img:
                image = img.convert(self.mode)
        except Image.DecompressionBombError:
            raise DataError(
                f"The image {shown} is too large: it has more pixels than Pillow opens safely "
                f"({2 * Image.MAX_IMAGE_PIXELS:,}), a guard against decompression bombs. Shrink "
                "it or remove it from the image folder."
            ) from None
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise DataError(
                f"Cannot read the image {shown}: {shorten(str(exc), 200)}. Replace the file or "
                "remove it from the image folder."
            ) from None
        return self.transform(image), label
