"""The text of the exported ``train.py`` (fixed: it reads everything from ``model.py``)."""

TRAIN_PY = '''\
"""Fine-tune the exported model on tensors from an .npz or .pt file holding X and y.

    python train.py DATA.npz [--epochs 5] [--lr 1e-3] [--batch-size 32] [--out finetuned.safetensors]

Blocks frozen in FT Studio stay frozen: their parameters get requires_grad_(False), the
optimizer only sees trainable parameters, and they stay in eval mode, so BatchNorm running
statistics do not change and their dropout is off (as in FT Studio).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from model import FROZEN, TASK, load_model, standardize  # noqa: E402


def is_frozen(name: str) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in FROZEN)


def freeze(model: torch.nn.Module) -> list[torch.nn.Parameter]:
    """Freeze FROZEN parameters; return the trainable ones."""
    trainable = []
    for name, param in model.named_parameters():
        param.requires_grad_(not is_frozen(name))
        if param.requires_grad:
            trainable.append(param)
    return trainable


def train_mode(model: torch.nn.Module) -> None:
    """model.train(), but frozen blocks and stages stay in eval mode (TorchScript ones too)."""
    model.train()
    for name, module in model.named_modules():
        if is_frozen(name):
            module.eval()


def loss_fn(outputs: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if TASK == "regression":
        return F.mse_loss(outputs, y.float().view_as(outputs))
    if TASK == "token_classification":  # (B, T, C) -> (B, C, T): classes in position 1
        return F.cross_entropy(outputs.transpose(1, 2), y.long())
    return F.cross_entropy(outputs, y.long())


def load_tensors(path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    if path.suffix == ".npz":
        import numpy as np

        with np.load(path, allow_pickle=False) as data:
            return torch.from_numpy(data["X"]).float(), torch.from_numpy(data["y"])
    import pickle

    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        sys.exit(
            f"error: {path} holds Python objects besides tensors, and this script never "
            "unpickles code; save {{'X': tensor, 'y': tensor}} with torch.save, or a .npz file"
        )
    return torch.as_tensor(data["X"]).float(), torch.as_tensor(data["y"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help=".npz or .pt file with X and y")
    parser.add_argument("--weights", default="model.safetensors", help="starting weights")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("finetuned.safetensors"))
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    x, y = load_tensors(args.data)
    x = standardize(x)  # raw features scaled as in FT Studio (no-op without STANDARDIZE)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x, y), batch_size=args.batch_size, shuffle=True
    )
    model = load_model(args.weights, args.device)
    optimizer = torch.optim.AdamW(freeze(model), lr=args.lr)
    for epoch in range(args.epochs):
        train_mode(model)
        total, count = 0.0, 0
        for xb, yb in loader:
            xb, yb = xb.to(args.device), yb.to(args.device)
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total, count = total + loss.item() * len(xb), count + len(xb)
        print(f"epoch {epoch + 1}/{args.epochs}: loss {total / max(count, 1):.4f}")

    from safetensors.torch import save_file

    state = {k: v.detach().cpu().clone().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(args.out))
    print(f"saved {args.out} (load it with model.load_model({str(args.out)!r}))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''
