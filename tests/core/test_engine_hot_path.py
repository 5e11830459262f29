"""The engine's cheap hot path (issue 14): whole-batch loading from memory, the tally that
replaces per-step bookkeeping, callbacks that skip no-op hooks. Same results as before."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ftstudio.core.data import DataBundle, DataConfig
from ftstudio.core.data.batches import make_loader
from ftstudio.core.errors import TrainingError
from ftstudio.core.training import Callback, CallbackList, fit, parse_training_config
from ftstudio.core.training.sampler import ResumableSampler
from ftstudio.core.training.tally import Tally


def _dataset(n=50):
    g = torch.Generator().manual_seed(0)
    return TensorDataset(torch.randn(n, 3, 4, generator=g), torch.randint(0, 5, (n, 3)))


@pytest.mark.parametrize("skip", [0, 16, 20])
def test_whole_batch_loader_gives_the_per_sample_loaders_batches_in_order(skip):
    data = _dataset()
    batches = []
    for loader_of in (
        lambda s: DataLoader(data, 8, sampler=s),
        lambda s: make_loader(data, 8, s),
    ):
        sampler = ResumableSampler(data, 0, 1, seed=3)
        sampler.set_epoch(2)
        sampler.skip = skip
        loader = loader_of(sampler)
        batches.append((len(loader), list(loader)))
    (n_old, old), (n_new, new) = batches
    assert n_new == n_old == len(old) == len(new) == math.ceil((50 - skip) / 8)
    for (x0, y0), (x1, y1) in zip(old, new, strict=True):
        assert torch.equal(x0, x1) and torch.equal(y0, y1)
    assert not isinstance(make_loader(data, 8).dataset, TensorDataset)  # the fast path is taken


def test_tally_sums_losses_and_counts_and_names_the_first_non_finite_step():
    tally = Tally(torch.device("cpu"))
    tally.add(torch.tensor(1.0), torch.tensor(3), 4, 2, step=1)
    tally.add(torch.tensor(3.0), torch.tensor(1), 4, 2, step=2)
    assert tally.fold() == (2.0, None)
    tally.add(torch.tensor(2.0), torch.tensor(2), 4, 2, step=3)
    tally.add(torch.tensor(float("inf")), torch.tensor(0), 4, 2, step=3)
    tally.add(torch.tensor(float("nan")), torch.tensor(0), 4, 2, step=4)
    mean, bad = tally.fold()
    assert math.isnan(mean) and bad == 3
    assert (tally.batches, tally.count, tally.samples, int(tally.stat_sum)) == (5, 20, 10, 6)
    assert tally.fold()[1] is None  # the window was emptied


def test_callback_list_calls_overridden_hooks_in_order_and_skips_no_ops():
    calls = []

    class A(Callback):
        def on_step(self, step, loss):
            calls.append(("a", step))

    class B(Callback):
        def on_step(self, step, loss):
            calls.append(("b", step))

    plain = Callback()
    plain.on_batch_end = lambda *args: calls.append(("instance", args))  # set on the object
    cb = CallbackList([A(), Callback(), B(), plain])
    cb.on_step(7, 0.5)
    cb.on_batch_end(0, 1, 2)
    cb.on_epoch_start(0)  # nobody has it: nothing runs, nothing fails
    assert calls == [("a", 7), ("b", 7), ("instance", (0, 1, 2))]


def test_a_nan_in_the_data_stops_at_its_step_between_log_lines():
    x = torch.randn(40, 4)
    x[27] = float("nan")  # its batch comes from the seeded shuffle below
    y = torch.zeros(40, dtype=torch.long)
    data = DataBundle(TensorDataset(x, y), None, (4,), "classification", 2, [], DataConfig())
    cfg = parse_training_config(
        {"epochs": 1, "batch_size": 8, "device": "cpu", "log_every": 100, "optimizer": "sgd"}
    )
    steps = []

    class Steps(Callback):
        def on_batch_end(self, epoch, batch, step):
            steps.append(step)

    sampler = ResumableSampler(data.train, 0, 1, seed=0)
    sampler.set_epoch(0)
    order = list(sampler)
    bad_step = order.index(27) // 8 + 1
    with pytest.raises(TrainingError, match=f"at step {bad_step} "):
        fit(nn.Linear(4, 2), data, cfg, [Steps()])
    assert steps == [1, 2, 3, 4, 5]  # found at the end of the epoch (no log step before)
