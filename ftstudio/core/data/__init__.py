"""Data sources for training, from the project's ``data`` section.

Keys of ``data`` (all optional except where noted):

``source``
    ``"digits"`` (default; scikit-learn's bundled 8x8 digits), ``"synthetic-sequence"``,
    ``"image-folder"``, ``"csv"`` or ``"tensor-file"``.
``path``
    File or folder for the file sources (required there). ``resources:NAME`` is shipped with
    FT Studio; relative paths are relative to the project file.
``classes``
    digits only: a subset such as ``"5-9"``, ``"0,2,4"`` or ``[5, 6]``; labels become 0..k-1.
``samples``
    synthetic-sequence only: number of sequences (default 2000).
``labels``
    synthetic-sequence only: ``"tagging"`` (default) or ``"symbols"`` (each token's shown
    symbol, 11 classes), the labelling rules described in :mod:`ftstudio.core.data.builtin`.
``seed``
    Seed of the split and of synthetic data (default 0).
``val_fraction``
    Fraction held out for validation (default 0.2; 0 = no validation).
``validation``
    An explicit validation source instead of a split: an object with the same keys, merged
    over this section, e.g. ``{"path": "val.csv"}``.
``label_column`` / ``feature_columns``
    csv only: the label's column (default ``"label"``) and the feature columns (default: all
    others; never the label). The file is UTF-8 text with a header row of distinct names and
    one value per column on every row.
``standardize``
    csv and tensor-file (real-valued ``X``): scale each feature to mean 0 and standard
    deviation 1 with statistics fitted on the training split only; they are stored in the
    run's ``summary.json``, in every checkpoint (evaluate and resume reuse them) and in the
    exported ``model.py`` (``STANDARDIZE``, applied by ``predict.py``/``train.py``). New
    projects (templates, ``ftstudio new``, a new csv/tensor-file source in the window) write
    ``true``; a project without the key keeps the old behaviour (off: the reader's default,
    no migration). With it off, loading warns when feature scales differ by more than 100x.
``flip`` / ``random_crop``
    image-folder only (images of any format Pillow reads; every class needs one): training-time horizontal flip and random resized crop.
``num_workers``
    DataLoader workers (default 2 for image folders, 0 for in-memory sources).

Tensor files (``.npz``, ``.safetensors``, ``.pt`` read with ``weights_only=True``) hold ``X``
(samples, any shape) and ``y`` (labels or targets). Images from an image folder get the first
block's own preprocessing (size, mean, std) when it has one (a torchvision backbone with its
pretrained weights); otherwise they are resized to the project's input shape. Every problem
is a :class:`~ftstudio.core.errors.DataError` raised before training, naming the source and
the block. The synthetic-sequence rule is documented in :mod:`ftstudio.core.data.builtin`.
"""

from ftstudio.core.data.bundle import DataBundle, load_data, split_indices
from ftstudio.core.data.config import SOURCES, DataConfig, parse_data_config

__all__ = ["SOURCES", "DataBundle", "DataConfig", "load_data", "parse_data_config", "split_indices"]
