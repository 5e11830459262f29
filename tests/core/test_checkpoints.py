"""Checkpoints and resume (issue 13, items 6, 10, 11, 12 and the checkpoint findings):
damaged or impossible checkpoints refused in one line, NaN/Inf never saved nor used, a
changed schedule stated, a finished run's summary kept, best.pt written before last.pt."""

from __future__ import annotations

import csv
import shutil

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset
from train_helpers import summary, tiny_project

from ftstudio.cli import main
from ftstudio.core import project as project_io
from ftstudio.core.data import DataBundle, DataConfig
from ftstudio.core.errors import FTStudioError, TrainingError
from ftstudio.core.training import (
    Callback,
    fit,
    load_checkpoint,
    parse_training_config,
    train_project,
)
from ftstudio.core.training.optim import lr_factor


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny project trained for 2 epochs once; tests copy its run folder."""
    root = tmp_path_factory.mktemp("trained")
    project = project_io.load(tiny_project(root / "tiny.ftproj", schedule="cosine"))
    train_project(project, {"epochs": 2}, run_dir=root / "run")
    return root


@pytest.fixture
def run(trained, tmp_path):
    shutil.copytree(trained, tmp_path, dirs_exist_ok=True)
    return tmp_path / "run"


@pytest.fixture
def tiny(run):
    return project_io.load(run.parent / "tiny.ftproj")


def edited(path, **changes):
    """Rewrite the checkpoint at ``path`` with entries changed (None deletes one)."""
    state = torch.load(path, weights_only=True)
    for key, value in changes.items():
        if value is None:
            state.pop(key, None)
        else:
            state[key] = value
    torch.save(state, path)
    return path


# ------------------------------------------------------------ item 10: a finished run resumed


def test_resuming_a_finished_run_keeps_its_final_metrics(tiny, run):
    before = summary(run)
    assert before["final"]["val_loss"] is not None
    result = train_project(tiny, {"epochs": 2}, run_dir=run, resume=run / "checkpoints/last.pt")
    after = summary(run)
    assert after["final"] == before["final"]
    assert result.summary["best"] == before["best"]
    assert (after["status"], after["epochs_completed"]) == ("finished", 2)


def test_an_older_checkpoint_without_its_row_takes_the_final_from_summary_json(tiny, run):
    before = summary(run)
    edited(run / "checkpoints/last.pt", last_row=None)
    train_project(tiny, {"epochs": 2}, run_dir=run, resume=run / "checkpoints/last.pt")
    assert summary(run)["final"] == before["final"]


# ------------------------------------------------------------ item 6: a changed schedule


def test_resume_with_more_epochs_states_the_changed_cosine_schedule(tiny, run, capsys):
    last = run / "checkpoints/last.pt"
    state = load_checkpoint(last)
    code = main(["train", str(tiny.path), "--resume", str(last), "--epochs", "4", "--quiet"])
    assert code == 0
    err = capsys.readouterr().err
    notes = summary(run)["notes"]
    assert len(notes) == 1 and "epochs 2 -> 4" in notes[0] and f"step {state['step']}" in notes[0]
    assert f"note: {notes[0]}" in err
    assert summary(run)["resumed"]["changed"] == {"epochs": [2, 4]}
    # the lr really follows the new 4-epoch curve: the cosine factor at step 6 of 12 is 0.5
    cfg = parse_training_config(tiny.training, {"epochs": 4})
    old = parse_training_config(tiny.training, {"epochs": 2})
    step = state["step"]
    assert lr_factor(step, old, 3) == pytest.approx(0.0)
    assert f"lr there goes from 0 to {cfg.lr * lr_factor(step, cfg, 3):.4g}" in notes[0]
    final = load_checkpoint(last)
    assert final["optimizer"]["param_groups"][0]["lr"] == pytest.approx(
        cfg.lr * lr_factor(final["step"], cfg, 3)
    )


def test_resume_with_a_changed_lr_applies_and_states_it(tiny, run):
    tiny.training["lr"] = 0.02
    stopped_at = load_checkpoint(run / "checkpoints/last.pt")
    edited(run / "checkpoints/last.pt", epoch=1, last_row=None)  # pretend it stopped after 1
    train_project(tiny, {"epochs": 2}, run_dir=run, resume=run / "checkpoints/last.pt")
    s = summary(run)
    assert s["resumed"]["changed"] == {"lr": [0.05, 0.02]}
    assert "lr 0.05 -> 0.02" in s["notes"][0]
    lr = load_checkpoint(run / "checkpoints/last.pt")["optimizer"]["param_groups"][0]["lr"]
    cfg = parse_training_config(tiny.training)
    assert lr == pytest.approx(0.02 * lr_factor(stopped_at["step"] + 3, cfg, 3))


def test_an_unchanged_resume_has_no_notes(tiny, run):
    edited(run / "checkpoints/last.pt", epoch=1)
    train_project(tiny, {"epochs": 2}, run_dir=run, resume=run / "checkpoints/last.pt")
    assert summary(run)["notes"] == [] and summary(run)["resumed"]["changed"] == {}


# ------------------------------------------------------------ item 11: best.pt and last.pt


class Order(Callback):
    def __init__(self):
        self.kinds = []

    def on_checkpoint(self, path, kind):
        self.kinds.append(kind)


def test_best_is_written_before_the_last_that_records_it(tiny, tmp_path):
    order = Order()
    train_project(tiny, {"epochs": 1}, [order], run_dir=tmp_path / "o")
    assert order.kinds == ["best", "last"]


def test_resume_takes_the_best_from_best_pt_on_disk(tiny, run):
    """A last.pt that records a better best than best.pt holds (a kill between the two
    writes in the old order): the resumed run goes by what best.pt really holds."""
    on_disk = load_checkpoint(run / "checkpoints/best.pt")["best"]
    edited(run / "checkpoints/last.pt", best=on_disk / 100)
    train_project(tiny, {"epochs": 3}, run_dir=run, resume=run / "checkpoints/last.pt")
    s, best = summary(run), load_checkpoint(run / "checkpoints/best.pt")
    assert s["best"] == best["best"] == load_checkpoint(run / "checkpoints/last.pt")["best"]
    assert s["best"] != pytest.approx(on_disk / 100)
    assert any("best.pt" in note for note in s["notes"])


# ------------------------------------------------------------ item 12: non-finite buffers


def _bn_bundle():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(48, 4, generator=g)
    y = (x[:, 0] > 0).long()
    return DataBundle(
        TensorDataset(x[:36], y[:36]),
        TensorDataset(x[36:], y[36:]),
        (4,),
        "classification",
        2,
        [],
        DataConfig(),
    )


class PoisonBuffer(Callback):
    """Makes the BatchNorm running variance infinite when epoch 1 starts (the loss stays
    finite: training mode normalises with the batch's own statistics)."""

    def __init__(self, model, value=float("inf")):
        self.model, self.value, self.errors = model, value, []

    def on_epoch_start(self, epoch):
        if epoch == 1:
            self.model[1].running_var.fill_(self.value)

    def on_error(self, message):
        self.errors.append(message)


def test_non_finite_batchnorm_statistics_are_never_saved_nor_called_good(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
    cfg = parse_training_config({"epochs": 3, "batch_size": 12, "device": "cpu"})
    poison = PoisonBuffer(model)
    with pytest.raises(TrainingError) as info:
        fit(model, _bn_bundle(), cfg, [poison], run_dir=tmp_path)
    message = str(info.value)
    assert "1.running_var" in message and "in 1 tensor " in message
    assert f"the last good checkpoint {tmp_path / 'checkpoints' / 'last.pt'}" in message
    for kind in ("last", "best"):
        state = load_checkpoint(tmp_path / f"checkpoints/{kind}.pt")
        assert state["epoch"] == 1
        assert all(torch.isfinite(t).all() for t in state["model"].values())


def test_non_finite_statistics_before_any_checkpoint_say_none_was_written(tmp_path):
    """momentum 0 keeps the infinite running variance through the epoch."""
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8, momentum=0.0), nn.Linear(8, 2))
    model[1].running_var.fill_(float("inf"))
    cfg = parse_training_config({"epochs": 1, "batch_size": 12, "device": "cpu"})
    with pytest.raises(TrainingError) as info:
        fit(model, _bn_bundle(), cfg, run_dir=tmp_path)
    assert "no checkpoint was written" in str(info.value)
    assert "NaN or infinite values in 1 tensor (1.running_var)" in str(info.value)
    assert "loss" not in str(info.value).split(";")[0]  # the loss itself stayed finite
    assert not (tmp_path / "checkpoints/last.pt").exists()
    assert not (tmp_path / "checkpoints/best.pt").exists()


