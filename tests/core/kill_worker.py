"""Run by test_kill_points.py: `ftstudio train` killed (SIGKILL) at every write point of a
run, each time followed by the resume a user would run.

Usage: python kill_worker.py PROJECT ROOT EPOCHS

Each killed `ftstudio train` runs in a forked child of this process (warmed up by an unkilled
reference run here), so dozens of kills stay quick. In a child, every atomic write (`os.fdopen` of the temporary file,
then `os.replace`) is a sequence of three kill points: half of the bytes written, the temporary
file complete but not in place, and just after the rename. ROOT/reference is one run without a
kill, which counts the points; ROOT/kill-N is killed at point N and then resumed: from its
last.pt, else its best.pt, else started again with --overwrite. Prints a JSON list, one entry
per kill point.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import torch

torch.set_num_threads(1)  # no thread pools before fork
torch.set_num_interop_threads(1)

from ftstudio.cli import main  # noqa: E402

real_fdopen, real_replace = os.fdopen, os.replace


def arm(kill_at: int | None, counter: list[int]) -> None:
    """Count write points in this process; SIGKILL at point ``kill_at``."""

    def point() -> None:
        counter[0] += 1
        if counter[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    class HalfThenPoint:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()
            return False

        def write(self, data):
            half = len(data) // 2
            self.handle.write(data[:half])
            self.handle.flush()
            point()
            return self.handle.write(data[half:]) + half

        def __getattr__(self, name):
            return getattr(self.handle, name)

    def fdopen(fd, mode="r", *args, **kwargs):
        handle = real_fdopen(fd, mode, *args, **kwargs)
        return HalfThenPoint(handle) if "w" in mode else handle

    def replace(src, dst, **kwargs):
        point()
        real_replace(src, dst, **kwargs)
        point()

    os.fdopen, os.replace = fdopen, replace


def count_points(argv: list[str]) -> tuple[int, int]:
    """Run ``ftstudio ARGV`` here, unkilled: the exit code and the number of write points.
    It also warms this process up (imports, first calls), so that each fork starts quickly."""
    counter = [0]
    arm(None, counter)
    try:
        code = main(argv)
    finally:
        os.fdopen, os.replace = real_fdopen, real_replace
    return code, counter[0]


def child(argv: list[str], kill_at: int | None = None) -> int:
    """Run ``ftstudio ARGV`` in a forked child; its exit code, or -signal when killed."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 70
        try:
            arm(kill_at, [0])
            code = main(argv)
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def resume_args(project: str, run: Path, epochs: str) -> tuple[str, list[str]]:
    for kind in ("last", "best"):
        ckpt = run / "checkpoints" / f"{kind}.pt"
        if ckpt.is_file():
            return kind, ["train", project, "--resume", str(ckpt), "--epochs", epochs]
    return "restart", ["train", project, "--out", str(run), "--epochs", epochs, "--overwrite"]


if __name__ == "__main__":
    project, root, epochs = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    train = ["train", project, "--epochs", epochs, "--quiet"]
    reference, points = count_points([*train, "--out", str(root / "reference")])
    results = []
    for n in range(1, points + 1):
        run = root / f"kill-{n}"
        killed = child([*train, "--out", str(run)], kill_at=n)
        how, argv = resume_args(project, run, epochs)
        resumed = child([*argv, "--quiet"])
        results.append({"point": n, "killed": killed, "resume": how, "resumed": resumed})
    print(json.dumps({"reference": reference, "points": points, "runs": results}))
