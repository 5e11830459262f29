"""The parity check: the exported files compute what the app's model computes.

:func:`check_export` runs fixed, seeded batches (of sizes other than the one the optional
formats were traced with) through the app's model here, and through the export's
``model.py`` (plus ``model.ts`` / ``model.onnx`` when written) in a second Python process
that cannot import FT Studio (:mod:`ftstudio.core.export.parity_child`). Everything runs on
the CPU in float32 and eval mode. Each file's largest absolute difference must be within
its tolerance: exactly 0 for ``model.py`` (the same code and weights), 1e-5 for TorchScript,
1e-4 for ONNX run by onnxruntime.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ftstudio.core.blocks.registry import TokenShape

CHECKED_FILES = ("model.py", "model.ts", "model.onnx")
TOLERANCES = {"model.py": 0.0, "model.ts": 1e-5, "model.onnx": 1e-4}
TORCHSCRIPT_TOLERANCE = 1e-5  # model.py when it loads model.ts (the TorchScript fallback)
BATCH_SIZES = (3, 1)  # not 2, the example batch model.ts / model.onnx were traced with
TIMEOUT_S = 900.0
SEED = 20240
PYTHON_ENV = "FTSTUDIO_PYTHON"


@dataclass
class FileParity:
    """One exported file's result: its largest absolute difference, or why it did not run."""

    file: str
    tolerance: float
    max_abs_diff: float | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return (
            self.error is None
            and self.max_abs_diff is not None
            and (self.max_abs_diff <= self.tolerance)
        )

    def line(self) -> str:
        """E.g. ``model.ts: max abs diff 2.4e-07 (limit 1e-05) ok``."""
        limit = f"limit {self.tolerance:g}" if self.tolerance else "must be exactly 0"
        if self.error is not None:
            return f"{self.file}: FAILED, {self.error}"
        verdict = "ok" if self.ok else "FAILED"
        return f"{self.file}: max abs diff {self.max_abs_diff:.3g} ({limit}) {verdict}"


@dataclass
class ParityReport:
    """The parity check of one export folder."""

    files: list[FileParity] = field(default_factory=list)
    batch_sizes: tuple[int, ...] = BATCH_SIZES

    @property
    def ok(self) -> bool:
        return bool(self.files) and all(f.ok for f in self.files)

    def heading(self) -> str:
        sizes = " and ".join(str(n) for n in self.batch_sizes)
        verdict = "passed" if self.ok else "FAILED"
        return (
            f"Parity check {verdict}: the exported files against the app's model on batches of "
            f"{sizes} samples (CPU, float32, eval mode)"
        )

    def failure_message(self, out_dir: Path) -> str | None:
        """One line naming the files that differ from the app's model, or None when all pass."""
        failed = [f.line() for f in self.files if not f.ok]
        if not failed:
            return None
        return (
            f"The parity check failed: {'; '.join(failed)}. The exported model does not compute "
            f"what the app's model computes; the folder {out_dir} is kept for inspection."
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "device": "cpu",
            "dtype": "float32",
            "batch_sizes": list(self.batch_sizes),
            "files": {
                f.file: {
                    "max_abs_diff": f.max_abs_diff,
                    "tolerance": f.tolerance,
                    "ok": f.ok,
                    "error": f.error,
                }
                for f in self.files
            },
        }


def parity_inputs(
    input_shape: tuple[int, ...], batch_sizes: tuple[int, ...] = BATCH_SIZES
) -> list[torch.Tensor]:
    """Seeded float32 batches ``(n, *input_shape)``, the same on every call; token ids for a
    :class:`TokenShape` (ids 1-29, every row after the first padded with 0s from a random
    position, so the padding mask is exercised)."""
    gen = torch.Generator().manual_seed(SEED)
    if isinstance(input_shape, TokenShape):
        batches = []
        for n in batch_sizes:
            ids = torch.randint(1, 30, (n, *input_shape), generator=gen)
            ends = torch.randint(2, input_shape[0] + 1, (n,), generator=gen)
            ends[0] = input_shape[0]
            ids[torch.arange(input_shape[0]) >= ends[:, None]] = 0
            batches.append(ids)
        return batches
    return [torch.randn((n, *input_shape), generator=gen) for n in batch_sizes]


