"""Run history (issue 8): a project's runs read back from their folders, robust to damage,
and `ftstudio runs`."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
from train_helpers import epoch_rows, summary, tiny_project

from ftstudio.cli import main
from ftstudio.core import project as project_io
from ftstudio.core.errors import DataError
from ftstudio.core.run_history import (
    best_epoch,
    checkpoint_choices,
    list_runs,
    project_runs,
    read_run,
)
from ftstudio.core.training import Callback, TrainControl, train_project


@pytest.fixture
def tiny(tmp_path):
    return project_io.load(tiny_project(tmp_path / "tiny.ftproj"))


class StopAfter(Callback):
    """Asks the run to stop once ``epochs`` epochs are done."""

    def __init__(self, control: TrainControl, epochs: int):
        self.control, self.epochs = control, epochs

    def on_epoch_end(self, metrics):
        if metrics["epoch"] >= self.epochs:
            self.control.request_stop()


class Interrupt(Callback):
    def on_epoch_end(self, metrics):
        raise KeyboardInterrupt


def test_a_finished_run_is_listed_with_its_summary_best_epoch_and_curves(tiny):
    result = train_project(tiny, {"epochs": 2, "log_every": 1})
    runs = project_runs(tiny.name, tiny.path)
    assert len(runs) == 1
    run = runs[0]
    assert str(run.path) == result.summary["run_dir"]
    assert (run.status, run.epochs_done, run.epochs_planned) == ("finished", 2, 2)
    assert run.monitor == "val_loss" and run.best == result.summary["best"]
    rows = epoch_rows(run.path)
    values = [float(r["val_loss"]) for r in rows]
    assert run.best_epoch == values.index(min(values)) + 1
    assert run.best_checkpoint == run.path / "checkpoints" / "best.pt"
    assert run.last_checkpoint == run.path / "checkpoints" / "last.pt"
    assert run.curves.series("val_loss") == ([1, 2], pytest.approx(values))
    assert run.curves.steps and all(isinstance(s, int) for s, _ in run.curves.steps)
    step_rows = epoch_rows(run.path, kind="step")
    assert run.curves.step_lrs == [float(r["lr"]) for r in step_rows]
    assert len(run.curves.step_lrs) == len(run.curves.steps)
    assert run.started is not None and not run.problems and not run.can_resume
    (best_label, best), (last_label, last) = checkpoint_choices(runs)
    assert (best, last) == (run.best_checkpoint, run.last_checkpoint)
    assert best_label.startswith(f"Best of run {run.name} (val_loss ")
    assert f"epoch {run.best_epoch})" in best_label
    assert last_label == f"Last of run {run.name} (epoch 2/2, finished)"


def test_a_stopped_run_can_be_resumed_and_then_reads_finished_keeping_its_start(tiny):
    control = TrainControl()
    first = train_project(tiny, {"epochs": 3}, [StopAfter(control, 1)], control)
    run = read_run(first.summary["run_dir"])
    assert (run.status, run.epochs_done, run.epochs_planned) == ("stopped", 1, 3)
    assert run.can_resume and run.status_text == "stopped"
    started = run.started
    train_project(tiny, {"epochs": 3}, run_dir=run.path, resume=run.last_checkpoint)
    again = read_run(run.path)
    assert (again.status, again.epochs_done, again.started) == ("finished", 3, started)
    assert again.curves.series("train_loss")[0] == [1, 2, 3]


def test_a_run_that_failed_before_its_first_epoch_is_listed_as_failed_with_the_message(tiny):
    tiny.data["path"] = "missing.npz"
    folder = tiny.path.parent / "runs" / "tiny-20260101-120000"
    folder.mkdir(parents=True)
    with pytest.raises(DataError) as info:
        train_project(tiny, {"epochs": 1}, run_dir=folder)
    run = project_runs(tiny.name, tiny.path)[0]
    assert run.path == folder and run.status == "failed"
    assert run.error == str(info.value) and not run.can_resume
    assert run.started is not None and run.started.year == 2026


def test_a_resume_that_cannot_start_leaves_the_run_as_it_was(tiny):
    control = TrainControl()
    first = train_project(tiny, {"epochs": 3}, [StopAfter(control, 1)], control)
    run = read_run(first.summary["run_dir"])
    tiny.data["path"] = "missing.npz"
    with pytest.raises(DataError):
        train_project(tiny, {"epochs": 3}, run_dir=run.path, resume=run.last_checkpoint)
    assert read_run(run.path).status == "stopped"


def test_ctrl_c_marks_the_run_interrupted_and_resumable(tiny):
    with pytest.raises(KeyboardInterrupt):
        train_project(tiny, {"epochs": 2}, [Interrupt()])
    (run,) = project_runs(tiny.name, tiny.path)
    assert run.status == "interrupted" and "interrupted" in run.error
    assert run.epochs_done == 1 and run.can_resume


def test_a_resume_in_progress_reads_running_or_killed_not_its_old_summary(tiny):
    control = TrainControl()
    first = train_project(tiny, {"epochs": 3}, [StopAfter(control, 1)], control)
    folder = Path(first.summary["run_dir"])
    info = json.loads((folder / "run.json").read_text())
    info["state"] = "running"  # as a resumed run writes it when it starts
    (folder / "run.json").write_text(json.dumps(info))
    assert summary(folder)["status"] == "stopped"
    run = read_run(folder)
    assert run.status == "unfinished" and run.status_text == "running or killed"
    assert run.epochs_done == 1 and run.epochs_planned == 3 and run.can_resume


def test_damaged_folders_are_listed_with_their_problem_never_a_crash(tmp_path):
    root = tmp_path / "runs"
    (root / "empty-20260101-000000").mkdir(parents=True)
    cut = root / "cut-20260102-000000"
    cut.mkdir()
    (cut / "metrics.csv").write_text(
        "kind,epoch,step,train_loss,val_loss\nepoch,1,3,0.9,0.8\nepoch,2,6,0.7,0.\x00\nepo"
    )
    (cut / "summary.json").write_text('{"status": "fini')
    (cut / "run.json").write_text("[1, 2")
    (cut / "checkpoints").mkdir()
    (cut / "checkpoints" / "last.pt").write_bytes(b"not a checkpoint")
    odd = root / "odd"
    odd.mkdir()
    (odd / "summary.json").write_text('{"status": 7, "epochs": "x", "best": "y"}')
    (odd / "metrics.csv").mkdir()  # a folder where a file belongs
    (root / "a-file.txt").write_text("not a run")
    zoned = root / "zoned"
    zoned.mkdir()
    (zoned / "run.json").write_text('{"started": "2026-01-01T00:00:00+05:00", "epochs": 4}')
    runs = {r.name: r for r in list_runs(root)}
    assert set(runs) == {"empty-20260101-000000", "cut-20260102-000000", "odd", "zoned"}
    assert runs["zoned"].started.tzinfo is None and runs["zoned"].epochs_planned == 4
    assert all(r.status == "unfinished" for r in runs.values())
    cut_run = runs["cut-20260102-000000"]
    assert cut_run.curves.series("train_loss") == ([1, 2], [0.9, 0.7])
    assert cut_run.curves.series("val_loss") == ([1], [0.8])
    assert cut_run.epochs_done == 2 and (cut_run.best, cut_run.best_epoch) == (0.8, 1)
    assert cut_run.last_checkpoint is not None  # listed; loading it is what says it is damaged
    problems = " ".join(cut_run.problems)
    assert "summary.json cannot be read" in problems and "run.json cannot be read" in problems
    assert "damaged row" in problems
    assert runs["empty-20260101-000000"].problems == ["no epoch was completed"]
    assert runs["odd"].best is None and runs["odd"].epochs_planned is None
    assert list_runs(tmp_path / "no such folder") == []


def test_only_this_projects_runs_are_listed_also_after_a_rename(tiny, tmp_path):
    train_project(tiny, {"epochs": 1})
    other = tmp_path / "runs" / "other-20260101-000000"
    other.mkdir()
    (other / "metrics.csv").write_text("kind,epoch,step,train_loss\nepoch,1,3,0.5\n")
    tiny.name = "renamed"
    train_project(tiny, {"epochs": 1})
    runs = project_runs("renamed", tiny.path)
    assert len(runs) == 2 and other not in [r.path for r in runs]
    assert sorted(r.name.split("-")[0] for r in runs) == ["renamed", "tiny"]
    assert runs[0].started >= runs[1].started  # newest first
    assert len(list_runs(tmp_path / "runs")) == 3


def test_best_epoch_follows_the_monitor_direction():
    from ftstudio.core.run_history import RunCurves

    curves = RunCurves(
        epochs=[
            {"epoch": 1, "val_accuracy": 0.5, "val_loss": 0.9},
            {"epoch": 2, "val_accuracy": 0.8, "val_loss": 0.4},
            {"epoch": 3, "val_accuracy": 0.8, "val_loss": 0.6},
        ]
    )
    assert best_epoch(curves, "val_accuracy") == (0.8, 2)
    assert best_epoch(curves, "val_loss") == (0.4, 2)
    assert best_epoch(curves, "val_mae") == (None, None)


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_cli_lists_the_runs_as_a_table_and_as_json(tiny):
    control = TrainControl()
    result = train_project(tiny, {"epochs": 2}, [StopAfter(control, 1)], control)
    code, out, _ = cli("runs", str(tiny.path))
    assert code == 0
    assert "stopped" in out and "1/2" in out and "last: " in out
    code, out, _ = cli("runs", str(tiny.path), "--json", "--curves")
    (entry,) = json.loads(out)
    assert entry["path"] == result.summary["run_dir"] and entry["status"] == "stopped"
    assert entry["checkpoints"]["last"].endswith("last.pt")
    assert entry["best"] == result.summary["best"] and entry["best_epoch"] == 1
    assert [row["epoch"] for row in entry["curves"]["epochs"]] == [1]


def test_cli_without_runs_and_with_a_missing_project(tiny, tmp_path):
    code, out, _ = cli("runs", str(tiny.path))
    assert (code, out.strip()) == (0, "no runs yet")
    code, out, err = cli("runs", str(tmp_path / "nope.ftproj"))
    assert code != 0 and err.startswith("error: ") and len(err.strip().splitlines()) == 1


def test_a_folder_is_read_again_only_when_one_of_its_files_changed(tmp_path, monkeypatch):
    from ftstudio.core import run_history

    run = tmp_path / "runs" / "a-20260101-000000"
    run.mkdir(parents=True)
    (run / "metrics.csv").write_text("kind,epoch,step,train_loss\nepoch,1,3,0.9\n")
    reads = []
    real = run_history.read_curves
    monkeypatch.setattr(run_history, "read_curves", lambda *a: reads.append(a[0]) or real(*a))
    first = read_run(run)
    first.problems.append("changed by a caller")  # the cached record keeps its own
    again = read_run(run)
    assert len(reads) == 1
    assert "changed by a caller" not in again.problems
    assert again.curves.series("train_loss") == ([1], [0.9])
    with (run / "metrics.csv").open("a") as handle:  # the run went on
        handle.write("epoch,2,6,0.7\n")
    grown = read_run(run)
    assert len(reads) == 2 and grown.curves.series("train_loss") == ([1, 2], [0.9, 0.7])
    (run / "summary.json").write_text('{"status": "finished", "epochs": 2}')
    assert read_run(run).status == "finished" and len(reads) == 3