# ------------------------------------------------------------ damaged or impossible checkpoints


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"model": None}, "has no 'model' entry"),
        ({"model": 5}, "'model' entry is not a set of named tensors"),
        ({"model": {"head.weight": "x"}}, "'model' entry is not a set of named tensors"),
        ({"rng": {"python": 1}}, "random-number state ('rng') cannot be restored"),
        ({"rng": None}, "'rng' entry is missing"),
        ({"epoch": -100}, "'epoch' entry is -100, an impossible position"),
        ({"epoch": "2"}, "'epoch' entry is '2', not a whole number"),
        ({"batch": 10**9}, "stopped at batch 1000000000 of an epoch"),
        ({"epoch": 10**9}, "already trained 1000000000 epochs"),
        ({"step": None}, "'step' entry is None, not a whole number"),
        ({"best": "low"}, "'best' entry is 'low', not a number"),
        ({"optimizer": {"state": {}}}, "'optimizer' entry is not an optimizer state"),
        ({"scaler": [1]}, "'scaler' entry is missing or not a dictionary"),
    ],
)
def test_resume_refuses_a_damaged_or_impossible_checkpoint_in_one_line(
    tiny, run, capsys, changes, said
):
    last = edited(run / "checkpoints/last.pt", **changes)
    code = main(["train", str(tiny.path), "--resume", str(last), "--epochs", "3", "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert said in err and str(last) in err
    assert "weights_only" not in err


def test_a_checkpoint_without_optimizer_state_resumes_with_a_clear_note(tiny, run):
    edited(run / "checkpoints/last.pt", optimizer=None)
    result = train_project(tiny, {"epochs": 3}, run_dir=run, resume=run / "checkpoints/last.pt")
    assert result.summary["epochs_completed"] == 3
    (note,) = [n for n in result.summary["notes"] if "optimizer" in n]
    assert "no optimizer state" in note and "freez" not in note


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"model": None}, "has no 'model' entry"),
        ({"model": [1, 2]}, "not a set of named tensors"),
    ],
)
def test_evaluate_refuses_a_damaged_checkpoint_in_one_line(tiny, run, capsys, changes, said):
    ckpt = edited(run / "checkpoints/best.pt", **changes)
    assert main(["evaluate", str(tiny.path), "--checkpoint", str(ckpt)]) == 1
    err = capsys.readouterr().err
    assert said in err and err.count("\n") == 1