def max_abs_diff(got: torch.Tensor, expected: torch.Tensor) -> float:
    """The largest ``|got - expected|``; equal values (inf, NaN in the same place) count 0,
    a shape mismatch or a lone NaN counts inf."""
    if got.shape != expected.shape:
        return math.inf
    got, expected = got.double(), expected.double()
    same = (got == expected) | (got.isnan() & expected.isnan())
    diff = torch.where(same, torch.zeros_like(got), (got - expected).abs())
    if diff.numel() == 0:
        return 0.0
    worst = float(diff.max())
    return math.inf if math.isnan(worst) else worst


def check_export(
    out_dir: str | Path,
    model: nn.Module,
    input_shape: tuple[int, ...],
    files: list[str] | None = None,
    *,
    mode: str = "code",
    batch_sizes: tuple[int, ...] = BATCH_SIZES,
) -> ParityReport:
    """Compare the export in ``out_dir`` with ``model`` (the app's model, on the CPU).

    Parameters
    ----------
    out_dir : path
        An export folder.
    model : nn.Module
        The in-app model the export was written from; put in eval mode here.
    input_shape : tuple of int
        One sample's shape.
    files : list of str, optional
        Which of ``model.py``, ``model.ts``, ``model.onnx`` to check (default: those present).
    mode : str
        ``"torchscript"`` when ``model.py`` loads ``model.ts`` (then it is held to
        TorchScript's tolerance).

    Returns
    -------
    ParityReport
        Never raises for a file that fails to load or run: that file's ``error`` says why.
    """
    out = Path(out_dir)
    if files is None:
        files = [name for name in CHECKED_FILES if (out / name).is_file()]
    batches = parity_inputs(input_shape, batch_sizes)
    model.eval()
    with torch.no_grad():
        expected = [model(x).detach().cpu() for x in batches]
    ran = run_exported(out, files, batches)
    report = ParityReport(batch_sizes=tuple(batch_sizes))
    for name in files:
        tolerance = TOLERANCES[name]
        if name == "model.py" and mode == "torchscript":
            tolerance = TORCHSCRIPT_TOLERANCE
        item = FileParity(name, tolerance)
        outputs = ran.get(name, "it did not run")
        if isinstance(outputs, str):
            item.error = outputs
        else:
            item.max_abs_diff = max(
                (max_abs_diff(y, e) for y, e in zip(outputs, expected, strict=True)), default=0.0
            )
        report.files.append(item)
    return report


def python_executable() -> str | None:
    """The Python that runs the check: ``$FTSTUDIO_PYTHON``, else this one (None in a frozen
    app, whose executable is the app itself)."""
    chosen = os.environ.get(PYTHON_ENV)
    if chosen:
        return chosen
    return None if getattr(sys, "frozen", False) else sys.executable


def run_exported(
    out: Path, files: list[str], batches: list[torch.Tensor]
) -> dict[str, list[torch.Tensor] | str]:
    """Each file's outputs on ``batches``, computed in a process without FT Studio, or why not."""
    source = Path(__file__).with_name("parity_child.py").read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="ftstudio-parity-") as tmp:
        job = {
            "folder": str(out.resolve()),
            "files": files,
            "inputs": str(Path(tmp) / "inputs.pt"),
            "outputs": str(Path(tmp) / "outputs.pt"),
            "threads": torch.get_num_threads(),
            "matmul_precision": torch.get_float32_matmul_precision(),
        }
        torch.save(batches, job["inputs"])
        job_file = Path(tmp) / "job.json"
        job_file.write_text(json.dumps(job), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONSTARTUP"}
        env["PYTHONWARNINGS"] = "ignore"
        python = python_executable()
        if python is None:
            return dict.fromkeys(
                files,
                "this FT Studio build has no Python interpreter to run the export in; set "
                f"{PYTHON_ENV} to a Python with torch (and onnxruntime for ONNX)",
            )
        try:
            done = subprocess.run(
                [python, "-c", source, str(job_file)],
                cwd=out,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            return dict.fromkeys(files, f"the check did not finish within {TIMEOUT_S:g} s")
        except OSError as exc:
            return dict.fromkeys(files, f"could not start Python ({exc.strerror or exc})")
        if done.returncode != 0 or not Path(job["outputs"]).is_file():
            lines = done.stderr.strip().splitlines()
            why = lines[-1] if lines else f"exit status {done.returncode}"
            return dict.fromkeys(files, f"the check's Python process failed ({why})")
        return torch.load(job["outputs"], map_location="cpu", weights_only=True)
