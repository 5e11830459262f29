"""Issue 11, item 11: the seed-sequence template's frozen encoder is really pretrained."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file

from ftstudio.core.builder import build_model
from ftstudio.core.data import load_data
from ftstudio.core.project import RESOURCES
from ftstudio.core.templates import load_template
from ftstudio.core.training import train_project

WEIGHTS = RESOURCES / "weights" / "sequence_encoder_symbols.safetensors"
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "make_sequence_encoder.py"


def _encoder_state(project) -> dict[str, torch.Tensor]:
    return build_model(project).get_submodule("encoder").state_dict()


def test_template_encoder_is_frozen_and_loaded_from_the_shipped_file():
    project = load_template("seed-sequence")
    spec = project.blocks[0]
    assert spec.frozen
    assert spec.params["weights_file"] == "resources:weights/sequence_encoder_symbols.safetensors"
    assert WEIGHTS.stat().st_size < 100_000
    shipped = load_file(str(WEIGHTS))
    torch.manual_seed(1)
    first = _encoder_state(project)
    torch.manual_seed(2)  # another random init underneath: the file must overwrite it
    second = _encoder_state(project)
    assert set(first) == set(shipped)
    for key, value in shipped.items():
        assert torch.equal(first[key], value), key
        assert torch.equal(second[key], value), key


def test_script_records_its_pretraining_result_and_reproduces_the_shipped_file(tmp_path):
    with safe_open(str(WEIGHTS), framework="pt") as handle:
        recorded = handle.metadata()
    assert recorded["made_by"] == "scripts/make_sequence_encoder.py"
    assert "labels=symbols" in recorded["task"]
    assert float(recorded["val_accuracy"]) >= 0.95  # the related task was really learned

    spec = importlib.util.spec_from_file_location("make_sequence_encoder", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    out = tmp_path / "encoder.safetensors"
    assert script.main(["--out", str(out)]) == 0
    with safe_open(str(out), framework="pt") as handle:
        assert handle.metadata()["val_accuracy"] == recorded["val_accuracy"]
    remade, shipped = load_file(str(out)), load_file(str(WEIGHTS))
    assert set(remade) == set(shipped)
    for key in shipped:
        torch.testing.assert_close(remade[key], shipped[key], rtol=1e-4, atol=1e-5)


def test_pretraining_labels_are_the_shown_symbols_of_the_same_sequences():
    project = load_template("seed-sequence")
    project.data.update({"samples": 20, "labels": "symbols", "val_fraction": 0.0})
    project.task.num_classes = 11
    project.blocks[-1].params["classes"] = 11
    symbols = load_data(project)
    project.data["labels"] = "tagging"
    project.task.num_classes = 10
    project.blocks[-1].params["classes"] = 10
    tagging = load_data(project)
    (xs, ys), (xt, yt) = symbols.train.tensors, tagging.train.tensors
    assert torch.equal(xs, xt)  # same features, another labelling rule
    assert symbols.num_classes == 11 and int(ys.max()) == 10
    visible = ys != 10
    assert torch.equal(ys[visible], yt[visible])  # a visible token shows its own symbol


def test_pretrained_encoder_beats_a_random_frozen_one_in_a_small_budget(tmp_path):
    # one epoch on 150 sequences: about 0.42 against 0.20 token accuracy
    accuracy = {}
    for name, weights in (("pretrained", None), ("random", "")):
        project = load_template("seed-sequence")
        project.data.update({"samples": 150})
        if weights is not None:
            project.blocks[0].params["weights_file"] = weights  # random init, still frozen
        result = train_project(
            project, overrides={"epochs": 1, "device": "cpu"}, run_dir=tmp_path / name
        )
        accuracy[name] = result.summary["final"]["val_accuracy"]
    assert accuracy["pretrained"] >= accuracy["random"] + 0.10, accuracy


def test_an_unknown_labelling_rule_is_refused_by_name():
    from ftstudio.core.data import parse_data_config
    from ftstudio.core.errors import DataError

    with pytest.raises(DataError, match="data.labels"):
        parse_data_config({"source": "synthetic-sequence", "labels": "topics"})
