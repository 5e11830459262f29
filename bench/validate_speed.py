"""Shape validation of a resnet50 backbone plus 20 blocks, next to one real forward pass.

Validation builds each block on the meta device (no weights, no real compute) and caches the
result per (block type, params, input shape). Printed, in milliseconds:

- cold: the first validation in this process (every block analysed, nothing cached);
- warm: a re-validation of the unchanged project (median over repeats);
- edit: a re-validation after changing one param of a late block to a new value (that block
  and the one after it are analysed again, the rest hit the cache; median over repeats);
- forward: one real forward pass of the same built model at batch 1 (eval, no_grad, median).

Goal: warm and edit validation under 100 ms and well under the forward pass.
Run: python bench/validate_speed.py [--weights DEFAULT|none] [--repeats N]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time

import torch

from ftstudio.core.builder import build_model
from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block
from ftstudio.core.shapes import _CACHE, validate

SHAPE = (3, 224, 224)
TAIL = [  # 20 blocks after the backbone: (type, params)
    ("dropout", {"p": 0.1}),
    ("linear_projection", {"features": 512}),
    ("layer_norm", {}),
    ("sequence_from_vector", {"tokens": 8}),
    ("self_attention", {"heads": 4}),
    ("transformer_encoder", {"heads": 4, "ff_dim": 128}),
    ("mlp", {"hidden": 64, "layers": 2}),
    ("self_attention", {"heads": 8}),
    ("layer_norm", {}),
    ("linear_projection", {"features": 64}),
    ("activation", {"function": "gelu"}),
    ("transformer_encoder", {"heads": 8, "ff_dim": 128}),
    ("sequence_pool", {"mode": "mean"}),
    ("mlp", {"hidden": 128}),
    ("layer_norm", {}),
    ("dropout", {"p": 0.2}),
    ("linear_projection", {"features": 64}),
    ("activation", {"function": "relu"}),
    ("mlp", {"hidden": 64, "dropout": 0.0}),
    ("mlp_head", {"hidden": 32, "classes": 10}),
]
EDITED = len(TAIL) - 1  # project.blocks[EDITED] is the last mlp (block 20 of 21)


def make_project(weights: str) -> Project:
    project = Project(name="bench", input=InputSpec(shape=SHAPE), task=TaskSpec(num_classes=10))
    project.blocks.append(
        make_block("torchvision_backbone", project, architecture="resnet50", weights=weights)
    )
    for name, params in TAIL:
        project.blocks.append(make_block(name, project, **params))
    assert len(project.blocks) == 21
    return project


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="DEFAULT", choices=("DEFAULT", "none"))
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    project = make_project(args.weights)

    _CACHE.clear()
    start = time.perf_counter()
    report = validate(project)
    cold = time.perf_counter() - start
    assert report.ok, report.issue

    warm = median_time(lambda: validate(project), args.repeats)

    edited = project.blocks[EDITED]
    assert edited.type == "mlp"
    values = itertools.count(33)  # a value never seen before: the edited block and the head
    # after it miss the cache, the 19 blocks before it hit

    def edit_and_validate() -> None:
        edited.params["hidden"] = next(values)
        assert validate(project).ok

    edit = median_time(edit_and_validate, args.repeats)

    model = build_model(project, load_weights=False).eval()  # timing needs no real weights
    x = torch.randn(1, *SHAPE)
    with torch.no_grad():
        for _ in range(2):
            model(x)
        forward = median_time(lambda: model(x), max(3, args.repeats // 3))

    cold_again = []
    for _ in range(3):  # a fresh cache each time, for the record
        _CACHE.clear()
        start = time.perf_counter()
        validate(project)
        cold_again.append(time.perf_counter() - start)

    print(
        f"resnet50 (weights {args.weights}) + {len(TAIL)} blocks, input {SHAPE}, "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    )
    print(f"validation, cold (first in process) {ms(cold)}")
    print(f"validation, cold (median of 3)      {ms(statistics.median(cold_again))}")
    print(f"validation, warm (median)           {ms(warm)}")
    print(f"validation after a late param edit  {ms(edit)}")
    print(f"real forward pass, batch 1          {ms(forward)}")
    print(f"ratio warm / forward                {warm / forward:8.3f}")
    print(f"ratio edit / forward                {edit / forward:8.3f}")
    print(f"ratio cold / forward                {statistics.median(cold_again) / forward:8.3f}")
    goal = "met" if max(warm, edit) < 0.1 and max(warm, edit) < forward / 2 else "NOT met"
    print(f"goal (< 100 ms and well under the forward pass): {goal}")


if __name__ == "__main__":
    main()
