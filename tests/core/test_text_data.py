"""Issue 12: the text data sources (text-csv, token-jsonl and CoNLL-style), tokenised with the
encoder's own tokenizer, and training on them (a tiny BERT written by the tests)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from ftstudio.core.data import load_data
from ftstudio.core.data.text import IGNORE_INDEX, class_names
from ftstudio.core.errors import DataError
from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block

pytest.importorskip("transformers")
from text_helpers import VOCAB, tiny_encoder  # noqa: E402

SENTENCES = [
    (["John", "lives", "in", "Paris"], ["B-PER", "O", "O", "B-LOC"]),
    (["Mary", "works", "at", "Acme", "Corp"], ["B-PER", "O", "O", "B-ORG", "I-ORG"]),
    (["the", "cats", "sat", "on", "the", "mat"], ["O", "O", "O", "O", "O", "O"]),
    (["John", "ran", "in", "London"], ["B-PER", "O", "O", "B-LOC"]),
]
REVIEWS = [
    ("a great film", "good"),
    ("a very good movie", "good"),
    ("an awful film", "bad"),
    ("the movie was not good", "bad"),
]


@pytest.fixture(scope="module")
def encoder(tmp_path_factory) -> Path:
    return tiny_encoder(tmp_path_factory.mktemp("tiny_bert"))


def write_jsonl(path: Path, sentences=SENTENCES, repeat: int = 1) -> Path:
    lines = [json.dumps({"tokens": w, "labels": t}) for w, t in sentences * repeat]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_csv(path: Path, repeat: int = 1) -> Path:
    rows = ["text,label"] + [f'"{t}",{label}' for t, label in REVIEWS * repeat]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def text_project(encoder: Path, data: dict, kind: str, classes: int, length: int = 12) -> Project:
    project = Project(
        name="text", input=InputSpec(shape=(length,), dtype="int64"), task=TaskSpec(kind, classes)
    )
    project.blocks = [make_block("hf_text_encoder", project, folder=str(encoder))]
    project.blocks[0].frozen = True
    if kind == "token_classification":
        project.blocks.append(make_block("self_attention", project, heads=2))
        project.blocks.append(make_block("token_classifier", project, classes=classes))
    else:
        project.blocks.append(make_block("sequence_pool", project))
        project.blocks.append(make_block("linear_classifier", project, classes=classes))
    project.data = {"val_fraction": 0.0, "max_length": length, **data}
    project.training.update(epochs=1, batch_size=8, lr=0.01, device="cpu", seed=0)
    return project


def test_word_labels_go_to_the_first_sub_token_only(encoder, tmp_path):
    path = write_jsonl(tmp_path / "ner.jsonl")
    project = text_project(
        encoder, {"source": "token-jsonl", "path": str(path)}, "token_classification", 5
    )
    bundle = load_data(project)
    assert bundle.class_names == ["O", "B-LOC", "B-ORG", "B-PER", "I-ORG"]
    x, y = bundle.train.tensors
    assert x.dtype == torch.long and tuple(x.shape) == (4, 12)
    rows = x.tolist()  # shuffled by the split: find the sentences by their words
    i = next(n for n, r in enumerate(rows) if VOCAB.index("cat") in r)
    j = next(n for n, r in enumerate(rows) if VOCAB.index("paris") in r)
    cats = rows[i]  # [CLS] the cat ##s sat on the mat [SEP] [PAD]...
    assert [VOCAB[i] for i in cats[:9]] == [
        "[CLS]", "the", "cat", "##s", "sat", "on", "the", "mat", "[SEP]"
    ]  # fmt: skip
    assert y[i].tolist()[:9] == [IGNORE_INDEX, 0, 0, IGNORE_INDEX, 0, 0, 0, 0, IGNORE_INDEX]
    assert (y[i, 9:] == IGNORE_INDEX).all()  # padding
    assert y[j].tolist()[:6] == [IGNORE_INDEX, 3, 0, 0, 1, IGNORE_INDEX]
    assert not bundle.warnings


def test_conll_columns_read_as_the_jsonl(encoder, tmp_path):
    lines = ["-DOCSTART- -X- O", ""]
    for words, tags in SENTENCES:
        lines += [f"{w} NNP {t}" for w, t in zip(words, tags, strict=True)] + [""]
    conll = tmp_path / "ner.txt"
    conll.write_text("\n".join(lines), encoding="utf-8")
    jsonl = write_jsonl(tmp_path / "ner.jsonl")
    kind = "token_classification"
    a = load_data(text_project(encoder, {"source": "token-jsonl", "path": str(conll)}, kind, 5))
    b = load_data(text_project(encoder, {"source": "token-jsonl", "path": str(jsonl)}, kind, 5))
    assert all(torch.equal(s, t) for s, t in zip(a.train.tensors, b.train.tensors, strict=True))


def test_long_texts_are_truncated_and_counted(encoder, tmp_path):
    path = write_jsonl(tmp_path / "ner.jsonl")
    project = text_project(
        encoder, {"source": "token-jsonl", "path": str(path)}, "token_classification", 5, length=6
    )
    bundle = load_data(project)
    assert tuple(bundle.train.tensors[0].shape) == (4, 6)
    # 4 words + [CLS]/[SEP] fit in 6; Mary's 5 words and the cats' 7 sub-tokens do not
    assert any("2 of 4 texts are longer than max_length (6 tokens)" in w for w in bundle.warnings)


def test_a_bad_line_is_named(encoder, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"tokens": ["a"], "labels": ["O"]}\n{"tokens": ["a", "b"], "labels": ["O"]}\n')
    project = text_project(
        encoder, {"source": "token-jsonl", "path": str(path)}, "token_classification", 1
    )
    with pytest.raises(DataError, match="line 2"):
        load_data(project)


def test_text_needs_the_encoder_block(encoder, tmp_path):
    path = write_csv(tmp_path / "reviews.csv")
    project = text_project(encoder, {"source": "text-csv", "path": str(path)}, "classification", 2)
    project.blocks = project.blocks[1:]
    with pytest.raises(DataError, match="Transformer encoder \\(Hugging Face\\)"):
        load_data(project)


def test_class_names_put_o_first_and_numbers_in_order():
    assert class_names(["I-PER", "O", "B-PER"]) == ["O", "B-PER", "I-PER"]
    assert class_names(["10", "2", "1"]) == ["1", "2", "10"]


@pytest.mark.parametrize("source", ["text-csv", "token-jsonl"])
def test_training_on_a_text_source(encoder, tmp_path, source):
    from ftstudio.core.training.run import train_project

    if source == "text-csv":
        data = {"source": source, "path": str(write_csv(tmp_path / "r.csv", repeat=4))}
        project = text_project(encoder, data, "classification", 2)
    else:
        data = {"source": source, "path": str(write_jsonl(tmp_path / "n.jsonl", repeat=4))}
        project = text_project(encoder, data, "token_classification", 5)
    project.data["val_fraction"] = 0.25
    project.training.update(epochs=4, lr=0.05)
    train_project(project, run_dir=tmp_path / "run")
    rows = _epochs(tmp_path / "run")
    assert len(rows) == 4
    first, last = float(rows[0]["train_loss"]), float(rows[-1]["train_loss"])
    assert math.isfinite(last) and last < first, rows
    accuracy = float(rows[-1]["val_accuracy"])
    assert 0.0 <= accuracy <= 1.0


def _epochs(run: Path):
    from train_helpers import epoch_rows

    return epoch_rows(run)
