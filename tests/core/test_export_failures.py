"""A requested export format that is not written is a failure: the core refuses ONNX without
the package before writing anything, the CLI exits 1 naming the install command, and a format
that could not be traced makes the CLI exit 1 too; the exported predict.py names Pillow when
it is missing (issue 9, acceptance 3)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from export_helpers import BLOCKER, run_python

from ftstudio.cli import main
from ftstudio.core.export import ExportError, export_project
from ftstudio.core.export import formats as extra
from ftstudio.core.templates import load_template

INSTALL = "pip install 'ftstudio[onnx]'"


@pytest.fixture
def no_onnx(monkeypatch):
    """``import onnx`` fails, as where the package is not installed."""
    monkeypatch.setitem(sys.modules, "onnx", None)


@pytest.fixture
def project_file(tmp_path):
    path = tmp_path / "p.ftproj"
    assert main(["new", "--template", "seed-sequence", str(path)]) == 0
    return path


def test_onnx_without_the_package_is_refused_before_anything_is_written(tmp_path, no_onnx):
    out = tmp_path / "out"
    with pytest.raises(ExportError, match=r"pip install 'ftstudio\[onnx\]'"):
        export_project(load_template("seed-sequence"), out, formats=("onnx",))
    assert not out.exists()


def test_onnx_without_onnxruntime_is_refused_too(monkeypatch):
    """onnxruntime runs the ONNX parity check: without it, ONNX is not offered as done."""
    pytest.importorskip("onnx")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    message = extra.onnx_missing()
    assert message is not None and "'onnxruntime' package" in message and INSTALL in message
    assert "'onnx' " not in message


def test_cli_onnx_without_the_package_exits_1_with_the_install_command(
    tmp_path, project_file, no_onnx, capsys
):
    out = tmp_path / "out"
    code = main(["export", str(project_file), "--out", str(out), "--onnx"])
    err = capsys.readouterr().err
    assert code == 1
    assert INSTALL in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_cli_torchscript_that_cannot_be_traced_exits_1(tmp_path, project_file, monkeypatch, capsys):
    def fail(model, shape):
        raise RuntimeError("cannot trace this")

    monkeypatch.setattr(extra, "torchscript_bytes", fail)
    out = tmp_path / "out"
    code = main(["export", str(project_file), "--out", str(out), "--torchscript"])
    captured = capsys.readouterr()
    assert code == 1
    assert "torchscript was asked for but not written" in captured.err
    assert "cannot trace this" in captured.err and "Traceback" not in captured.err
    assert (out / "model.py").is_file() and not (out / "model.ts").exists()
    assert main(["export", str(project_file), "--out", str(out)]) == 0  # nothing asked, all ok


NO_PIL = textwrap.dedent(
    """
    class NoPillow:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] == "PIL":
                raise ImportError("Pillow is not installed here (export test)")
            return None

    sys.meta_path.insert(0, NoPillow())
    for name in [m for m in sys.modules if m.split(".")[0] == "PIL"]:
        del sys.modules[name]
    import runpy
    sys.argv = ["predict.py", *sys.argv[1:]]
    runpy.run_path("predict.py", run_name="__main__")
    """
)


@pytest.fixture(scope="module")
def digits_export(tmp_path_factory):
    out = tmp_path_factory.mktemp("digits") / "out"
    export_project(load_template("digits-transfer"), out, check=False)
    return out


def test_predict_on_an_image_without_pillow_names_the_package(tmp_path, digits_export):
    from PIL import Image

    out = digits_export
    image = tmp_path / "digit.webp"  # not .png: Pillow-only formats are still images
    Image.new("L", (16, 16), color=128).save(image)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}
    done = subprocess.run(
        [sys.executable, "-c", BLOCKER + NO_PIL, str(image)],
        cwd=out,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert "pip install pillow" in line and str(image) in line


NO_NUMPY = textwrap.dedent(
    """
    class NoNumpy:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] == "numpy":
                raise ModuleNotFoundError(f"No module named {name!r} (export test)", name=name)
            return None

    sys.meta_path.insert(0, NoNumpy())
    import runpy
    sys.argv = ["predict.py", *sys.argv[1:]]
    runpy.run_path("predict.py", run_name="__main__")
    """
)


def test_predict_on_a_npy_file_without_numpy_names_the_package(tmp_path, digits_export):
    import numpy as np

    sample = tmp_path / "sample.npy"
    np.save(sample, np.zeros((1, 16, 16), dtype=np.float32))
    done = run_python(BLOCKER + NO_NUMPY, str(sample), cwd=digits_export)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert "pip install numpy" in line and str(sample) in line


def test_a_project_its_data_cannot_feed_exports_a_train_py_that_says_why(tmp_path):
    """The digits source cannot feed a (6, 8) input: the app refuses to train it, so the
    exported train.py stops with the app's message instead of failing the whole export."""
    from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block

    project = Project(name="mismatch", input=InputSpec(shape=(6, 8)), task=TaskSpec(num_classes=3))
    for type_name, params in (("mlp", {"hidden": 4}), ("flatten", {})):
        project.blocks.append(make_block(type_name, project, **params))
    project.blocks.append(make_block("linear_classifier", project, classes=3))
    result = export_project(project, tmp_path / "out", check=False)
    done = subprocess.run(
        [sys.executable, "train.py", "--epochs", "1"],
        cwd=result.out_dir,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": ""},
    )
    assert done.returncode != 0
    assert "model's input is [6, 8]" in done.stderr and "Traceback" not in done.stderr
