"""What an export of a text model adds: the encoder's config and tokenizer files, and a
``predict.py`` that takes raw text.

``model.py`` builds the encoder from ``text_encoder/config.json`` with Transformers
(``AutoModel.from_config``: no network, no remote code); its weights are in model.safetensors
with the rest of the model.
"""

from __future__ import annotations

from pathlib import Path

from ftstudio.core.blocks import hf_text
from ftstudio.core.blocks.registry import TOKEN_DTYPE
from ftstudio.core.builder import resolved_params
from ftstudio.core.data.text import encoder_spec
from ftstudio.core.export.errors import ExportError
from ftstudio.core.project import Project

FOLDER = hf_text.EXPORT_FOLDER
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.txt",
    "vocab.json",
    "merges.txt",
    "spiece.model",
    "sentencepiece.bpe.model",
)
UNSUPPORTED_FORMATS = (
    "{fmt} skipped: a Hugging Face text encoder is exported as code only (model.py with "
    "Transformers); TorchScript and ONNX export of text encoders is not supported yet."
)


def is_text(project: Project) -> bool:
    """The project takes token ids through a Hugging Face encoder."""
    return project.input.dtype == TOKEN_DTYPE and encoder_spec(project) is not None


def encoder_files(project: Project) -> dict[str, bytes]:
    """``{"text_encoder/NAME": content}``: config.json and the tokenizer files."""
    spec = encoder_spec(project)
    folder = hf_text.encoder_folder(resolved_params(project, spec))
    out = {}
    for name in ("config.json", *TOKENIZER_FILES):
        path = Path(folder) / name
        if path.is_file():
            out[f"{FOLDER}/{name}"] = path.read_bytes()
    if f"{FOLDER}/tokenizer_config.json" not in out and f"{FOLDER}/tokenizer.json" not in out:
        raise ExportError(
            f"The encoder folder {folder} has no tokenizer files (tokenizer.json or "
            "tokenizer_config.json), so predict.py could not read text. Save the tokenizer "
            "there with tokenizer.save_pretrained(folder)."
        )
    return out


PREDICT_TEXT_PY = '''\
"""Predict with the exported text model.

    python predict.py TEXT [TEXT ...] [--file FILE] [--top-k K] [--json] [--device cpu]

TEXT is raw text (quote it); --file reads one text per line. Texts are tokenised with the
encoder's own tokenizer (text_encoder/), padded or truncated to INPUT_SHAPE[0] tokens.
A token classifier labels each word (split at whitespace; the label of its first sub-token);
a text classifier prints the K most likely classes. With --json it prints one JSON list, an
object per text: {"input", "top_k": [{"class", "index", "p"}]} or {"input", "words":
[{"word", "class", "index", "p"}]}.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from model import CLASS_NAMES, INPUT_SHAPE, TASK, load_model  # noqa: E402


def tokenizer():
    try:
        from transformers import AutoTokenizer
    except ImportError:
        sys.exit("error: predict.py needs transformers: pip install transformers tokenizers")
    return AutoTokenizer.from_pretrained(str(HERE / "text_encoder"), local_files_only=True)


def name(index: int) -> str:
    return CLASS_NAMES[index] if CLASS_NAMES and index < len(CLASS_NAMES) else str(index)


def predict(texts: list[str], top_k: int = 1, device: str = "cpu") -> list[dict]:
    """One record per text (see the module docstring)."""
    tok = tokenizer()
    words = TASK == "token_classification"
    batch = [t.split() for t in texts] if words else texts
    enc = tok(
        batch,
        is_split_into_words=words,
        truncation=True,
        max_length=INPUT_SHAPE[0],
        padding="max_length",
        return_tensors="pt",
    )
    model = load_model(device=device)
    with torch.no_grad():
        probs = model(enc["input_ids"].to(device)).float().softmax(-1).cpu()
    records = []
    for i, text in enumerate(texts):
        if not words:
            p, index = probs[i].topk(min(top_k, probs.shape[-1]))
            pairs = zip(p.tolist(), index.tolist(), strict=True)
            top = [{"class": name(c), "index": c, "p": q} for q, c in pairs]
            records.append({"input": text, "top_k": top})
            continue
        out, seen = [], set()
        for position, word in enumerate(enc.word_ids(i)):
            if word is None or word in seen:
                continue
            seen.add(word)
            p, c = probs[i, position].max(-1)
            c = int(c)
            out.append({"word": batch[i][word], "class": name(c), "index": c, "p": float(p)})
        records.append({"input": text, "words": out})
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description="Predict with the exported text model.")
    parser.add_argument("texts", nargs="*", help="texts to label (quote each)")
    parser.add_argument("--file", help="a UTF-8 file with one text per line")
    parser.add_argument("--top-k", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    texts = list(args.texts)
    if args.file:
        lines = Path(args.file).read_text(encoding="utf-8").splitlines()
        texts += [line for line in lines if line.strip()]
    if not texts:
        parser.error("give a TEXT or --file")
    records = predict(texts, max(1, args.top_k), args.device)
    if args.json:
        print(json.dumps(records, ensure_ascii=False))
        return
    for record in records:
        if "words" in record:
            print(" ".join(f"{w['word']}/{w['class']}" for w in record["words"]))
        else:
            top = ", ".join(f"{t['class']} {t['p']:.3f}" for t in record["top_k"])
            print(f"{record['input']}\\t{top}")


if __name__ == "__main__":
    main()
'''


