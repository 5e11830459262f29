"""Smoke test of the desktop bundle (by hand: it takes minutes and GBs, too slow for CI).

    python packaging/smoke.py [--no-build]

Builds packaging/dist/ftstudio with build.sh (unless --no-build), then, offscreen and from a
temporary folder: starts the bundle's ftstudio until the main window is shown and closes it;
runs ftstudio new and ftstudio validate from it (also on the template whose custom blocks
file ships in resources/examples); opens the window again, trains the starter
project for one epoch and closes. Prints size, build time and start time; exit code 0 when
everything worked. Paste its output into packaging/README.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUNDLE = HERE / "dist" / "ftstudio"
EXE = BUNDLE / "ftstudio"


def size_of(folder: Path) -> str:
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    return f"{total / 1e9:.2f} GB"


def timed(argv: list[str], env: dict, cwd: Path, expect: str, timeout: int = 600):
    """Run ``argv``; (ok, seconds to the first line containing ``expect``, output)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    killer = threading.Timer(timeout, proc.kill)  # a window that never closes
    killer.start()
    seen, lines = None, []
    try:
        for line in proc.stdout:
            lines.append(line)
            if seen is None and expect in line:
                seen = time.perf_counter() - t0
        code = proc.wait()
    finally:
        killer.cancel()
    return code == 0 and seen is not None, seen, "".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-build", action="store_true", help="use the bundle already built")
    args = parser.parse_args()
    build_s = None
    if not args.no_build:
        t0 = time.perf_counter()
        subprocess.run(["bash", str(HERE / "build.sh")], check=True)
        build_s = time.perf_counter() - t0
    if not EXE.is_file():
        print(f"FAIL no bundle at {EXE}: run packaging/build.sh", file=sys.stderr)
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="ftstudio-bundle-"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(
        QT_QPA_PLATFORM="offscreen",
        HOME=str(tmp / "home"),
        XDG_CONFIG_HOME=str(tmp / "home" / "config"),
        FTSTUDIO_RECOVERY_DIR=str(tmp / "recovery"),
        FTSTUDIO_RUNS_DIR=str(tmp / "runs"),
    )
    results = []

    def step(name: str, argv: list[str], expect: str, **extra: str) -> float | None:
        ok, seconds, output = timed(argv, {**env, **extra}, tmp, expect)
        shown = "-" if seconds is None else f"{seconds:.1f} s"
        print(f"{'ok  ' if ok else 'FAIL'} {name} ({shown})", flush=True)
        if not ok:
            print("     " + output.strip().replace("\n", "\n     ")[-3000:], flush=True)
        results.append(ok)
        return seconds

    try:
        start_s = step(
            "window shown, then closed", [str(EXE)], "window shown", FTSTUDIO_SMOKE="show"
        )
        step(
            "ftstudio new",
            [str(EXE), "new", "--template", "digits-transfer", "p.ftproj"],
            "Created",
        )
        step("ftstudio validate", [str(EXE), "validate", "p.ftproj"], "")
        custom = ["new", "--template", "seed-sequence-custom", "c.ftproj"]
        step("ftstudio new (custom blocks template)", [str(EXE), *custom], "Created")
        step("ftstudio validate (its shipped blocks file)", [str(EXE), "validate", "c.ftproj"], "")
        step(
            "window trains the starter project (1 epoch), then closed",
            [str(EXE)],
            "trained epoch 1",
            FTSTUDIO_SMOKE="train",
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    build = "not rebuilt" if build_s is None else f"{build_s:.0f} s"
    start = "-" if start_s is None else f"{start_s:.1f} s"
    print(
        f"bundle {BUNDLE}: size {size_of(BUNDLE)}, build time {build}, start time (to the "
        f"window shown) {start}; {sum(results)}/{len(results)} steps passed"
    )
    return 0 if all(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
