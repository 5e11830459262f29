"""Write the small text data sets the text templates ship (ftstudio/resources/text/).

Deterministic (seeded); run from the repository root to regenerate:

    python scripts/make_text_data.py

``ner_train.jsonl`` / ``ner_val.jsonl``: sentences with BIO tags (PER, LOC, ORG), one JSON
object per line. The validation names, places and companies never occur in training, so a
model must know what a name or a city looks like, not remember the training words; in
half of the patterns the context does not give the entity's type away.
``reviews_train.csv`` / ``reviews_val.csv``: short film reviews labelled good or bad; the
validation reviews use other adjectives than the training ones.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "ftstudio" / "resources" / "text"

PEOPLE = {
    "train": ["John Smith", "Mary Jones", "Peter Brown", "Anna Miller", "David Wilson",
              "Sarah Taylor", "James Moore", "Laura White", "Michael Clark", "Emma Lewis",
              "Robert Walker", "Linda Hall", "Thomas Young", "Susan King", "Daniel Wright"],
    "val": ["Olivia Martin", "George Harris", "Sophie Turner", "William Scott", "Alice Green",
            "Henry Adams", "Claire Baker", "Jack Nelson"],
}  # fmt: skip
PLACES = {
    "train": ["Paris", "London", "Berlin", "Madrid", "Rome", "Vienna", "Tokyo", "Chicago",
              "Boston", "Sydney", "New York", "Los Angeles", "Cairo", "Lisbon", "Dublin"],
    "val": ["Toronto", "Moscow", "Athens", "Warsaw", "San Francisco", "Mexico City", "Oslo",
            "Prague"],
}  # fmt: skip
COMPANIES = {
    "train": ["Google", "Microsoft", "Apple", "Amazon", "Siemens", "Toyota", "Nestle",
              "Shell", "Unilever", "General Motors", "Goldman Sachs", "Deutsche Bank"],
    "val": ["Samsung", "Nokia", "Intel", "Boeing", "Coca Cola", "Bank of America", "Volvo"],
}  # fmt: skip
PATTERNS = [
    "{PER} lives in {LOC} .",
    "{PER} works at {ORG} .",
    "{ORG} opened a new office in {LOC} .",
    "{PER} met {PER} in {LOC} yesterday .",
    "yesterday {PER} joined {ORG} as an engineer .",
    "{PER} flew from {LOC} to {LOC} last week .",
    "the weather in {LOC} was cold this morning .",
    "shares of {ORG} rose after the report .",
    "{PER} said that {ORG} will hire more people .",
    "we spent the summer in {LOC} with {PER} .",
    "the meeting lasted two hours .",
    "nobody expected the results to be so good .",
    # the words around {ANY} do not tell its type: only knowing the name does
    "{ANY} is in the news again .",
    "i read a long article about {ANY} .",
    "everyone is talking about {ANY} .",
    "{ANY} was mentioned twice in the report .",
    "they wrote a story about {ANY} and {ANY} .",
    "we argued about {ANY} all evening .",
    "have you heard about {ANY} ?",
    "{ANY} came up again at dinner .",
]
ADJECTIVES = {
    ("train", "good"): ["great", "wonderful", "excellent", "brilliant", "lovely", "moving"],
    ("train", "bad"): ["awful", "boring", "terrible", "dull", "weak", "painful"],
    ("val", "good"): ["superb", "fantastic", "beautiful", "delightful"],
    ("val", "bad"): ["dreadful", "tedious", "horrible", "lousy"],
}
REVIEWS = [
    "the film was {ADJ} .",
    "a {ADJ} movie from start to end .",
    "i found the acting {ADJ} .",
    "what a {ADJ} story , honestly .",
    "the ending was {ADJ} and the music too .",
    "overall a {ADJ} evening at the cinema .",
]


def sentence(pattern: str, split: str, rng: random.Random) -> tuple[list[str], list[str]]:
    words, tags = [], []
    pools = {"PER": PEOPLE, "LOC": PLACES, "ORG": COMPANIES}
    for part in pattern.split():
        kind = part.strip("{}") if part.startswith("{") else None
        if kind == "ANY":
            kind = rng.choice(sorted(pools))
        if kind is None:
            words.append(part)
            tags.append("O")
            continue
        entity = rng.choice(pools[kind][split]).split()
        words += entity
        tags += [f"B-{kind}"] + [f"I-{kind}"] * (len(entity) - 1)
    return words, tags


def write_ner(split: str, count: int, seed: int) -> None:
    rng = random.Random(seed)
    lines = []
    for _ in range(count):
        words, tags = sentence(rng.choice(PATTERNS), split, rng)
        lines.append(json.dumps({"tokens": words, "labels": tags}))
    (OUT / f"ner_{split}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_reviews(split: str, count: int, seed: int) -> None:
    rng = random.Random(seed)
    with (OUT / f"reviews_{split}.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        for _ in range(count):
            label = rng.choice(["good", "bad"])
            text = rng.choice(REVIEWS).format(ADJ=rng.choice(ADJECTIVES[(split, label)]))
            writer.writerow([text, label])


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    write_ner("train", 240, 0)
    write_ner("val", 80, 1)
    write_reviews("train", 160, 2)
    write_reviews("val", 60, 3)
    print(f"wrote {sorted(p.name for p in OUT.iterdir())} to {OUT}")
