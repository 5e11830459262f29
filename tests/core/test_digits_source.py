"""The digits source reads scikit-learn's CSV without importing scikit-learn, the same data."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import numpy as np

from ftstudio.core.data import builtin


def test_the_digits_equal_scikit_learns_loader():
    from sklearn.datasets import load_digits

    pixels, target = builtin.digits_arrays()
    raw = load_digits()
    assert np.array_equal(pixels, raw.data) and np.array_equal(target, raw.target)


def test_reading_the_digits_does_not_import_scikit_learn():
    code = (
        "import sys; from ftstudio.core.data.builtin import digits_arrays; "
        "p, t = digits_arrays(); print(len(t), 'sklearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1797", "False"]


def test_without_the_csv_the_loader_is_used(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    pixels, target = builtin.digits_arrays()
    assert pixels.shape == (1797, 64) and sorted(set(target.tolist())) == list(range(10))
