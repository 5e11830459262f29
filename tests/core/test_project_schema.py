"""Issue 13: a strict schema for every section of a .ftproj file, every problem reported at
once, the file's structure checked, long messages summarised (items 1, 16, 18 and the
"validate checks every section", "file structure", "non-regular files" and "paths" points)."""

from __future__ import annotations

import json
import os
import time

import pytest

from ftstudio.cli import main
from ftstudio.core import project as project_io
from ftstudio.core.data.config import parse_classes
from ftstudio.core.errors import FTStudioError, ProjectFileError
from ftstudio.core.project import Project
from ftstudio.core.templates import TEMPLATES
from ftstudio.core.text import cut_message, summarise


def template(name: str = "digits-transfer") -> dict:
    return json.loads((TEMPLATES / f"{name}.ftproj").read_text())


def read_error(raw: dict | str) -> ProjectFileError:
    text = raw if isinstance(raw, str) else json.dumps(raw)
    with pytest.raises(ProjectFileError) as info:
        project_io.loads(text, "p.ftproj")
    return info.value


# ---------------------------------------------------------------- item 1: unknown keys


@pytest.mark.parametrize(
    ("change", "place", "key", "meant"),
    [
        (
            lambda r: r["blocks"][0].update(Frozen=True),
            "blocks[0] (id 'backbone')",
            "Frozen",
            "frozen",
        ),
        (
            lambda r: r["blocks"][0].update(frozen_stage=[]),
            "blocks[0]",
            "frozen_stage",
            "frozen_stages",
        ),
        (
            lambda r: r["blocks"][2].update(lr_scal=0.1),
            "blocks[2] (id 'classifier')",
            "lr_scal",
            "lr_scale",
        ),
        (lambda r: r["data"].update(val_fracton=0.5), "data", "val_fracton", "val_fraction"),
        (lambda r: r["data"].update(Seed=3), "data", "Seed", "seed"),
        (lambda r: r["training"].update(epoch=3), "training", "epoch", "epochs"),
        (lambda r: r["training"].update(batchsize=3), "training", "batchsize", "batch_size"),
        (lambda r: r["input"].update(shap=[3]), "input", "shap", "shape"),
        (lambda r: r["task"].update(num_clases=3), "task", "num_clases", "num_classes"),
        (lambda r: r.update(Blocks=[]), "the top level", "Blocks", "blocks"),
        (lambda r: r.update(trainig={}), "the top level", "trainig", "training"),
        (lambda r: r["data"].update(validation={"pth": "v.csv"}), "data.validation", "pth", "path"),
    ],
)
def test_unknown_keys_name_key_place_and_nearest_known_key(change, place, key, meant):
    raw = template()
    change(raw)
    message = str(read_error(raw))
    assert place in message and f'unknown key "{key}"' in message
    assert f"did you mean '{meant}'?" in message


def test_unknown_key_without_a_near_one_lists_the_known_keys():
    raw = template()
    raw["training"]["zzzz"] = 1
    message = str(read_error(raw))
    assert 'training: unknown key "zzzz"' in message and "epochs" in message


def test_unknown_block_parameter_suggests_the_nearest():
    raw = template()
    raw["blocks"][0]["params"]["widht"] = 8
    assert "did you mean 'width'?" in str(read_error(raw))


def test_an_unknown_key_is_never_saved_silently(tmp_path):
    """A project built in code with a typo is refused when read back, not silently fixed."""
    project = project_io.loads(json.dumps(template()))
    project.data["val_fracton"] = 0.5
    path = project_io.save(project, tmp_path / "p.ftproj")
    assert "val_fracton" in path.read_text()
    with pytest.raises(ProjectFileError, match="val_fracton"):
        project_io.load(path)


def test_migration_still_accepts_old_keys():
    raw = template()
    raw["layers"] = raw.pop("blocks")
    del raw["version"], raw["format"]
    assert len(project_io.loads(json.dumps(raw)).blocks) == 3


# ---------------------------------------------------------------- validate: every section


@pytest.mark.parametrize(
    ("section", "key", "value", "needle"),
    [
        ("training", "lr", 1e400, "training.lr"),
        ("training", "epochs", "15", "training.epochs"),
        ("training", "optimizer", "adamz", "training.optimizer"),
        ("training", "compile", "yes", "training.compile"),
        ("data", "val_fraction", "0.5", "data.val_fraction"),
        ("data", "source", "mnist", "data.source"),
        ("data", "samples", 1.5, "data.samples"),
        ("data", "flip", 1, "data.flip"),
        ("data", "classes", "5-", "data.classes"),
    ],
)
def test_data_and_training_values_are_checked_by_the_reader(section, key, value, needle):
    raw = template()
    raw[section][key] = value
    assert needle in str(read_error(json.dumps(raw).replace("Infinity", "1e400")))


def test_every_problem_is_reported_at_once():
    raw = template()
    raw["training"].update(lr=1e400, epochs="15")
    raw["data"].update(val_fraction="x", val_fracton=0.5, flip="no")
    raw["blocks"][0]["Frozen"] = True
    raw["blocks"][2]["lr_scale"] = -1
    raw["task"]["num_classes"] = 0
    error = read_error(json.dumps(raw).replace("Infinity", "1e400"))
    places = [
        "training.lr",
        "training.epochs",
        "data.val_fraction",
        "val_fracton",
        "data.flip",
        "Frozen",
        "lr_scale",
        "task.num_classes",
    ]
    for place in places:
        assert sum(place in p for p in error.problems) >= 1, place
    assert len(error.problems) == len(places)
    assert str(error).startswith(f"p.ftproj has {len(places)} problems:")


def test_validate_cli_prints_every_problem_and_exits_2(tmp_path, capsys):
    raw = template()
    raw["training"].update(epochs="15", lr=1e400)
    raw["data"]["val_fracton"] = 0.5
    path = tmp_path / "p.ftproj"
    path.write_text(json.dumps(raw).replace("Infinity", "1e400"))
    assert main(["validate", str(path)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3 and all(line.startswith("error: p.ftproj: ") for line in lines)
    assert main(["validate", str(path), "--json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and len(report["problems"]) == 3


# ---------------------------------------------------------------- file structure


@pytest.mark.parametrize(
    "text",
    [
        '{"format": "ftstudio-project", "version": 1, "name": "a", "name": "b"}',
        '{"format": "ftstudio-project", "version": 1, "training": {"lr": 0.1, "lr": 0.2}}',
        '{"format": "ftstudio-project", "version": 1, "blocks": [{"id": "a", "id": "b"}]}',
    ],
)
def test_duplicate_json_keys_are_an_error(text):
    assert "appears twice" in str(read_error(text))


@pytest.mark.parametrize("value", ["ftstudio", "FTSTUDIO-PROJECT", 1, None])
def test_format_must_be_ftstudio_project(value):
    raw = template()
    raw["format"] = value
    assert 'format: must be "ftstudio-project"' in str(read_error(raw))


def test_format_is_required_from_version_1():
    raw = template()
    del raw["format"]
    assert "format" in str(read_error(raw))


@pytest.mark.parametrize("kind", ["fifo", "dev_zero", "folder"])
def test_non_regular_files_are_refused_without_reading(tmp_path, kind):
    path = {"fifo": tmp_path / "p.ftproj", "dev_zero": "/dev/zero", "folder": tmp_path}[kind]
    if kind == "fifo":
        os.mkfifo(path)  # opening it for reading would block without O_NONBLOCK
    start = time.monotonic()
    with pytest.raises(ProjectFileError, match="not a regular file"):
        project_io.load(path)
    assert time.monotonic() - start < 5


def test_oversized_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(project_io, "MAX_FILE_BYTES", 100)
    path = tmp_path / "p.ftproj"
    path.write_text(json.dumps(template()))
    with pytest.raises(ProjectFileError, match="more than 100 bytes"):
        project_io.load(path)


@pytest.mark.parametrize(
    "value",
    ["resources:../../../../etc/passwd", "resources:/etc/passwd", "resources:weights/../../x"],
)
def test_resources_paths_cannot_escape(value):
    raw = template()
    raw["blocks"][0]["params"]["weights_file"] = value
    assert "outside FT Studio's resources" in str(read_error(raw))
    raw = template()
    raw["data"] = {"source": "csv", "path": value}
    assert "data.path" in str(read_error(raw))
    with pytest.raises(ProjectFileError, match="outside"):
        Project().resolve_path(value)


def test_resources_paths_inside_still_resolve():
    project = project_io.loads(json.dumps(template()))
    weights = project.resolve_path(project.blocks[0].params["weights_file"])
    assert os.path.isfile(weights)


# ---------------------------------------------------------------- item 16: bounded sizes


@pytest.mark.parametrize("spec", ["0-30000000", "5-100001", "0-4,0-99999999999999999999"])
def test_huge_class_ranges_are_refused_fast_with_a_short_message(spec):
    raw = template()
    raw["data"]["classes"] = spec
    start = time.monotonic()
    message = str(read_error(raw))
    assert time.monotonic() - start < 2
    assert "data.classes" in message and "100,000" in message and len(message) < 400


def test_classes_are_bounded_by_the_data_sets_real_classes():
    raw = template()
    raw["data"]["classes"] = "3-12"
    message = str(read_error(raw))
    assert "10, 11, 12 not among the data's classes" in message


def test_a_range_too_big_for_the_data_set_is_summarised():
    start = time.monotonic()
    with pytest.raises(FTStudioError) as info:
        parse_classes("0-99999", list(range(10)))
    assert time.monotonic() - start < 2
    assert "99,990 in all" in str(info.value) and len(str(info.value)) < 300


def test_no_message_is_longer_than_a_few_lines():
    assert len(str(FTStudioError("x" * 10**7))) < 2500
    many = FTStudioError("\n".join(f"line {i}" for i in range(10**5)))
    assert str(many).count("\n") < 12 and "line 99999" in str(many)
    assert summarise(range(3 * 10**7), 3 * 10**7) == "0, 1, 2, 3, 4, 5, 6, 7, … (30,000,000 in all)"
    assert cut_message("short") == "short"


def test_a_file_with_thousands_of_problems_gives_a_short_message():
    raw = template()
    raw["blocks"] = [{"id": f"b{i}", "type": "nope"} for i in range(5000)]
    error = read_error(raw)
    assert len(error.problems) == 100  # collecting stops there
    assert str(error).count("\n") <= 10 and "`ftstudio validate` lists them all" in str(error)


# ---------------------------------------------------------------- item 18: nesting depth


def nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize("depth", [20, 500, 900])
def test_deep_nesting_is_refused_by_the_reader(depth):
    raw = template()
    raw["data"]["validation"] = nested(depth)
    message = str(read_error(raw))
    assert "nested more than 16 levels" in message and "data.validation.a" in message
    assert len(message) < 600


def test_deep_nesting_in_a_dict_is_refused_by_from_dict():
    raw = template()
    raw["training"] = nested(3000)
    with pytest.raises(ProjectFileError, match="nested more than"):
        project_io.from_dict(raw, "p.ftproj")


# ---------------------------------------------------------------- acceptance 4: the format doc


def test_the_format_doc_states_every_declared_key_and_the_rules():
    from pathlib import Path

    from ftstudio.core import project_schema as schema

    doc = (Path(__file__).parents[2] / "docs" / "project-format.md").read_text()
    keys = (
        schema.TOP_LEVEL_KEYS
        + schema.INPUT_KEYS
        + schema.TASK_KEYS
        + schema.BLOCK_KEYS
        + schema.DATA_KEYS
        + schema.training_keys()
    )
    undocumented = [k for k in keys if f"`{k}`" not in doc]
    assert not undocumented, f"document these keys in docs/project-format.md: {undocumented}"
    for rule in ("Unknown keys are errors", "**Ids.**", "**Names**", "lr_scale: 0", "migrat"):
        assert rule in doc
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert "docs/project-format.md" in readme
