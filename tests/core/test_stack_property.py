"""Acceptance 2: validation agrees with a real forward pass on random stacks.

Stacks are drawn from the cheap part of the catalog with random small input shapes and random
params within bounds. For every stack, each block is also built for real on the CPU and run in
eval mode; the first block whose build or forward raises is where the real pass fails.
Validation must accept exactly the stacks that run (with the same per-block shapes) and reject
the others at exactly that block. Validation itself must never raise.
"""

from __future__ import annotations

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ftstudio.core.blocks.layers import ACTIVATIONS
from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block
from ftstudio.core.shapes import validate

ACT = st.sampled_from(sorted(ACTIVATIONS))
DROP = st.floats(0.0, 0.9)

# block type -> strategy for its params (bounds kept small so real forwards stay cheap)
PARAMS = {
    "small_cnn": st.fixed_dictionaries(
        {
            "width": st.integers(4, 6),
            "stages": st.integers(1, 3),
            "output": st.sampled_from(["pooled", "feature_map"]),
        }
    ),
    "flatten": st.just({}),
    "global_avg_pool": st.just({}),
    "sequence_pool": st.fixed_dictionaries({"mode": st.sampled_from(["mean", "max", "first"])}),
    "feature_map_to_sequence": st.just({}),
    "sequence_from_vector": st.fixed_dictionaries({"tokens": st.integers(1, 4)}),
    "linear_projection": st.fixed_dictionaries(
        {"features": st.integers(1, 12), "bias": st.booleans()}
    ),
    "channel_projection": st.fixed_dictionaries({"channels": st.integers(1, 4)}),
    "layer_norm": st.just({}),
    "dropout": st.fixed_dictionaries({"p": DROP}),
    "activation": st.fixed_dictionaries({"function": ACT}),
    "mlp": st.fixed_dictionaries(
        {
            "hidden": st.integers(1, 12),
            "layers": st.integers(1, 3),
            "activation": ACT,
            "dropout": DROP,
            "init": st.sampled_from(["default", "xavier", "kaiming"]),
        }
    ),
    "self_attention": st.fixed_dictionaries(
        {
            "heads": st.integers(1, 4),
            "dropout": DROP,
            "residual": st.booleans(),
            "layer_norm": st.booleans(),
        }
    ),
    "transformer_encoder": st.fixed_dictionaries(
        {
            "heads": st.integers(1, 4),
            "ff_dim": st.integers(1, 12),
            "dropout": DROP,
            "activation": st.sampled_from(["relu", "gelu"]),
            "norm_first": st.booleans(),
        }
    ),
    "linear_classifier": st.fixed_dictionaries({"classes": st.integers(1, 5)}),
    "mlp_head": st.fixed_dictionaries(
        {"hidden": st.integers(1, 8), "classes": st.integers(1, 5), "activation": ACT}
    ),
    "token_classifier": st.fixed_dictionaries({"classes": st.integers(1, 5)}),
    "regression_head": st.fixed_dictionaries({"outputs": st.integers(1, 3)}),
}

DIM = st.integers(1, 12)
INPUT_SHAPES = st.one_of(
    st.tuples(DIM),
    st.tuples(st.integers(1, 6), DIM),
    st.tuples(st.integers(1, 4), st.integers(1, 12), st.integers(1, 12)),
)


@st.composite
def stacks(draw) -> Project:
    project = Project(
        name="random", input=InputSpec(shape=draw(INPUT_SHAPES)), task=TaskSpec(num_classes=3)
    )
    for type_name in draw(st.lists(st.sampled_from(sorted(PARAMS)), min_size=1, max_size=5)):
        project.blocks.append(make_block(type_name, project, **draw(PARAMS[type_name])))
    return project


def real_forward(project: Project) -> tuple[list[tuple[int, ...]], list[torch.Tensor], int | None]:
    """Build and run each block for real; return shapes, outputs and the first failing index."""
    torch.manual_seed(0)
    x = torch.randn(2, *project.input.shape)
    shapes, outputs = [], []
    for index, spec in enumerate(project.blocks):
        try:
            module = spec.block_type.make(dict(spec.params), tuple(x.shape[1:]), False).eval()
            with torch.no_grad():
                x = module(x)
        except Exception:  # noqa: BLE001 - any failure of the real pass is what we compare to
            return shapes, outputs, index
        shapes.append(tuple(x.shape[1:]))
        outputs.append(x)
    return shapes, outputs, None


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stacks())
def test_validation_agrees_with_real_forward(project: Project) -> None:
    report = validate(project)  # must never raise
    shapes, outputs, failed_at = real_forward(project)
    block_issue = report.issue if report.issue and report.issue.kind == "block" else None

    if failed_at is None:
        assert block_issue is None, f"rejected a stack that runs: {report.issue}"
        assert [b.out_shape for b in report.blocks] == shapes
        assert all(b.status == "ok" or b.issue.kind == "task" for b in report.blocks)
        for out in outputs:
            assert not torch.isnan(out).any()
    else:
        assert block_issue is not None, f"accepted a stack whose block {failed_at} fails"
        assert block_issue.index == failed_at
        assert block_issue.message
        assert [b.out_shape for b in report.blocks[:failed_at]] == shapes
        assert report.blocks[failed_at].status == "error"
        assert all(b.status == "unknown" for b in report.blocks[failed_at + 1 :])
    if report.issue is not None and report.issue.kind == "task":
        assert report.issue.index == len(project.blocks) - 1


def test_generator_covers_accepting_and_rejecting_stacks() -> None:
    """The property above is only meaningful if both outcomes are generated."""
    outcomes = set()

    @settings(max_examples=60, deadline=None, database=None)
    @given(stacks())
    def collect(project: Project) -> None:
        outcomes.add(validate(project).issue is None or validate(project).issue.kind != "block")

    collect()
    assert outcomes == {True, False}
