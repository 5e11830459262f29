"""Engine vs a hand-written plain PyTorch loop (and the seed article's naive loop).

Same model (Small CNN + linear head, built from one project), same in-memory data, same
device, same batch size and optimizer. Each variant runs in its own subprocess so peak memory
(GPU: max allocated; CPU: peak resident set) is measured per variant; variants alternate and
the best of ``--repeats`` is kept. Prints samples/s and peak-memory ratios against the plain
loop. Goal: engine >= 0.97x throughput, <= 1.05x memory.

    python bench/engine_vs_plain.py [--device auto] [--epochs 2] [--samples 4096]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

VARIANTS = ("plain", "engine", "naive")


def make(args):
    import torch

    from ftstudio.core import project as project_io
    from ftstudio.core.builder import build_model
    from ftstudio.core.training.device import resolve_device

    project = project_io.from_dict(
        {
            "version": 1,
            "input": {"shape": [3, 32, 32]},
            "task": {"kind": "classification", "num_classes": 10},
            "blocks": [
                {"id": "cnn", "type": "small_cnn", "params": {"width": 32, "stages": 3}},
                {"id": "head", "type": "linear_classifier", "params": {"classes": 10}},
            ],
        }
    )
    torch.manual_seed(0)
    model = build_model(project)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(args.samples, 3, 32, 32, generator=g)
    y = torch.randint(0, 10, (args.samples,), generator=g)
    return project, model, x, y, resolve_device(args.device)


def run_variant(args) -> dict:
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from ftstudio.core.training.device import peak_memory_mb, reset_peak_memory

    project, model, x, y, device = make(args)
    dataset = TensorDataset(x, y)
    pin = device.type == "cuda"
    reset_peak_memory(device)
    if args.variant == "engine":
        from ftstudio.core.data import DataBundle, DataConfig
        from ftstudio.core.training import fit, parse_training_config

        bundle = DataBundle(dataset, None, (3, 32, 32), "classification", 10, [], DataConfig())
        config = parse_training_config(
            {"epochs": args.epochs, "batch_size": args.batch_size, "lr": 1e-3,
             "device": str(device), "log_every": 50}
        )  # fmt: skip
        tic = time.perf_counter()
        fit(model, bundle, config)
        if device.type == "cuda":
            torch.cuda.synchronize()
        elapsed = time.perf_counter() - tic
    else:
        model.to(device).train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
        loader = DataLoader(dataset, args.batch_size, shuffle=True, pin_memory=pin)
        loss_fn = torch.nn.CrossEntropyLoss()
        tic = time.perf_counter()
        total = torch.zeros((), device=device)
        for _ in range(args.epochs):
            for xb, yb in loader:
                xb = xb.to(device, non_blocking=True)
                yb = yb.to(device, non_blocking=True)
                loss = loss_fn(model(xb), yb)
                if args.variant == "naive":
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    _ = loss.item()  # host sync every step
                else:
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    total += loss.detach()
            float(total)
        if device.type == "cuda":
            torch.cuda.synchronize()
        elapsed = time.perf_counter() - tic
    return {
        "samples_per_s": args.samples * args.epochs / elapsed,
        "peak_memory_mb": peak_memory_mb(device),
        "device": str(device),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--samples", type=int, default=4096)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--variant", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        print(json.dumps(run_variant(args)))
        return 0
    best: dict[str, dict] = {}
    base = [sys.executable, __file__, "--device", args.device, "--epochs", str(args.epochs),
            "--samples", str(args.samples), "--batch-size", str(args.batch_size)]  # fmt: skip
    for _ in range(args.repeats):
        for variant in VARIANTS:
            out = subprocess.run(
                [*base, "--variant", variant], capture_output=True, text=True, check=True
            )
            result = json.loads(out.stdout.strip().splitlines()[-1])
            if variant not in best or result["samples_per_s"] > best[variant]["samples_per_s"]:
                best[variant] = result
    plain = best["plain"]
    print(f"device {plain['device']}, {args.samples} samples x {args.epochs} epochs, "
          f"batch {args.batch_size}, best of {args.repeats}")  # fmt: skip
    print(f"{'loop':<8} {'samples/s':>10} {'peak MiB':>9} {'speed x':>8} {'memory x':>9}")
    for variant in VARIANTS:
        r = best[variant]
        print(
            f"{variant:<8} {r['samples_per_s']:>10.0f} {r['peak_memory_mb']:>9.1f} "
            f"{r['samples_per_s'] / plain['samples_per_s']:>8.3f} "
            f"{r['peak_memory_mb'] / plain['peak_memory_mb']:>9.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
