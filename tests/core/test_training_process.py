"""A run in a child process (no Qt): its messages, stop, the end of a child that dies, and
refusing blocks code that changed since the user loaded it."""

from __future__ import annotations

import multiprocessing

import pytest

from ftstudio.core.blocks import custom
from ftstudio.core.blocks.custom_errors import CustomBlockError
from ftstudio.core.templates import load_template
from ftstudio.core.training.process import TrainingProcess, describe_exit
from ftstudio.core.training.relay import RelayCallback, TrainingJob, load_job_blocks, training_job

BLOCKS = '''
import torch
from torch import nn


class Scale(nn.Module):
    """Multiplies by a learned scalar."""

    def __init__(self, in_features: int):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(()))

    def forward(self, x):
        return x * self.weight
'''


def starter(epochs: int):
    project = load_template("digits-transfer")
    project.training["epochs"] = epochs
    return project


def started(job: TrainingJob) -> TrainingProcess:
    run = TrainingProcess()
    run.start(job)
    return run


def test_a_run_in_a_child_sends_its_messages_and_ends_with_finished(tmp_path):
    run = started(training_job(starter(2), run_dir=tmp_path / "run"))
    messages = list(run.messages())
    kinds = [kind for kind, _ in messages]
    assert kinds[0] == "started" and kinds[-1] == "finished"
    assert kinds.count("epoch") == 2 and kinds.count("finished") == 1 and "error" not in kinds
    assert {args[1] for kind, args in messages if kind == "checkpoint"} == {"last", "best"}
    points = [p for kind, args in messages if kind == "steps" for p in args[0]]
    assert points and all(len(p) == 3 for p in points)  # (step, loss, lr)
    summary = messages[-1][1][0]
    assert summary["status"] == "finished" and summary["epochs_completed"] == 2
    assert (tmp_path / "run" / "checkpoints" / "last.pt").is_file()
    assert run.exit_message() is None and run.process.exitcode == 0
    assert not multiprocessing.active_children()


def test_stop_from_this_process_ends_the_child_run_with_a_last_checkpoint(tmp_path):
    run = started(training_job(starter(100_000), run_dir=tmp_path / "run"))
    kinds = []
    for kind, _args in run.messages():
        kinds.append(kind)
        if kind == "epoch":
            run.control.request_stop()
    assert kinds[-1] == "finished" and kinds.count("epoch") < 100_000
    assert (tmp_path / "run" / "checkpoints" / "last.pt").is_file()
    assert run.exit_message() is None and run.process.exitcode == 0


def test_an_error_in_the_child_is_one_message_written_for_the_user(tmp_path):
    project = starter(1)
    project.training["epochs"] = "many"
    run = started(training_job(project, run_dir=tmp_path / "run"))
    messages = list(run.messages())
    assert [kind for kind, _ in messages] == ["error"]
    assert "training.epochs" in messages[0][1][0]
    assert run.exit_message() is None


@pytest.mark.parametrize(
    ("code", "expected"),
    [(-9, "killed (SIGKILL)"), (-11, "crashed (SIGSEGV)"), (3, "exit code 3")],
)
def test_a_child_that_ends_without_its_last_message_is_described(code, expected):
    message = describe_exit(code)
    assert expected in message and "Resume continues" in message
    assert ("out of memory" in message) == (code == -9)


def test_blocks_code_changed_since_it_was_loaded_is_refused(tmp_path):
    blocks_file = tmp_path / "scale_blocks.py"
    blocks_file.write_text(BLOCKS)
    record = custom.load_blocks_file(blocks_file)
    load_job_blocks([(str(blocks_file), record.sha256)])  # unchanged: fine
    with pytest.raises(CustomBlockError, match="changed on disk since FT Studio loaded it"):
        load_job_blocks([(str(blocks_file), "0" * 64)])


def test_a_job_names_the_blocks_files_of_its_custom_blocks(tmp_path):
    from ftstudio.core import project as project_io

    blocks_file = tmp_path / "scale_blocks.py"
    blocks_file.write_text(BLOCKS)
    record = custom.load_blocks_file(blocks_file)
    data = project_io.to_dict(starter(1))
    data["blocks"].insert(2, {"id": "s", "type": "Scale", "params": {}})
    data["blocks"].insert(3, {"id": "t", "type": "Scale", "params": {}})
    job = training_job(project_io.from_dict(data))
    assert job.blocks_files == [(str(record.path), record.sha256)]  # once, though used twice
    assert training_job(starter(1)).blocks_files == []


def test_the_relay_batches_points_and_sends_one_error():
    sent = []
    relay = RelayCallback(lambda kind, *args: sent.append((kind, args)))
    for step in range(1, 6):
        relay.on_log({"step": step, "train_loss": 1.0 / step, "lr": 0.1})
    relay.on_error("TrainingError")  # a bare type name waits for the fuller message
    relay.on_error("The data folder is empty.")
    relay.on_error("A second failure.")
    assert [kind for kind, _ in sent] == ["steps", "error"]
    assert len(sent[0][1][0]) == 5 and sent[1][1] == ("The data folder is empty.",)


def test_a_standby_waits_for_its_job_and_one_not_needed_is_discarded(tmp_path):
    standby = TrainingProcess()
    assert standby.running and not standby.job_sent
    assert standby.warm.wait(120)  # imports done: the job will start at once
    standby.start(training_job(starter(1), run_dir=tmp_path / "run"))
    assert [kind for kind, _ in standby.messages()][-1] == "finished"
    unused = TrainingProcess()
    unused.discard()
    assert not unused.running and not multiprocessing.active_children()


EXIT_SCRIPT = """
import sys
from ftstudio.core.templates import load_template
from ftstudio.core.training.process import TrainingProcess
from ftstudio.core.training.relay import training_job

if __name__ == "__main__":
    standby = TrainingProcess()  # never used
    run = TrainingProcess()
    project = load_template("digits-transfer")
    project.training["epochs"] = 100_000
    run.start(training_job(project, run_dir=sys.argv[1]))
    for kind, args in run.messages():
        if kind == "epoch":
            break  # exits with a standby waiting and a run going
    print("exiting", flush=True)
"""


def test_python_exiting_ends_a_standby_and_stops_a_run(tmp_path):
    import json
    import subprocess
    import sys

    script = tmp_path / "exit_early.py"
    script.write_text(EXIT_SCRIPT)
    run_dir = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, str(script), str(run_dir)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0 and "exiting" in done.stdout, done.stderr[-2000:]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "stopped"  # asked to stop: its last checkpoint is there
    assert (run_dir / "checkpoints" / "last.pt").is_file()
