"""Engine pieces: fit() on a plain module, per-token loss layout, schedules, pause/stop."""

from __future__ import annotations

import threading

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from ftstudio.core.data import DataBundle, DataConfig
from ftstudio.core.training import Callback, TrainControl, fit, parse_training_config
from ftstudio.core.training.metrics import make_loss
from ftstudio.core.training.optim import lr_factor


def test_per_token_loss_moves_class_dim_to_position_1():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 7, 5, generator=g)  # (B, T, C) with T != C
    labels = torch.randint(0, 5, (2, 7), generator=g)
    expected = nn.functional.cross_entropy(logits.reshape(-1, 5), labels.reshape(-1))
    assert torch.allclose(make_loss("token_classification")(logits, labels), expected)


def test_warmup_then_cosine_and_step_schedules():
    cfg = parse_training_config({"epochs": 4, "schedule": "cosine", "warmup_epochs": 1})
    assert lr_factor(0, cfg, 10) < lr_factor(5, cfg, 10) < lr_factor(10, cfg, 10) <= 1.0
    assert lr_factor(39, cfg, 10) < 0.01
    step = parse_training_config({"schedule": "step", "step_epochs": 2, "step_gamma": 0.5})
    assert (lr_factor(19, step, 10), lr_factor(20, step, 10)) == (1.0, 0.5)
    one = parse_training_config({"epochs": 10, "schedule": "one-cycle"})
    assert lr_factor(0, one, 10) < lr_factor(30, one, 10) == pytest.approx(1.0)


def _bundle(n=64):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 4, generator=g)
    y = (x[:, 0] > 0).long()
    return DataBundle(TensorDataset(x, y), None, (4,), "classification", 2, [], DataConfig())


def test_fit_trains_a_plain_module_with_only_trainable_params():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    model[0].requires_grad_(False)
    frozen = model[0].weight.clone()
    cfg = parse_training_config(
        {"epochs": 3, "batch_size": 8, "lr": 0.05, "optimizer": "sgd", "grad_clip": 1.0,
         "grad_accumulation": 2, "device": "cpu"}
    )  # fmt: skip
    rows = []

    class Rows(Callback):
        def on_epoch_end(self, metrics):
            rows.append(metrics)

    summary = fit(model, _bundle(), cfg, [Rows()])
    assert summary["status"] == "finished" and summary["steps"] == 3 * 4  # 8 batches / 2
    assert torch.equal(model[0].weight, frozen)
    assert rows[-1]["train_loss"] < rows[0]["train_loss"]


class Gate(Callback):
    """Pauses the run at batch 2 and lets another thread resume it."""

    def __init__(self, control):
        self.control, self.paused_at = control, threading.Event()
        self.batches = 0

    def on_batch_end(self, epoch, batch, step):
        self.batches += 1
        if self.batches == 2:
            self.control.pause()
            self.paused_at.set()


def test_pause_blocks_until_resume():
    control = TrainControl()
    gate = Gate(control)
    cfg = parse_training_config({"epochs": 1, "batch_size": 8, "device": "cpu"})
    result = {}
    worker = threading.Thread(target=lambda: result.update(fit(nn.Linear(4, 2), _bundle(), cfg,
                                                               [gate], control)))  # fmt: skip
    worker.start()
    assert gate.paused_at.wait(60)
    assert control.paused and gate.batches == 2 and worker.is_alive()
    control.resume()
    worker.join(60)
    assert result["status"] == "finished" and gate.batches == 8


def test_exceptions_reach_callbacks_and_are_raised():
    class Boom(Callback):
        errors: list = []

        def on_step(self, step, loss):
            raise RuntimeError("boom at step")

        def on_error(self, message):
            self.errors.append(message)

    cb = Boom()
    cfg = parse_training_config({"epochs": 1, "batch_size": 8, "device": "cpu", "log_every": 1})
    with pytest.raises(RuntimeError, match="boom"):
        fit(nn.Linear(4, 2), _bundle(), cfg, [cb])
    assert cb.errors == ["Training failed unexpectedly: RuntimeError: boom at step"]


def test_a_nan_validation_loss_never_becomes_the_best_score(tmp_path):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 4, generator=g)
    y = (x[:, 0] > 0).long()
    val_x = torch.randn(16, 4, generator=g)
    val_x[0, 0] = float("nan")  # one bad validation sample: val_loss is NaN every epoch
    data = DataBundle(
        TensorDataset(x, y),
        TensorDataset(val_x, (val_x[:, 1] > 0).long()),
        (4,),
        "classification",
        2,
        [],
        DataConfig(),
    )
    model = nn.Sequential(nn.Linear(4, 2))
    cfg = parse_training_config({"epochs": 2, "batch_size": 8, "device": "cpu"})
    summary = fit(model, data, cfg, run_dir=tmp_path)
    assert summary["best"] is None
    assert "best" not in summary["checkpoints"] and "last" in summary["checkpoints"]


def test_a_run_reports_its_peak_learning_rate_when_it_starts(tmp_path):
    from train_helpers import tiny_project

    from ftstudio.core import project as project_io
    from ftstudio.core.training import Callback, train_project

    class Info(Callback):
        def on_train_start(self, info):
            self.info = info

    project = project_io.load(tiny_project(tmp_path / "tiny.ftproj"))
    seen = Info()
    train_project(project, overrides={"epochs": 1, "lr": 0.02, "warmup_epochs": 1},
                  callbacks=[seen], run_dir=tmp_path / "run")  # fmt: skip
    assert seen.info["peak_lr"] == pytest.approx(0.02)
