"""The exported model.safetensors carries the project's metadata (issue 9): project name,
class names, input shape, preprocessing and FT Studio version, JSON-encoded; predict.py takes
its class names from there, and falls back to model.py's CLASS_NAMES without them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from export_helpers import run_script
from safetensors import safe_open
from safetensors.torch import load_file, save_file

import ftstudio
from ftstudio.core.export import export_project, info
from ftstudio.core.templates import load_template


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    out = tmp_path_factory.mktemp("digits") / "out"
    export_project(load_template("digits-transfer"), out, check=False)
    return out


def metadata(path) -> dict[str, str]:
    with safe_open(str(path), framework="pt") as handle:
        return handle.metadata()


def test_weights_metadata_holds_project_classes_shape_preprocessing_version(digits):
    meta = metadata(digits / "model.safetensors")
    assert meta["project"] == load_template("digits-transfer").name
    assert meta["ftstudio_version"] == ftstudio.__version__
    expected = info.class_names_for(load_template("digits-transfer"))
    assert expected and json.loads(meta["class_names"]) == expected
    assert json.loads(meta["input_shape"]) == [1, 16, 16]
    prep = json.loads(meta["preprocessing"])
    assert prep is None or prep["size"] == [16, 16]
    assert meta["format"] == "pt"  # still what safetensors' torch loaders expect


def test_sequence_metadata_is_json_too(tmp_path):
    export_project(load_template("seed-sequence"), tmp_path / "seq", check=False)
    meta = metadata(tmp_path / "seq" / "model.safetensors")
    names = json.loads(meta["class_names"])
    assert names is None or all(isinstance(n, str) for n in names)
    assert json.loads(meta["preprocessing"]) is None  # token ids: no image preprocessing
    assert all(isinstance(v, str) for v in meta.values())


def test_predict_takes_class_names_from_the_weights_metadata(digits, tmp_path):
    sample = tmp_path / "sample.npy"
    np.save(sample, np.random.default_rng(0).random((1, 16, 16), dtype=np.float32))
    state = load_file(str(digits / "model.safetensors"))
    meta = metadata(digits / "model.safetensors")
    renamed = tmp_path / "renamed.safetensors"
    save_file(
        state,
        str(renamed),
        {**meta, "class_names": json.dumps([f"meta-{n}" for n in json.loads(meta["class_names"])])},
    )
    bare = tmp_path / "bare.safetensors"
    save_file(state, str(bare), {"format": "pt"})  # an older export: model.py's names

    done = run_script(digits, "predict.py", str(sample), "--weights", str(renamed))
    assert done.returncode == 0, done.stderr
    assert f"{sample}: meta-" in done.stdout
    done = run_script(digits, "predict.py", str(sample), "--weights", str(bare))
    assert done.returncode == 0, done.stderr
    label = done.stdout.split(f"{sample}: ")[1].split()[0]
    assert label in json.loads(meta["class_names"])  # the same names, from model.py
