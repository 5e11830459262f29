"""Acceptance 3 and 4: exact resume, cooperative stop, NaN stop, killed checkpoint writes."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch
from train_helpers import digits_project, summary

from ftstudio.core import project as project_io
from ftstudio.core.errors import TrainingError
from ftstudio.core.training import Callback, TrainControl, load_checkpoint, train_project


def weights(path) -> dict[str, torch.Tensor]:
    return load_checkpoint(path)["model"]


def assert_same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


@pytest.fixture
def digits(tmp_path):
    # dropout + label smoothing + cosine warmup: RNG and scheduler state both matter for resume
    path = digits_project(
        tmp_path / "d.ftproj", schedule="cosine", warmup_epochs=0.5, label_smoothing=0.1
    )
    return project_io.load(path)


class StopAfterEpoch(Callback):
    def __init__(self, control: TrainControl):
        self.control = control

    def on_epoch_end(self, metrics) -> None:
        self.control.request_stop()


def test_resume_is_exact(digits, tmp_path):
    """2 epochs straight == 1 epoch + resume for 1, with a cosine schedule and dropout."""
    straight = train_project(digits, {"epochs": 2}, run_dir=tmp_path / "a")
    control = TrainControl()
    first = train_project(digits, {"epochs": 2}, [StopAfterEpoch(control)], control, tmp_path / "b")
    assert (first.summary["status"], first.summary["epochs_completed"]) == ("stopped", 1)
    resumed = train_project(
        digits, {"epochs": 2}, run_dir=tmp_path / "b", resume=tmp_path / "b/checkpoints/last.pt"
    )
    assert resumed.summary["epochs_completed"] == 2
    a, b = weights(tmp_path / "a/checkpoints/last.pt"), weights(tmp_path / "b/checkpoints/last.pt")
    assert_same(a, b)
    assert_same(straight.model.state_dict(), resumed.model.state_dict())
    assert not torch.equal(first.model.state_dict()["head.weight"], b["head.weight"])


def test_resume_with_more_epochs_is_exact_without_schedule(digits, tmp_path):
    """A 1-epoch run resumed with epochs=2 equals a 2-epoch run when the lr is constant."""
    digits.training["schedule"] = "none"
    train_project(digits, {"epochs": 2}, run_dir=tmp_path / "a")
    train_project(digits, {"epochs": 1}, run_dir=tmp_path / "b")
    train_project(
        digits, {"epochs": 2}, run_dir=tmp_path / "b", resume=tmp_path / "b/checkpoints/last.pt"
    )
    assert_same(
        weights(tmp_path / "a/checkpoints/last.pt"), weights(tmp_path / "b/checkpoints/last.pt")
    )


class StopAt(Callback):
    def __init__(self, control: TrainControl, batch: int):
        self.control, self.batch, self.seen = control, batch, []

    def on_batch_end(self, epoch: int, batch: int, step: int) -> None:
        self.seen.append(step)
        if step == self.batch:
            self.control.request_stop()


def test_stop_request_ends_within_one_batch_and_resume_continues_exactly(digits, tmp_path):
    control = TrainControl()
    stopper = StopAt(control, 3)
    result = train_project(digits, {"epochs": 2}, [stopper], control, run_dir=tmp_path / "s")
    assert result.summary["status"] == "stopped"
    assert stopper.seen == [1, 2, 3]  # no batch ran after the request
    state = load_checkpoint(tmp_path / "s/checkpoints/last.pt")
    assert (state["epoch"], state["batch"], state["step"]) == (0, 3, 3)
    assert_same(state["model"], result.model.state_dict())
    train_project(
        digits, {"epochs": 2}, run_dir=tmp_path / "s", resume=tmp_path / "s/checkpoints/last.pt"
    )
    train_project(digits, {"epochs": 2}, run_dir=tmp_path / "full")
    assert_same(
        weights(tmp_path / "s/checkpoints/last.pt"), weights(tmp_path / "full/checkpoints/last.pt")
    )


class PoisonAtEpoch(Callback):
    """Puts a NaN into the head's weights when epoch 1 starts."""

    def __init__(self, model_holder: dict):
        self.holder, self.errors = model_holder, []

    def on_train_start(self, info):
        self.steps_per_epoch = info["steps_per_epoch"]

    def on_epoch_start(self, epoch: int) -> None:
        if epoch == 1:
            with torch.no_grad():
                self.holder["model"].get_submodule("head").weight[0, 0] = float("nan")

    def on_error(self, message: str) -> None:
        self.errors.append(message)


def test_nan_loss_stops_naming_the_step_and_keeps_the_last_good_checkpoint(
    digits, tmp_path, monkeypatch
):
    from ftstudio.core.training import run as run_module

    holder: dict = {}
    real_fit = run_module.fit

    def spy(model, *args, **kwargs):
        holder["model"] = model
        return real_fit(model, *args, **kwargs)

    monkeypatch.setattr(run_module, "fit", spy)
    poison = PoisonAtEpoch(holder)
    with pytest.raises(TrainingError) as info:
        train_project(digits, {"epochs": 3}, [poison], run_dir=tmp_path / "n")
    first_bad = poison.steps_per_epoch + 1
    assert f"at step {first_bad} " in str(info.value)
    assert poison.errors == [str(info.value)]  # the callback got the same message
    state = load_checkpoint(tmp_path / "n/checkpoints/last.pt")
    assert state["epoch"] == 1
    assert all(torch.isfinite(t).all() for t in state["model"].values() if t.is_floating_point())


KILL_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    from ftstudio.core import project as project_io
    from ftstudio.core.training import Callback, train_project
    import ftstudio.core.project as p

    real_fdopen = os.fdopen

    class HalfThenDie:
        def __init__(self, handle):
            self.handle = handle
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            return False
        def write(self, data):
            self.handle.write(data[: len(data) // 2])
            self.handle.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        def __getattr__(self, name):  # fileno() for the writer's chmod
            return getattr(self.handle, name)

    class KillDuringSecondSave(Callback):
        def on_epoch_start(self, epoch):
            if epoch == 1:  # from now on every file write dies half-way
                p.os.fdopen = lambda fd, mode: HalfThenDie(real_fdopen(fd, mode))

    project = project_io.load(sys.argv[1])
    train_project(project, {"epochs": 2}, [KillDuringSecondSave()], run_dir=sys.argv[2])
    """
)


def test_checkpoint_write_killed_midway_leaves_previous_loadable(digits, tmp_path):
    script = tmp_path / "kill.py"
    script.write_text(KILL_SCRIPT)
    run_dir = tmp_path / "k"
    proc = subprocess.run(
        [sys.executable, str(script), str(digits.path), str(run_dir)],
        capture_output=True,
        timeout=300,
    )
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]
    leftovers = list((run_dir / "checkpoints").glob(".*.pt.*.tmp"))  # best.pt comes first
    assert leftovers, "the kill should have left a half-written temporary file"
    state = load_checkpoint(run_dir / "checkpoints/last.pt")
    assert state["epoch"] == 1  # the checkpoint from before the killed write


def test_summary_and_metrics_written(digits, tmp_path):
    train_project(digits, {"epochs": 1, "log_every": 5}, run_dir=tmp_path / "m")
    s = summary(tmp_path / "m")
    assert s["status"] == "finished" and s["steps"] > 0
    text = (tmp_path / "m/metrics.csv").read_text()
    assert text.count("\nstep,") == s["steps"] // 5
    assert text.count("\nepoch,") == 1
