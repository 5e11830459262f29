"""Issue 12: word-level metrics for token tasks and seqeval-style BIO entity scores."""

from __future__ import annotations

import pytest

from ftstudio.core.training.entities import entity_scores, is_bio, spans


def test_spans_follow_conlleval():
    tags = ["B-PER", "I-PER", "O", "I-LOC", "I-LOC", "B-LOC", "I-ORG", "O"]
    assert spans(tags) == [("PER", 0, 2), ("LOC", 3, 5), ("LOC", 5, 6), ("ORG", 6, 7)]


def test_entity_scores_against_a_hand_computed_example():
    true = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    predicted = [["B-PER", "I-PER", "O", "B-ORG"], ["I-ORG", "O"]]
    # true: PER 0-2, LOC 3-4 | ORG 0-1; predicted: PER 0-2, ORG 3-4 | ORG 0-1
    scores = entity_scores(true, predicted)
    assert scores["PER"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    assert scores["LOC"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert scores["ORG"]["precision"] == 0.5 and scores["ORG"]["recall"] == 1.0
    assert scores["ORG"]["f1"] == pytest.approx(2 / 3)
    overall = scores["overall"]
    assert overall["precision"] == pytest.approx(2 / 3) and overall["recall"] == pytest.approx(
        2 / 3
    )
    assert overall["support"] == 3


def test_bio_is_recognised():
    assert is_bio(["O", "B-PER", "I-PER"])
    assert not is_bio(["neg", "pos"]) and not is_bio(["O", "I-PER"]) and not is_bio(["B-"])


def test_evaluate_scores_words_not_sub_tokens(tmp_path):
    pytest.importorskip("transformers")
    import torch
    from test_text_data import SENTENCES, text_project, write_jsonl
    from text_helpers import tiny_encoder
    from transformers import AutoTokenizer

    from ftstudio.cli.evaluate_cmd import format_report
    from ftstudio.core.training import evaluate_checkpoint
    from ftstudio.core.training.evaluation import load_trained_model
    from ftstudio.core.training.run import train_project

    encoder = tiny_encoder(tmp_path / "bert")
    data = {"source": "token-jsonl", "path": str(write_jsonl(tmp_path / "n.jsonl"))}
    project = text_project(encoder, data, "token_classification", 5)
    train_project(project, run_dir=tmp_path / "run")
    checkpoint = tmp_path / "run" / "checkpoints" / "last.pt"
    result = evaluate_checkpoint(project, checkpoint, device="cpu")
    words = sum(len(w) for w, _ in SENTENCES)
    assert len(result.true) == words  # "cats" is 2 sub-tokens, 1 record
    assert sum(row["support"] for row in result.per_class) == words

    # the same scores computed here from the model's outputs at each word's first sub-token
    tokenizer = AutoTokenizer.from_pretrained(str(encoder))
    model = load_trained_model(project, checkpoint)
    names = result.classes
    true, predicted = [], []
    for w, tags in SENTENCES:
        enc = tokenizer([w], is_split_into_words=True, padding="max_length", max_length=12)
        out = model(torch.tensor(enc["input_ids"]))[0].argmax(-1)
        ids = enc.word_ids(0)
        firsts = [ids.index(k) for k in range(len(w))]
        true.append(tags)
        predicted.append([names[int(out[p])] for p in firsts])
    assert result.entities == entity_scores(true, predicted)
    assert "entities (BIO spans" in format_report(result.to_dict())
