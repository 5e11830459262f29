"""A tiny BERT encoder folder (config, safetensors weights, tokenizer) made by the tests.

No network: the tokenizer is a WordPiece vocabulary built here, the model a 2-layer BERT with
random weights, both written with ``save_pretrained``.
"""

from __future__ import annotations

from pathlib import Path

VOCAB = [
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
    "the", "a", "cat", "dog", "sat", "ran", "on", "in", "mat", "park", "##s", "##ed",
    "john", "mary", "lives", "works", "paris", "london", "at", "acme", "corp", "good", "bad",
    "movie", "film", "great", "awful", "was", "is", "very", "not", ".", ",",
]  # fmt: skip
HIDDEN = 16
LAYERS = 2


def tiny_encoder(folder: Path, seed: int = 0, max_positions: int = 64) -> Path:
    """Write a tiny BERT (``LAYERS`` layers, width ``HIDDEN``) and its tokenizer to ``folder``."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import AutoModel, BertConfig, PreTrainedTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    ids = {w: i for i, w in enumerate(VOCAB)}
    backend = Tokenizer(models.WordPiece(ids, unk_token="[UNK]"))
    backend.normalizer = normalizers.BertNormalizer(lowercase=True)
    backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
    tokenizer.save_pretrained(str(folder))
    config = BertConfig(
        vocab_size=len(VOCAB),
        hidden_size=HIDDEN,
        num_hidden_layers=LAYERS,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=max_positions,
        pad_token_id=0,
    )
    torch.manual_seed(seed)
    AutoModel.from_config(config).save_pretrained(str(folder))
    return folder
