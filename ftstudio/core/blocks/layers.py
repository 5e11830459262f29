"""The modules that FT Studio blocks build.

Plain PyTorch with no FT Studio imports: the exporter copies this file next to a generated
``model.py`` so that exported models run without the app.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

ACTIVATIONS = {
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "tanh": nn.Tanh,
    "identity": nn.Identity,
}


def make_activation(name: str) -> nn.Module:
    return ACTIVATIONS[name]()


def init_linear(module: nn.Module, scheme: str) -> None:
    """Initialise every Linear/Conv weight in ``module`` with ``scheme`` (default keeps PyTorch's)."""
    if scheme == "default":
        return
    for layer in module.modules():
        if isinstance(layer, (nn.Linear, nn.Conv2d)):
            if scheme == "xavier":
                nn.init.xavier_uniform_(layer.weight)
            elif scheme == "kaiming":
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)


class MLP(nn.Sequential):
    """(Linear -> activation -> Dropout) x layers, applied to the last dimension."""

    def __init__(
        self,
        in_features: int,
        hidden: int,
        layers: int = 1,
        activation: str = "relu",
        dropout: float = 0.0,
        init: str = "default",
    ):
        parts: list[nn.Module] = []
        width = in_features
        for _ in range(layers):
            parts += [nn.Linear(width, hidden), make_activation(activation), nn.Dropout(dropout)]
            width = hidden
        super().__init__(*parts)
        init_linear(self, init)


class SelfAttention(nn.Module):
    """Multi-head self-attention over (B, T, D) using scaled_dot_product_attention."""

    def __init__(
        self,
        dim: int,
        heads: int = 4,
        dropout: float = 0.0,
        residual: bool = True,
        layer_norm: bool = True,
    ):
        super().__init__()
        self.heads = heads
        self.dropout = dropout
        self.residual = residual
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.norm = nn.LayerNorm(dim) if layer_norm else nn.Identity()

    takes_padding_mask = True

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """``mask`` (B, T), True at real tokens: padded positions are never attended to."""
        batch, tokens, dim = x.shape
        q, k, v = self.qkv(x).view(batch, tokens, 3, self.heads, dim // self.heads).unbind(2)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))
        p = self.dropout if self.training else 0.0
        keep = None if mask is None else mask[:, None, None, :]
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=keep, dropout_p=p)
        y = self.out(y.transpose(1, 2).reshape(batch, tokens, dim))
        return self.norm(x + y) if self.residual else self.norm(y)


class GlobalAvgPool(nn.Module):
    """(B, C, H, W) -> (B, C)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(-2, -1))


class SequencePool(nn.Module):
    """(B, T, D) -> (B, D) by mean, max or the first token."""

    def __init__(self, mode: str = "mean"):
        super().__init__()
        self.mode = mode

    takes_padding_mask = True

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """``mask`` (B, T), True at real tokens: padded positions never count."""
        if self.mode == "first":
            return x[:, 0]
        if mask is None:
            return x.amax(dim=1) if self.mode == "max" else x.mean(dim=1)
        keep = mask.unsqueeze(-1)
        if self.mode == "max":
            return x.masked_fill(~keep, float("-inf")).amax(dim=1)
        return (x * keep).sum(dim=1) / keep.sum(dim=1).clamp(min=1).to(x.dtype)

    def extra_repr(self) -> str:
        return f"mode={self.mode!r}"


class FeatureMapToSequence(nn.Module):
    """(B, C, H, W) -> (B, H*W, C)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(2).transpose(1, 2)


class SequenceFromVector(nn.Module):
    """(B, D) -> (B, tokens, D / tokens)."""

    def __init__(self, tokens: int = 1):
        super().__init__()
        self.tokens = tokens

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], self.tokens, -1)

    def extra_repr(self) -> str:
        return f"tokens={self.tokens}"


class MLPHead(nn.Sequential):
    """Linear -> activation -> Dropout -> Linear to class logits."""

    def __init__(
        self,
        in_features: int,
        hidden: int,
        classes: int,
        activation: str = "relu",
        dropout: float = 0.0,
    ):
        super().__init__(
            nn.Linear(in_features, hidden),
            make_activation(activation),
            nn.Dropout(dropout),
            nn.Linear(hidden, classes),
        )


