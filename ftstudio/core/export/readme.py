"""The exported folder's ``README.md``."""

from __future__ import annotations

from ftstudio.core.export.model_source import ModelInfo, one_line


def readme_text(
    name: str, info: ModelInfo, files: dict[str, str], torchscript: bool, weights_from: str
) -> str:
    """A short README: what each file is, and the three commands.

    Parameters
    ----------
    name : str
        The project's name.
    info : ModelInfo
        Shapes and task, as written into ``model.py``.
    files : dict of str to str
        File name -> one-line description, in the order to list them.
    torchscript : bool
        True when ``model.py`` loads its structure from ``model.ts``.
    weights_from : str
        Where the weights came from (a checkpoint path or the project's own initialisation).
    """
    example = "sample.npy" if len(info.input_shape) != 3 else "image.png"
    listing = "\n".join(f"- `{f}`: {what}" for f, what in files.items())
    note = (
        "\nOne block of this project is a TorchScript file with no Python source, so the whole "
        "model is exported as TorchScript (`model.ts`, traced in eval mode: dropout and "
        "BatchNorm statistics stay as in evaluation, also in `train.py`).\n"
        if torchscript
        else ""
    )
    prep = info.preprocessing
    if prep:
        size = "x".join(map(str, prep["size"]))
        steps = (
            f"shorter side resized to {prep['resize']}, centre crop to {size}"
            if prep.get("resize")
            else f"resized to {size}"
        )
        note += (
            f"\nImages are prepared as in FT Studio ({one_line(prep.get('source') or '')}): "
            f"{steps}{_resampling(prep)}, scaled to [0, 1], normalised with mean "
            f"{[round(v, 4) for v in prep['mean']]} and std {[round(v, 4) for v in prep['std']]} "
            "(`PREPROCESSING` in `model.py`; `predict.py` applies it).\n"
        )
    if info.standardize is not None:
        note += (
            "\nThe model was trained on standardized features (`data.standardize`): pass raw "
            "samples through `standardize()` from `model.py` before `model(x)` (`predict.py` and "
            "`train.py` do; `model.ts`/`model.onnx` take standardized samples too).\n"
        )
    return f"""# {one_line(name)}: exported from FT Studio

Plain PyTorch that runs without FT Studio: needs `torch`, `safetensors` (and `torchvision` for
torchvision backbones or image inputs, `timm` for timm backbones, `numpy` for .npy/.npz files).

Input: one sample of shape `{list(info.input_shape)}` (batched as `(B, ...)`); task:
`{info.task}`; output per sample: `{list(info.output_shape)}`. Weights: {one_line(weights_from)}.
{note}
## Files

{listing}

`ftstudio-export.json` lists these files with their SHA-256 and holds the parity check FT Studio
ran after writing them: each model file's largest absolute difference from the app's model.

## Commands

```
python predict.py {example}                      # predicted class / values per sample
python predict.py {example} --top-k 3 --json     # the 3 likeliest classes, as JSON
python train.py                                  # the project's training run (--help)
torchrun --nproc-per-node 2 train.py             # the same with DistributedDataParallel
python -c "from model import load_model; print(load_model())"
```

In your own code:

```python
from model import load_model, INPUT_SHAPE
model = load_model("model.safetensors", device="cpu")  # eval mode
```
"""


def _resampling(prep: dict) -> str:
    """`` (bicubic resampling)`` where the weights ask for other than torchvision's bilinear."""
    mode = prep.get("interpolation")
    return f" ({mode} resampling)" if mode and mode != "bilinear" else ""
