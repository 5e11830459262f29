"""Run exported models in a subprocess where ``ftstudio`` cannot be imported."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import torch
from safetensors.torch import load_file

from ftstudio.core.builder import build_model

HAVE_ONNX = all(importlib.util.find_spec(m) is not None for m in ("onnx", "onnxruntime"))
"""The ``[onnx]`` extra is installed: exports in tests also write and check model.onnx."""

BLOCKER = textwrap.dedent(
    """
    import sys

    class NoFTStudio:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] == "ftstudio":
                raise ImportError("ftstudio is not installed here (export test)")
            return None

    sys.meta_path.insert(0, NoFTStudio())
    try:
        import ftstudio
    except ImportError:
        pass
    else:
        raise SystemExit("the ftstudio blocker does not work")
    """
)

RUN_MODELS = BLOCKER + textwrap.dedent(
    """
    import importlib, json
    import torch

    for job in json.loads(sys.argv[1]):
        sys.path.insert(0, job["dir"])
        model = importlib.import_module("model").load_model()
        x = torch.load(job["input"], weights_only=True)
        result = {"keys": list(model.state_dict())}
        with torch.no_grad():
            result["y"] = model(x)
            if job.get("ts"):
                result["y_ts"] = torch.jit.load(job["dir"] + "/model.ts")(x)
        torch.save(result, job["output"])
        for name in ("model", "layers"):
            sys.modules.pop(name, None)
        sys.path.remove(job["dir"])
    leaked = [m for m in sys.modules if m.split(".")[0] == "ftstudio"]
    assert not leaked, leaked
    """
)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}
    env["PYTHONWARNINGS"] = "ignore"
    return env


def run_python(code: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``python -c CODE ARGS`` in ``cwd`` with our PYTHONPATH dropped (the code blocks ftstudio
    itself by starting with ``BLOCKER``)."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def run_exported(jobs: list[dict], cwd: Path) -> list[dict]:
    """Load each export's ``model.load_model()`` without ftstudio and run it on its input.

    ``jobs``: ``{"dir", "input" (a .pt tensor), "output", "ts" (also run model.ts)}``.
    """
    result = run_python(RUN_MODELS, json.dumps(jobs), cwd=cwd)
    assert result.returncode == 0, result.stderr[-3000:]
    return [torch.load(job["output"], weights_only=True) for job in jobs]


def run_script(export_dir: Path, script: str, *args: str) -> subprocess.CompletedProcess:
    """``python SCRIPT ARGS`` from the export folder, with ftstudio unimportable."""
    code = BLOCKER + textwrap.dedent(
        f"""
        import runpy
        sys.argv = [{script!r}, *{list(args)!r}]
        runpy.run_path({script!r}, run_name="__main__")
        """
    )
    return run_python(code, cwd=export_dir)


def in_app_model(project, export_dir: Path):
    """The app's own model for ``project`` with the exported weights, in eval mode."""
    model = build_model(project, load_weights=False)
    model.load_state_dict(load_file(str(export_dir / "model.safetensors")))
    return model.eval()


def job(export_dir: Path, x: torch.Tensor, ts: bool = False) -> dict:
    torch.save(x, export_dir.parent / f"{export_dir.name}-input.pt")
    return {
        "dir": str(export_dir),
        "input": str(export_dir.parent / f"{export_dir.name}-input.pt"),
        "output": str(export_dir.parent / f"{export_dir.name}-output.pt"),
        "ts": ts,
    }