class SmallCNN(nn.Module):
    """A compact convnet: stages of Conv3x3 -> BatchNorm -> ReLU -> MaxPool(2)."""

    def __init__(self, in_channels: int, width: int = 32, stages: int = 3, pooled: bool = True):
        super().__init__()
        layers = []
        channels = in_channels
        for i in range(stages):
            out = width * 2**i
            layers.append(
                nn.Sequential(
                    nn.Conv2d(channels, out, 3, padding=1, bias=False),
                    nn.BatchNorm2d(out),
                    nn.ReLU(inplace=True),
                    nn.MaxPool2d(2),
                )
            )
            channels = out
        self.stages = nn.Sequential(*layers)
        self.pooled = pooled

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stages(x)
        return x.mean(dim=(-2, -1)) if self.pooled else x

    def freeze_units(self) -> dict[str, list]:
        return {f"stage{i + 1}": [stage] for i, stage in enumerate(self.stages)}


def _set_submodule(root: nn.Module, path: str, module: nn.Module) -> None:
    parent, _, leaf = path.rpartition(".")
    setattr(root.get_submodule(parent) if parent else root, leaf, module)


def last_linear_path(model: nn.Module) -> str | None:
    paths = [name for name, m in model.named_modules() if isinstance(m, nn.Linear)]
    return paths[-1] if paths else None


class TorchvisionBackbone(nn.Module):
    """A torchvision classifier with its head removed.

    ``output`` is ``"pooled"`` (the feature vector that fed the old head) or ``"feature_map"``
    (the last convolutional map, where the architecture has one).
    """

    def __init__(self, model: nn.Module, output: str = "pooled"):
        super().__init__()
        if output == "pooled":
            head = last_linear_path(model)
            if head is not None:
                _set_submodule(model, head, nn.Identity())
        else:  # the feature map never reaches pooling or the classifier: drop their params
            for name in ("avgpool", "fc", "classifier"):
                if isinstance(getattr(model, name, None), nn.Module):
                    setattr(model, name, nn.Identity())
        self.model = model
        self.output = output

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = self.model
        if self.output == "pooled":
            return m(x)
        if hasattr(m, "layer4"):
            x = m.maxpool(m.relu(m.bn1(m.conv1(x))))
            return m.layer4(m.layer3(m.layer2(m.layer1(x))))
        if hasattr(m, "trunk_output"):
            return m.trunk_output(m.stem(x))
        return m.features(x)

    def freeze_units(self) -> dict[str, list]:
        m = self.model
        if hasattr(m, "layer4"):
            units = {"stem": [m.conv1, m.bn1]}
            units.update({f"layer{i}": [getattr(m, f"layer{i}")] for i in range(1, 5)})
            return units
        if hasattr(m, "trunk_output"):
            units = {"stem": [m.stem]}
            units.update({name: [block] for name, block in m.trunk_output.named_children()})
            return units
        if hasattr(m, "features"):
            children = list(m.features.children())
            units = {"stem": [children[0]]}
            units.update({f"stage{i}": [c] for i, c in enumerate(children[1:], start=1)})
            return units
        if hasattr(m, "encoder") and hasattr(m.encoder, "layers"):
            units = {"stem": [m.conv_proj, m.class_token, m.encoder.pos_embedding]}
            for i, layer in enumerate(m.encoder.layers):
                units[f"layer{i + 1}"] = [layer]
            units[f"layer{len(m.encoder.layers)}"].append(m.encoder.ln)
            return units
        return {"body": [m]}

    def extra_repr(self) -> str:
        return f"output={self.output!r}"


class BlockStack(nn.Sequential):
    """Blocks of an earlier FT Studio model, reused as one block; each is a freeze unit."""

    def freeze_units(self) -> dict[str, list]:
        return {name: [child] for name, child in self.named_children()}