TEXT_READER = '''

def class_order(labels: list[str]) -> list[str]:
    """Distinct labels as FT Studio orders them: "O" first, then numbers, then the rest."""
    distinct = set(labels)
    numbers = sorted((v for v in distinct if v.lstrip("-").isdigit()), key=int)
    rest = sorted(v for v in distinct if v not in numbers and v != "O")
    return (["O"] if "O" in distinct else []) + numbers + rest


def read_words(path: str) -> tuple[list[list[str]], list[list[str]]]:
    """Words and word labels per sentence: JSON lines {"tokens", "labels"} or CoNLL columns."""
    with open(path, encoding="utf-8-sig") as handle:
        lines = handle.read().splitlines()
    if next((line.strip() for line in lines if line.strip()), "").startswith("{"):
        items = [json.loads(line) for line in lines if line.strip()]
        return [[str(t) for t in i["tokens"]] for i in items], [
            [str(t) for t in i["labels"]] for i in items
        ]
    words, tags, current = [], [], ([], [])
    for line in [*lines, ""]:
        parts = line.split()
        if parts and parts[0] == "-DOCSTART-":
            continue
        if not parts:
            if current[0]:
                words.append(current[0])
                tags.append(current[1])
            current = ([], [])
        else:
            current[0].append(parts[0])
            current[1].append(parts[-1])
    return words, tags


def read_text(path: str, classes: list[str] | None = None):
    """Token ids (N, MAX_LENGTH) and labels, tokenised with the encoder's own tokenizer
    (text_encoder/) as FT Studio does: a word's label on its first sub-token, -100 (left out
    of the loss) elsewhere. Returns (X, y, class names)."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(HERE / "text_encoder"), local_files_only=True)
    settings = dict(truncation=True, max_length=MAX_LENGTH, padding="max_length")
    if TEXT_SOURCE == "text-csv":
        with open(path, newline="", encoding="utf-8-sig") as handle:
            header, *rows = [row for row in csv.reader(handle) if row]
        texts = [row[header.index(TEXT_COLUMN)] for row in rows]
        labels = [row[header.index(LABEL_COLUMN)].strip() for row in rows]
        names = classes or class_order(labels)
        x = torch.tensor(tok(texts, **settings)["input_ids"])
        return x, torch.tensor([names.index(v) for v in labels]), names
    words, tags = read_words(path)
    names = classes or class_order([t for sentence in tags for t in sentence])
    encoded = tok(words, is_split_into_words=True, **settings)
    x = torch.tensor(encoded["input_ids"])
    y = torch.full(x.shape, -100)
    for i, sentence in enumerate(tags):
        previous = None
        for position, word in enumerate(encoded.word_ids(i)):
            if word is not None and word != previous:
                y[i, position] = names.index(sentence[word])
            previous = word
    return x, y, names
'''


def text_settings(config) -> list[str]:
    """The ``NAME = value`` lines the text reader of train.py uses."""
    from ftstudio.core.blocks.codegen import literal

    return [
        f"TEXT_SOURCE = {literal(config.source)}",
        f"MAX_LENGTH = {config.max_length}  # tokens per text (longer ones are truncated)",
        f"TEXT_COLUMN = {literal(config.text_column)}",
        f"LABEL_COLUMN = {literal(config.label_column)}",
    ]
