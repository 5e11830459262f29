"""User-supplied modules are validated with a time limit, and Ctrl-C always ends the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest
import torch
from torch import nn
from train_helpers import write_project

from ftstudio.core import project as project_io
from ftstudio.core.shapes import validate
from ftstudio.core.time_limit import TimeLimitError, run_with_time_limit

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


class SlowLoop(nn.Module):
    """Loops a few million times (about a second) before it answers."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        i = 0
        while i < 3000000:
            i += 1
        return x.mean(dim=(2, 3))


class EndlessLoop(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x.fill_(1.0)  # tells a watcher that the loop has started
        i = 0
        while i >= 0:
            i = (i + 1) % 1000
        return x.mean(dim=(2, 3))


def loop_project(tmp_path, module: nn.Module):
    script = tmp_path / f"{type(module).__name__}.pt"
    torch.jit.save(torch.jit.script(module), str(script))
    return write_project(
        tmp_path / "loop.ftproj",
        [
            {"id": "bb", "type": "backbone_from_file", "params": {"path": str(script)}},
            {"id": "head", "type": "linear_classifier", "params": {"classes": 5}},
        ],
        [3, 8, 8],
        {"kind": "classification", "num_classes": 5},
        {"source": "digits", "classes": "0-4"},
    )


def test_a_torchscript_module_over_the_time_limit_is_an_issue(tmp_path, monkeypatch):
    monkeypatch.setenv("FTSTUDIO_USER_CODE_TIME_LIMIT_S", "0.2")
    report = validate(project_io.load(loop_project(tmp_path, SlowLoop())))
    assert not report.ok and report.issue.index == 0
    assert "did not finish" in report.issue.message and "0.2 s" in report.issue.message


def test_the_time_limit_passes_results_and_errors_through():
    assert run_with_time_limit(lambda: 41 + 1, 5, "x") == 42
    with pytest.raises(ZeroDivisionError):
        run_with_time_limit(lambda: 1 / 0, 5, "x")
    with pytest.raises(TimeLimitError, match="^Slow code did not finish"):
        run_with_time_limit(
            lambda: torch.jit.script(SlowLoop())(torch.zeros(1, 1, 1, 1)), 0.05, "Slow code"
        )


def child_env() -> dict[str, str]:
    return {**os.environ, "PYTHONWARNINGS": "ignore", "FTSTUDIO_USER_CODE_TIME_LIMIT_S": "1"}


def test_cli_validate_of_an_endless_loop_ends_with_one_line(tmp_path):
    project = loop_project(tmp_path, EndlessLoop())
    result = subprocess.run(
        [sys.executable, "-m", "ftstudio", "validate", str(project)],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "did not finish" in result.stdout and "loop forever" in result.stdout


STUCK = textwrap.dedent(
    """
    import argparse, signal, sys, threading, torch
    from ftstudio import cli

    # as in a terminal, even when pytest runs as a background job (which ignores Ctrl-C)
    signal.signal(signal.SIGINT, signal.default_int_handler)

    module = torch.jit.load(sys.argv[1])
    x = torch.zeros(1, 3, 8, 8)

    def announce():  # "ready" only once the main thread is inside TorchScript's loop
        while x[0, 0, 0, 0].item() == 0:
            pass
        print("ready", flush=True)

    def stuck(args):
        threading.Thread(target=announce, daemon=True).start()
        module(x)  # TorchScript: Python never sees Ctrl-C in here
        return 0

    def parser():
        p = argparse.ArgumentParser()
        p.add_argument("command")
        p.set_defaults(run=stuck)
        return p

    cli.build_parser = parser
    sys.exit(cli.main(["validate"]))
    """
)


def test_ctrl_c_ends_the_cli_even_inside_native_code(tmp_path):
    script = tmp_path / "endless.pt"
    torch.jit.save(torch.jit.script(EndlessLoop()), str(script))
    child = subprocess.Popen(
        [sys.executable, "-c", STUCK, str(script)],
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "ready"
        child.send_signal(signal.SIGINT)
        _out, err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 130 and "interrupted" in err and "Traceback" not in err


def test_a_cancelled_token_abandons_the_wait_at_once():
    import threading

    from ftstudio.core.time_limit import Cancelled, CancelToken, cancellable

    release, started = threading.Event(), threading.Event()

    def blocked():
        started.set()
        release.wait()
        return "late"

    token = CancelToken()
    threading.Thread(target=lambda: (started.wait(), token.cancel()), daemon=True).start()
    try:
        with cancellable(token), pytest.raises(Cancelled):
            run_with_time_limit(blocked, 600, "Blocked code")
    finally:
        release.set()  # let the abandoned thread end
    assert run_with_time_limit(lambda: "fine", 600, "x") == "fine"  # no token: unaffected


def test_a_timed_out_block_is_not_run_again_until_its_file_changes(tmp_path, monkeypatch):
    from ftstudio.core import block_analysis as shapes  # where the analysis lives

    monkeypatch.setenv("FTSTUDIO_USER_CODE_TIME_LIMIT_S", "0.2")
    project = project_io.load(loop_project(tmp_path, SlowLoop()))
    calls = []
    real = shapes._analyze
    monkeypatch.setattr(shapes, "_analyze", lambda *a: calls.append(1) or real(*a))
    first = validate(project)
    second = validate(project)
    assert not first.ok and not second.ok and "did not finish" in second.issue.message
    assert len(calls) == 1  # the looping module was started once, not once per validation