def run_block(module: nn.Module, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """``module(x)``, handing the padding mask (B, T) to a block that takes one while ``x``
    is still a sequence over the same tokens."""
    if mask is None or x.dim() != 3 or x.shape[1] != mask.shape[1]:
        return module(x)
    if getattr(module, "takes_padding_mask", False):
        return module(x, mask)
    if isinstance(module, nn.TransformerEncoderLayer):
        return module(x, src_key_padding_mask=~mask)
    return module(x)


class MaskedSequential(nn.Sequential):
    """Blocks run in order, like ``nn.Sequential``; a first block that reads token ids gives
    the padding mask (its ``padding_mask(ids)``), which attention and pooling blocks receive,
    so padded positions never count."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mask = None
        for module in self:
            if mask is None and hasattr(module, "padding_mask"):
                mask = module.padding_mask(x)
            x = run_block(module, x, mask)
        return x


class HFTextEncoder(nn.Module):
    """A Hugging Face Transformers encoder built from its ``config.json``: token ids (B, T)
    -> token features (B, T, D). Positions holding the pad id are masked out.

    ``folder`` holds ``config.json``; a relative one is next to this file (an export). Weights
    are loaded by the caller (``load_model`` reads model.safetensors). No remote code runs.
    """

    def __init__(self, folder: str):
        super().__init__()
        from pathlib import Path

        from transformers import AutoConfig, AutoModel

        path = Path(folder)
        if not path.is_absolute():
            path = Path(__file__).resolve().parent / path
        config = AutoConfig.from_pretrained(str(path), local_files_only=True)
        self.model = AutoModel.from_config(config)
        if isinstance(getattr(self.model, "pooler", None), nn.Module):
            self.model.pooler = None  # outputs token features; the pooler would never train
        pad = getattr(config, "pad_token_id", None)
        self.pad_token_id = 0 if pad is None else int(pad)

    def padding_mask(self, ids: torch.Tensor) -> torch.Tensor:
        return ids != self.pad_token_id

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        # the meta device (shape checks) cannot run the mask's data-dependent shortcuts
        mask = None if ids.is_meta else self.padding_mask(ids).long()
        return self.model(input_ids=ids, attention_mask=mask).last_hidden_state

    def freeze_units(self) -> dict[str, list]:
        """The embeddings, then each encoder layer (``layer.0``, ``layer.1``...)."""
        units: dict[str, list] = {}
        embeddings = getattr(self.model, "embeddings", None)
        if isinstance(embeddings, nn.Module):
            units["embeddings"] = [embeddings]
        count = getattr(self.model.config, "num_hidden_layers", None)
        for module in self.model.modules():
            if isinstance(module, nn.ModuleList) and len(module) == count:
                units.update({f"layer.{i}": [layer] for i, layer in enumerate(module)})
                break
        return units


class TimmBackbone(nn.Module):
    """A timm image model built with ``num_classes=0`` (no classifier).

    ``output`` is ``"pooled"`` (the model's pooled features) or ``"feature_map"`` (what
    ``forward_features`` returns: the last feature map of a convnet, the tokens of a ViT).
    """

    def __init__(self, model: nn.Module, output: str = "pooled"):
        super().__init__()
        self.model = model
        self.output = output

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.output == "pooled":
            return self.model(x)
        return self.model.forward_features(x)

    def freeze_units(self) -> dict[str, list]:
        """timm's own coarse grouping (``group_matcher``): the stem, then each stage; a
        parameter held by the model itself (a ViT's class token) joins its group as is."""
        from timm.models import group_parameters

        matcher = getattr(self.model, "group_matcher", None)
        if matcher is None:
            return {"body": [self.model]}
        groups = list(group_parameters(self.model, matcher(coarse=True)).values())
        # each parameter's group, then the largest module whose parameters share one group
        group_of = {name: i for i, names in enumerate(groups) for name in names}
        groups_under: dict[str, set[int]] = {}
        for name, index in group_of.items():
            parts = name.split(".")
            for depth in range(1, len(parts)):
                groups_under.setdefault(".".join(parts[:depth]), set()).add(index)
        units: dict[str, list] = {}
        for index, names in enumerate(groups):
            items: list = []
            for name in names:
                parts = name.split(".")
                owner = next(
                    (
                        ".".join(parts[:d])
                        for d in range(1, len(parts))
                        if groups_under[".".join(parts[:d])] == {index}
                    ),
                    None,
                )
                item = self.model.get_submodule(owner) if owner else self.model.get_parameter(name)
                if not any(item is seen for seen in items):
                    items.append(item)
            units["stem" if index == 0 else f"stage{index}"] = items
        return units

    def extra_repr(self) -> str:
        return f"output={self.output!r}"
