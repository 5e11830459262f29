"""Check that the wheel works without the checkout (issue 10): build it, install it into a
fresh venv, and run the CLI and the window from a temporary folder.

    python scripts/check_wheel.py [--keep]

Needs ``build`` (pip install build). The venv is created with --system-site-packages so that
torch and Qt (several GB) are not downloaded again, but the wheel is installed into the venv
itself (--force-reinstall --no-deps), PYTHONPATH is unset and the commands run from a
temporary folder, and the script checks that ``ftstudio`` is imported from the venv, not from
the checkout. It prints one line per step and a summary; exit code 0 when all passed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEMPLATE = "digits-transfer"  # ships pretrained weights: resources: paths are exercised
IN_WHEEL = (  # resources that must be inside the wheel
    "ftstudio/resources/templates/digits-transfer.ftproj",
    "ftstudio/resources/weights/digits_cnn_0-4.safetensors",
    "ftstudio/resources/torchvision_signatures.json.gz",
    "ftstudio/resources/examples/custom_blocks.py",
    "ftstudio/resources/icons/ftstudio.svg",
    "ftstudio/resources/docs/project-format.md",
    "ftstudio/resources/docs/custom-blocks.md",
    "ftstudio/resources/docs/bring-your-own-weights.md",
)
# What the installed package must find inside itself (run by the venv's Python).
WHERE = """
import sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
import ftstudio
from ftstudio.core.resources import RESOURCES
from ftstudio.core.templates import load_template
from ftstudio.gui import qt_help
from ftstudio.gui.qt_icons import APP_ICON_SVG, app_icon
package = Path(ftstudio.__file__).resolve().parent
site = Path(sys.argv[1]).resolve()
assert site in package.parents, f"ftstudio imported from {package}, not from the venv {site}"
assert package in RESOURCES.parents, RESOURCES
load_template("digits-transfer")
for _key, _text, name in qt_help.DOCS:
    path = qt_help.doc_path(name)
    assert path is not None and package in path.parents, f"Help menu: {name} -> {path}"
assert package in APP_ICON_SVG.parents and not app_icon().isNull()
print(f"ftstudio {ftstudio.__version__} from {package}; docs, icon and templates inside it")
"""
DIGITS = """
from PIL import Image
from sklearn.datasets import load_digits
d = load_digits()
Image.fromarray((d.images[d.target == 7][-1] * 15.9).astype("uint8")).save("seven.png")
"""


class Step:
    """Runs commands, prints one line each, and remembers failures."""

    def __init__(self, env: dict[str, str], cwd: Path):
        self.env, self.cwd, self.failures = env, cwd, []

    def run(self, name: str, argv: list[str], timeout: int = 600, expect: str = "") -> str:
        t0 = time.perf_counter()
        result = subprocess.run(
            argv, cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        seconds = time.perf_counter() - t0
        output = result.stdout + result.stderr
        ok = result.returncode == 0 and expect in output
        print(f"{'ok  ' if ok else 'FAIL'} {name} ({seconds:.1f} s)", flush=True)
        if not ok:
            self.failures.append(name)
            print("     " + output.strip().replace("\n", "\n     ")[-3000:], flush=True)
        return output


def build_wheel(out: Path) -> Path:
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    (wheel,) = out.glob("ftstudio-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in IN_WHEEL if name not in names]
    if missing:
        raise SystemExit(f"FAIL the wheel lacks {', '.join(missing)}")
    size = wheel.stat().st_size / 1e6
    print(f"ok   built {wheel.name} ({size:.1f} MB, {time.perf_counter() - t0:.1f} s)")
    return wheel


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    try:
        import build  # noqa: F401
    except ImportError:
        print("error: this check needs 'build': pip install build", file=sys.stderr)
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="ftstudio-wheel-"))
    t_start = time.perf_counter()
    try:
        wheel = build_wheel(tmp / "dist")
        venv = tmp / "venv"
        subprocess.run(
            [sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True
        )
        python, ftstudio = venv / "bin" / "python", venv / "bin" / "ftstudio"
        work = tmp / "work"
        work.mkdir()
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        env.update(
            QT_QPA_PLATFORM="offscreen",
            HOME=str(tmp / "home"),  # settings, caches: not the user's
            XDG_CONFIG_HOME=str(tmp / "home" / "config"),
            FTSTUDIO_RECOVERY_DIR=str(tmp / "recovery"),
            FTSTUDIO_RUNS_DIR=str(work / "window-runs"),
            PIP_DISABLE_PIP_VERSION_CHECK="1",
        )
        steps = Step(env, work)
        steps.run(
            "install the wheel into the venv",
            [str(python), "-m", "pip", "install", "--force-reinstall", "--no-deps", str(wheel)],
        )
        site = subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        steps.run("resources load from the installed package", [str(python), "-c", WHERE, site])
        project = "walk.ftproj"
        steps.run("ftstudio new", [str(ftstudio), "new", "--template", TEMPLATE, project])
        steps.run("ftstudio validate", [str(ftstudio), "validate", project])
        steps.run(
            "ftstudio train --epochs 1",
            [str(ftstudio), "train", project, "--epochs", "1", "--out", "run", "--quiet"],
            expect="after 1 epochs",
        )
        steps.run(
            "ftstudio export (the run's best checkpoint)",
            [str(ftstudio), "export", project, "--out", "export"]
            + ["--checkpoint", "run/checkpoints/best.pt"],
        )
        steps.run("a handwritten 7 as a PNG", [str(python), "-c", DIGITS])
        steps.run(
            "the exported predict.py reads it as a 7",
            [str(python), "export/predict.py", "seven.png"],
            expect="seven.png: 7 ",
        )
        env["FTSTUDIO_SMOKE"] = "show"
        steps.run("the window opens, paints and closes", [str(ftstudio)], expect="window shown")
        env["FTSTUDIO_SMOKE"] = "train"
        steps.run(
            "the window trains the starter project (one epoch)",
            [str(ftstudio)],
            expect="trained epoch 1",
        )
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    total = time.perf_counter() - t_start
    if steps.failures:
        print(f"wheel check FAILED ({', '.join(steps.failures)}) in {total:.0f} s")
        return 1
    print(f"wheel check passed: built, installed and ran without the checkout in {total:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
