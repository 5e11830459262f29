"""Issue 12: the text templates (with a tiny encoder folder in place of MiniLM) train offline
and export: model.py built from the encoder's config, tokenizer files copied, predict.py on raw
text, parity in a process that cannot import ftstudio."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ftstudio.cli import main
from ftstudio.core import project as project_io
from ftstudio.core.templates import list_templates, offline_templates

TEXT_TEMPLATES = ["text-token-tagging", "text-classification"]


def test_the_text_templates_are_listed_and_need_an_encoder():
    assert set(TEXT_TEMPLATES) <= set(list_templates())
    assert not set(TEXT_TEMPLATES) & set(offline_templates())


pytest.importorskip("transformers")
from text_helpers import tiny_encoder  # noqa: E402


@pytest.fixture(scope="module")
def encoder(tmp_path_factory) -> Path:
    return tiny_encoder(tmp_path_factory.mktemp("tiny_bert"))


def new_project(tmp_path: Path, name: str, encoder: Path | None) -> Path:
    path = tmp_path / f"{name}.ftproj"
    assert main(["new", "--template", name, str(path)]) == 0
    if encoder is not None:  # what a user does: point the block at their encoder folder
        project = project_io.load(path)
        project.blocks[0].params.update(folder=str(encoder), hub_name="")
        project_io.save(project, path)
    return path


@pytest.mark.parametrize("name", TEXT_TEMPLATES)
def test_without_the_model_in_the_cache_validation_names_the_remedy(
    tmp_path, monkeypatch, capsys, name
):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    path = new_project(tmp_path, name, None)
    capsys.readouterr()
    assert main(["validate", str(path)]) != 0
    out = capsys.readouterr()
    text = out.out + out.err
    assert "huggingface-cli download sentence-transformers/all-MiniLM-L6-v2" in text
    assert str(tmp_path / "empty-cache") in text


@pytest.mark.parametrize("name", TEXT_TEMPLATES)
def test_a_text_template_trains_offline_and_exports_with_parity(tmp_path, encoder, capsys, name):
    path = new_project(tmp_path, name, encoder)
    assert main(["validate", str(path)]) == 0, capsys.readouterr().out
    run = tmp_path / "run"
    args = ["train", str(path), "--out", str(run), "--epochs", "1", "--quiet"]
    assert main(args) == 0, capsys.readouterr().err
    checkpoint = run / "checkpoints" / "last.pt"
    out = tmp_path / "export"
    assert main(["export", str(path), "--out", str(out), "--checkpoint", str(checkpoint)]) == 0
    names = {p.name for p in (out / "text_encoder").iterdir()}
    assert {"config.json", "tokenizer.json", "tokenizer_config.json"} <= names
    assert "model.safetensors" not in names  # the weights are in the export's own file
    source = (out / "model.py").read_text()
    assert 'layers.HFTextEncoder("text_encoder")' in source and "MaskedSequential" in source
    assert "it needs torch, transformers, tokenizers and safetensors" in source
    assert "dtype=torch.long" in source  # its usage example feeds token ids
    manifest = json.loads((out / "ftstudio-export.json").read_text())
    assert manifest["parity"]["ok"] is True
    assert manifest["parity"]["files"]["model.py"]["max_abs_diff"] == 0.0

    # predict.py on raw text, where ftstudio cannot be imported, equals the app's model
    texts = ["John Smith lives in Paris .", "a great film"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-I", "predict.py", *texts, "--json"],
        cwd=out,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout)
    assert [r["input"] for r in records] == texts
    expected = app_predictions(path, checkpoint, encoder, texts)
    if name == "text-token-tagging":
        assert [[w["class"] for w in r["words"]] for r in records] == expected
        assert [w["word"] for w in records[0]["words"]] == texts[0].split()
    else:
        assert [r["top_k"][0]["class"] for r in records] == expected


def app_predictions(path: Path, checkpoint: Path, encoder: Path, texts: list[str]):
    from transformers import AutoTokenizer

    from ftstudio.core.data import load_data
    from ftstudio.core.training.evaluation import load_trained_model

    project = project_io.load(path)
    names = load_data(project).class_names
    model = load_trained_model(project, checkpoint)
    tok = AutoTokenizer.from_pretrained(str(encoder))
    words = project.task.kind == "token_classification"
    batch = [t.split() for t in texts] if words else texts
    enc = tok(
        batch, is_split_into_words=words, truncation=True, max_length=32, padding="max_length"
    )
    with torch.no_grad():
        predicted = model(torch.tensor(enc["input_ids"])).argmax(-1)
    if not words:
        return [names[int(c)] for c in predicted]
    out = []
    for i in range(len(texts)):
        ids = enc.word_ids(i)
        firsts = [ids.index(k) for k in range(len(batch[i]))]
        out.append([names[int(predicted[i, p])] for p in firsts])
    return out


@pytest.mark.parametrize("name", TEXT_TEMPLATES)
def test_text_exports_skip_torchscript_and_onnx_with_a_reason(tmp_path, encoder, name):
    from ftstudio.core.export.api import export_project

    project = project_io.load(new_project(tmp_path, name, encoder))
    result = export_project(project, tmp_path / "out", formats=("torchscript",), check=False)
    assert "Hugging Face text encoder" in result.skipped["torchscript"]
    assert not (tmp_path / "out" / "model.ts").exists()
    from test_export_ruff import CONFIG, ruff_command

    files = [str(p) for p in (tmp_path / "out").glob("*.py")]
    done = subprocess.run(
        [*ruff_command(), "check", "--no-cache", "--config", str(CONFIG), *files],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout
