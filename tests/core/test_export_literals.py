"""Every user string written into exported code is a literal: names, labels, class names and
paths with quotes, backslashes, triple quotes, newlines and non-ASCII export, import and run
without FT Studio, and a crafted string never runs as code."""

from __future__ import annotations

import json
import re
import textwrap

import pytest
import torch
from export_helpers import BLOCKER, run_python
from tiny_nets import TinyNet

from ftstudio.core.builder import build_model
from ftstudio.core.export import export_project
from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def payloads(marker: str) -> list[str]:
    """Strings that break naive code generation; each runs ``touch marker`` if executed."""
    run = f"__import__('pathlib').Path({marker!r}).write_text('pwned')"
    return [
        r"C:\New\unet\x41\N",
        f'x"""\n{run}\n"""',
        f"x'''\n{run}\n'''",
        f'"); {run}; ("',
        f"'); {run}; ('",
        f"name\n{run}\n# ",
        f"cr\r{run}\r",
        f"odd\u2028{run}\x0b\x0c\x85\x1c{run}",
        f"nul\x00{run}",
        "trailing backslash \\",
        "é ü 漢字 🙂 ‮rtl",
        '"',
        '"""',
    ]


def nasty_project(text: str, torchscript: str | None) -> Project:
    project = Project(
        name=text,
        input=InputSpec(shape=(3, 8, 8)),
        task=TaskSpec(kind="classification", num_classes=3),
    )
    first = (
        make_block("backbone_from_file", project, path=torchscript)
        if torchscript
        else make_block("flatten", project)
    )
    head = make_block("linear_classifier", project, classes=3)
    first.name, head.name = text, text + "\\"
    head.id = "head_" + "x" * 40
    project.blocks += [first, head]
    return project


CHECK = BLOCKER + textwrap.dedent(
    """
    import importlib, json, runpy
    import torch

    out = []
    for folder in json.loads(sys.argv[1]):
        sys.path.insert(0, folder)
        model = importlib.import_module("model")
        net = model.load_model()
        y = net(torch.zeros(2, *model.INPUT_SHAPE))
        for script in ("predict.py", "train.py"):
            runpy.run_path(folder + "/" + script, run_name="not_main")
        out.append({"doc": model.__doc__, "classes": model.CLASS_NAMES,
                    "shape": list(y.shape), "build": model.build_model.__doc__})
        sys.modules.pop("model", None)
        sys.modules.pop("layers", None)
        sys.path.remove(folder)
    print(json.dumps(out))
    """
)


def test_crafted_strings_export_as_literals_and_never_run(tmp_path):
    marker = tmp_path / "injected"
    script_dir = tmp_path / "ts \"q\" \\ ''' é\nline"
    script_dir.mkdir()
    script = script_dir / "net.pt"
    torch.jit.save(torch.jit.script(TinyNet().eval()), str(script))
    texts = payloads(str(marker))
    folders, expected = [], []
    for i, text in enumerate(texts):
        project = nasty_project(text, str(script) if i % 3 == 0 else None)
        checkpoint = tmp_path / f"ckpt {i} {text[:8]!r}\\.pt".replace("/", "_").replace("\x00", "")
        with open(checkpoint, "wb") as handle:  # torch refuses some names given as a path
            torch.save(build_model(project, load_weights=False).state_dict(), handle)
        classes = [text, text + "'", "plain"]
        out = tmp_path / f"out{i}"
        export_project(project, out, checkpoint, class_names=classes)
        readme_title = (out / "README.md").read_text(encoding="utf-8").splitlines()[0]
        assert readme_title.endswith(": exported from FT Studio")
        folders.append(str(out))
        expected.append(classes)
    result = run_python(CHECK, json.dumps(folders), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not marker.exists(), "a crafted name ran as code"
    found = json.loads(result.stdout.strip().splitlines()[-1])
    for text, classes, got in zip(texts, expected, found, strict=True):
        assert got["classes"] == classes and got["shape"] == [2, 3]
        first_word = re.findall(r"\w+", text)[:1]
        assert all(w in got["doc"] for w in first_word)  # the name still shows in the docstring