# ------------------------------------------------------------ NaN weights: evaluate and export


def _nan_checkpoint(run):
    path = run / "checkpoints/best.pt"
    state = torch.load(path, weights_only=True)
    state["model"]["head.weight"][0, 0] = float("nan")
    for key, value in state["model"].items():
        if key.endswith("running_var"):
            value.fill_(float("inf"))
    torch.save(state, path)
    return path


def test_evaluate_with_nan_weights_names_the_tensors_instead_of_a_nan_table(tiny, run, capsys):
    ckpt = _nan_checkpoint(run)
    assert main(["evaluate", str(tiny.path), "--checkpoint", str(ckpt)]) == 1
    captured = capsys.readouterr()
    assert "nan" not in captured.out.lower()
    assert "NaN or infinite values in 2 tensors" in captured.err
    assert "head.weight" in captured.err and "running_var" in captured.err


def test_export_with_nan_weights_says_so_and_writes_no_weights(tiny, run):
    from ftstudio.core.export import export_project

    ckpt = _nan_checkpoint(run)
    with pytest.raises(FTStudioError, match=r"NaN or infinite values in 2 tensors \(.*head"):
        export_project(tiny, run.parent / "export", checkpoint=ckpt)
    assert not (run.parent / "export/model.safetensors").exists()


def test_change_notes_say_when_the_lr_stays_and_list_other_changes():
    from ftstudio.core.training.resume import change_notes, config_changes

    saved = parse_training_config({"epochs": 2, "batch_size": 8}).to_dict()
    now = parse_training_config({"epochs": 5, "batch_size": 4, "device": "cpu"})
    changes = config_changes(saved, now)
    assert changes == {"epochs": [2, 5], "batch_size": [8, 4]}  # device is no change of training
    notes = change_notes(changes, saved, now, step=10, steps_per_epoch=5)
    assert notes[0].endswith("so the lr there stays 0.001.")  # schedule "none"
    assert notes[1] == "Resuming with changed settings: batch_size 8 -> 4."


def test_resume_from_a_checkpoint_with_nan_weights_is_refused(tiny, run, capsys):
    ckpt = _nan_checkpoint(run)
    code = main(["train", str(tiny.path), "--resume", str(ckpt), "--epochs", "3", "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and "NaN or infinite values in 2 tensors" in err and "head.weight" in err


def test_a_resume_drops_metric_rows_logged_after_its_checkpoint(tiny, tmp_path):
    """A run killed after its last checkpoint logged rows that the resumed run logs again:
    they are dropped (a cut-off last line too), so metrics.csv has every step once."""
    run = tmp_path / "m"
    train_project(tiny, {"epochs": 1, "log_every": 1}, run_dir=run)
    with (run / "metrics.csv").open("a") as handle:  # what a killed second epoch left
        handle.write("step,1,4,0.5,,,,,,0.05,,,\nepoch,2,6,0.4,0.5,,,,,0.05,1,2,0.1\nstep,1,7,0.")
    train_project(
        tiny, {"epochs": 2, "log_every": 1}, run_dir=run, resume=run / "checkpoints/last.pt"
    )
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    assert [r["step"] for r in rows if r["kind"] == "step"] == [str(s) for s in range(1, 7)]
    assert [r["epoch"] for r in rows if r["kind"] == "epoch"] == ["1", "2"]
