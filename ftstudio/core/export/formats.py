"""Optional formats: TorchScript (``model.ts``) and ONNX (``model.onnx``)."""

from __future__ import annotations

import importlib.util
import io
import sys
import warnings
from pathlib import Path

import torch
from torch import nn

from ftstudio.core.tempfiles import atomic_write_bytes

ONNX_INSTALL = "pip install 'ftstudio[onnx]'"


def onnx_missing() -> str | None:
    """Why ONNX cannot be written and checked here (``onnx`` or ``onnxruntime``, which runs
    the parity check, does not import), or None."""
    missing = [name for name in ("onnx", "onnxruntime") if not _importable(name)]
    if not missing:
        return None
    names = " and ".join(f"'{name}'" for name in missing)
    package = "package, which is" if len(missing) == 1 else "packages, which are"
    return (
        f"ONNX export needs the {names} {package} not installed. Install the ONNX extra with "
        f"{ONNX_INSTALL} and export again, or export without ONNX."
    )


def _importable(name: str) -> bool:
    """``import name`` would find the package (without importing it: onnxruntime is slow)."""
    if name in sys.modules:
        return sys.modules[name] is not None
    return importlib.util.find_spec(name) is not None


def example_input(input_shape: tuple[int, ...], batch: int = 2) -> torch.Tensor:
    """A fixed, seeded example batch for tracing."""
    return torch.randn((batch, *input_shape), generator=torch.Generator().manual_seed(0))


def torchscript_bytes(model: nn.Module, input_shape: tuple[int, ...]) -> bytes:
    """``model`` traced in eval mode on an example batch, saved as TorchScript.

    Tracing records the eval-mode graph: dropout is off in the traced module.
    """
    was_training = model.training
    model.eval()
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # torch.jit deprecation and tracer warnings
            traced = torch.jit.trace(model, example_input(input_shape), check_trace=False)
            buffer = io.BytesIO()
            torch.jit.save(traced, buffer)
    finally:
        model.train(was_training)
    return buffer.getvalue()


def write_onnx(model: nn.Module, input_shape: tuple[int, ...], path: Path) -> str | None:
    """Write ``model.onnx``; return None on success, or why it was skipped (never raises)."""
    missing = onnx_missing()
    if missing is not None:
        return missing
    was_training = model.training
    fastpath = torch.backends.mha.get_fastpath_enabled()
    model.eval()
    try:
        # the fused transformer kernel (aten::_transformer_encoder_layer_fwd) has no ONNX
        # form; its plain ops compute the same
        torch.backends.mha.set_fastpath_enabled(False)
        buffer = io.BytesIO()
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                (example_input(input_shape),),
                buffer,
                input_names=["input"],
                output_names=["output"],
                dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                dynamo=False,
            )
        atomic_write_bytes(path, buffer.getvalue())
    except Exception as exc:  # noqa: BLE001 - an optional format must never fail the export
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return (
            f"ONNX skipped: torch.onnx.export failed ({first}). model.py and model.ts still work."
        )
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)
        model.train(was_training)
    return None
