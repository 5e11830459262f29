"""``ftstudio train --profile N`` (issue 14, acceptance 3): a Chrome trace in the run folder
and the top operators by self time, then the run stops."""

from __future__ import annotations

import json

from train_helpers import summary, tiny_project

from ftstudio.cli import main
from ftstudio.core import project as project_io
from ftstudio.core.training.profile import TRACE_NAME, WARMUP_STEPS, profile_project


def test_profile_writes_a_chrome_trace_and_prints_the_top_aten_operators(tmp_path, capsys):
    path = tiny_project(tmp_path / "p.ftproj", samples=96)  # 6 batches per epoch
    run = tmp_path / "run"
    assert main(["train", str(path), "--profile", "2", "--out", str(run), "--quiet"]) == 0
    out = capsys.readouterr().out
    trace = run / TRACE_NAME
    events = json.loads(trace.read_text())["traceEvents"]
    assert any(e.get("name", "").startswith("aten::") for e in events)
    assert f"Profiled 2 training steps on cpu after {WARMUP_STEPS} warm-up steps" in out
    assert str(trace) in out
    table = out[out.index("Top operators by self time:") :].splitlines()[1:]
    assert table[0].split()[:2] == ["operator", "calls"]
    assert any(line.startswith("aten::") for line in table[1:])
    done = summary(run)  # the run stopped once the steps were recorded, within its epoch
    assert (done["status"], done["steps"]) == ("stopped", WARMUP_STEPS + 2)


def test_a_run_shorter_than_the_warm_up_writes_no_trace_and_says_why(tmp_path):
    path = tiny_project(tmp_path / "p.ftproj", samples=16, epochs=1)  # 1 batch in all
    result = profile_project(project_io.load(path), 5, run_dir=tmp_path / "run")
    assert result.trace is None and result.steps == 0
    assert not (tmp_path / "run" / TRACE_NAME).exists()
    assert "No step was profiled" in result.describe()


def test_profile_zero_is_refused_in_one_line(tmp_path, capsys):
    path = tiny_project(tmp_path / "p.ftproj")
    assert main(["train", str(path), "--profile", "0", "--out", str(tmp_path / "r")]) != 0
    err = capsys.readouterr().err
    assert "--profile must be at least 1, got 0" in err and "Traceback" not in err
