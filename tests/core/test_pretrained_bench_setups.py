"""Issue 11, acceptance 2: the projects bench/pretrained_vs_scratch.py trains are the three
setups it claims (frozen + head, last stage unfrozen, random init) on a 64x64 RGB digits
folder, built through the real project path."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import torch
from PIL import Image
from safetensors.torch import load_file, save_file

from ftstudio.core import project as project_io
from ftstudio.core.blocks.layers import SmallCNN
from ftstudio.core.builder import build_model

ROOT = Path(__file__).resolve().parents[2]


def _module(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_three_setups_freeze_and_load_what_they_claim(tmp_path):
    bench = _module(ROOT / "bench" / "pretrained_vs_scratch.py")
    script = bench.load_script()
    folder = tmp_path / "digits"
    count = script.write_digits_folder(folder, [5])
    files = sorted((folder / "5").iterdir())
    assert count == len(files) == 182  # every 5 of scikit-learn's digits
    with Image.open(files[0]) as image:
        assert image.size == (64, 64) and image.mode == "RGB"

    torch.manual_seed(0)
    p = script.BACKBONE
    cnn = SmallCNN(3, p["width"], p["stages"], pooled=True)
    weights = tmp_path / "cnn.safetensors"
    save_file({k: v.contiguous() for k, v in cnn.state_dict().items()}, str(weights))
    shipped = load_file(str(weights))
    args = SimpleNamespace(
        epochs=1, lr=0.01, device="cpu", val_fraction=0.5, head_lr_scale=10.0, batch_size=32
    )
    for setup in ("frozen", "last-stage", "scratch"):
        raw = bench.project_dict(script, folder, str(weights), setup, args)
        model = build_model(project_io.from_dict(raw, setup))
        backbone = model.get_submodule("backbone")
        same = [torch.equal(v, shipped[k]) for k, v in backbone.state_dict().items()]
        assert all(same) if setup != "scratch" else not all(same), setup
        trainable = {n.split(".")[1] for n, q in backbone.named_parameters() if q.requires_grad}
        expected = {"frozen": set(), "last-stage": {str(p["stages"] - 1)}}.get(setup)
        if expected is None:  # scratch: every stage trains
            expected = {str(i) for i in range(p["stages"])}
        assert trainable == expected, (setup, trainable)
