"""Acceptance 4: the .ftproj file round-trips byte for byte, saves atomically, and every bad
file gives one clear ProjectFileError that names the field, without overwriting anything."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ftstudio.core import blocks
from ftstudio.core import project as project_io
from ftstudio.core.errors import ProjectFileError
from ftstudio.core.project import FORMAT_VERSION, InputSpec, Project, TaskSpec, make_block
from ftstudio.core.templates import TEMPLATES, list_templates


def every_block_project() -> Project:
    project = Project(name="every block", input=InputSpec(shape=(3, 32, 32)), task=TaskSpec())
    for block_type in blocks.all_types():
        spec = make_block(block_type.name, project)
        spec.name = f"My {block_type.title} ✓"
        spec.lr_scale = 0.5
        project.blocks.append(spec)
    project.blocks[0].frozen = True
    project.blocks[1].frozen_stages = ["stage1"]
    project.data = {
        "source": "csv",
        "path": "d.csv",
        "feature_columns": ["z", "a"],
        "validation": {"path": "v.csv", "val_fraction": 0.5},
    }
    project.training = {"epochs": 3, "lr": 1e-3}
    return project


def round_trip_bytes(first: Path, tmp_path: Path) -> tuple[bytes, bytes]:
    a, b = tmp_path / "a.ftproj", tmp_path / "b.ftproj"
    project_io.save(project_io.load(first), a)
    project_io.save(project_io.load(a), b)
    return a.read_bytes(), b.read_bytes()


@pytest.mark.parametrize("name", list_templates())
def test_template_round_trip_is_byte_identical(name, tmp_path):
    saved, again = round_trip_bytes(TEMPLATES / f"{name}.ftproj", tmp_path)
    assert saved == again
    assert project_io.load(tmp_path / "a.ftproj") == project_io.load(TEMPLATES / f"{name}.ftproj")


def test_every_block_type_round_trips(tmp_path):
    original = every_block_project()
    first = tmp_path / "every.ftproj"
    project_io.save(original, first)
    saved, again = round_trip_bytes(first, tmp_path)
    assert saved == again == first.read_bytes()
    loaded = project_io.load(first)
    assert loaded == original
    assert [b.type for b in loaded.blocks] == [t.name for t in blocks.all_types()]


def test_key_order_is_fixed_whatever_the_input_order(tmp_path):
    raw = json.loads(project_io.dumps(every_block_project()))
    shuffled = {k: raw[k] for k in reversed(list(raw))}
    shuffled["blocks"] = [{k: b[k] for k in reversed(list(b))} for b in raw["blocks"]]
    text = json.dumps(shuffled)
    assert project_io.dumps(project_io.loads(text)) == project_io.dumps(every_block_project())
    assert list(raw)[:3] == ["format", "version", "name"]


def test_save_is_atomic_when_replace_fails(tmp_path, monkeypatch):
    path = tmp_path / "p.ftproj"
    project_io.save(every_block_project(), path)
    old = path.read_bytes()
    changed = every_block_project()
    changed.name = "changed"

    def broken_replace(src, dst):
        raise OSError("disk full (test)")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        project_io.save(changed, path)
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.ftproj"]  # no temp file left


def test_save_is_atomic_when_writing_fails_midway(tmp_path, monkeypatch):
    path = tmp_path / "p.ftproj"
    project_io.save(every_block_project(), path)
    old = path.read_bytes()

    def broken_fsync(fd):
        raise OSError("I/O error (test)")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="I/O error"):
        project_io.save(Project(name="other"), path)
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.ftproj"]


def test_saving_nan_is_refused_before_touching_the_file(tmp_path):
    path = tmp_path / "p.ftproj"
    project_io.save(Project(), path)
    old = path.read_bytes()
    bad = Project(training={"lr": float("nan")})
    with pytest.raises(ProjectFileError, match="NaN"):
        project_io.save(bad, path)
    assert path.read_bytes() == old


# ---------------------------------------------------------------- bad files


def good_raw() -> dict:
    return json.loads((TEMPLATES / "seed-sequence.ftproj").read_text())


def with_change(change) -> str:
    raw = good_raw()
    change(raw)
    return json.dumps(raw, indent=2)


def expect_load_error(tmp_path: Path, text: str | bytes, *needles: str) -> ProjectFileError:
    """Load ``text`` from a file: a ProjectFileError naming ``needles``, and nothing written."""
    path = tmp_path / "bad.ftproj"
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    stamp = path.stat().st_mtime_ns
    with pytest.raises(ProjectFileError) as info:
        project_io.load(path)
    message = str(info.value)
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"
    assert "Traceback" not in message
    assert "\n" not in message or len(info.value.problems) > 1  # one line per problem
    assert info.value.__cause__ is None  # shown alone, not chained to a Python error
    assert path.read_bytes() == text and path.stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == ["bad.ftproj"]
    return info.value


def test_truncated_json(tmp_path):
    text = (TEMPLATES / "seed-sequence.ftproj").read_text()
    expect_load_error(tmp_path, text[: len(text) // 2], "bad.ftproj", "not valid JSON", "line ")


def test_newer_format_version(tmp_path):
    text = with_change(lambda r: r.update(version=FORMAT_VERSION + 7))
    expect_load_error(tmp_path, text, "newer", f"format {FORMAT_VERSION + 7}", "Update")


def test_unknown_block_type(tmp_path):
    text = with_change(lambda r: r["blocks"][1].update(type="quantum_attention"))
    expect_load_error(tmp_path, text, "blocks[1]", "'attention'", "quantum_attention")


def test_wrong_param_type(tmp_path):
    text = with_change(lambda r: r["blocks"][1]["params"].update(heads="four"))
    expect_load_error(tmp_path, text, "blocks[1]", "'heads'", "whole number", "'four'")


def test_out_of_range_value(tmp_path):
    text = with_change(lambda r: r["blocks"][0]["params"].update(dropout=1.5))
    expect_load_error(tmp_path, text, "blocks[0]", "'dropout'", "between 0 and 0.95", "1.5")


@pytest.mark.parametrize(
    ("change", "needles"),
    [
        (lambda r: r["input"].update(shape=[-100, 128]), ("input.shape[0]", "-100")),
        (lambda r: r["input"].update(shape=[100, 10**12]), ("input.shape[1]", "1000000000000")),
        (lambda r: r["input"].update(shape=[0]), ("input.shape[0]", "between 1")),
        (lambda r: r["input"].update(shape=[65536, 65536]), ("input.shape", "limit")),
        (lambda r: r["input"].update(shape=[1, 2, 3, 4]), ("input.shape", "1 to 3 sizes")),
        (lambda r: r["blocks"][0]["params"].update(hidden=-64), ("blocks[0]", "'hidden'", "-64")),
        (lambda r: r["blocks"][0]["params"].update(hidden=10**12), ("'hidden'", "1000000000000")),
        (lambda r: r["blocks"][2]["params"].update(classes=0), ("blocks[2]", "'classes'")),
        (lambda r: r["task"].update(num_classes=-3), ("task.num_classes", "-3")),
        (lambda r: r["blocks"][1].update(lr_scale=-1), ("blocks[1]", "lr_scale")),
    ],
)
def test_absurd_values(tmp_path, change, needles):
    expect_load_error(tmp_path, with_change(change), *needles)


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("null", ("bad.ftproj", "top level", "object")),
        (
            '{"format": "ftstudio-project", "version": 1, "blocks": {}}',
            ("bad.ftproj", "blocks", "a list"),
        ),
        (
            '{"format": "ftstudio-project", "version": 1, "data": 5}',
            ("bad.ftproj", "data", "object"),
        ),
        ('{"version": "1"}', ("version", "whole number")),
        (
            '{"format": "ftstudio-project", "version": 1, "training": {"lr": NaN}}',
            ("NaN", "line 1"),
        ),
        ("[" * 100000 + "]" * 100000, ("bad.ftproj", "nested too deeply")),
        (
            '{"format": "ftstudio-project", "version": 1, "name": ' + "9" * 5000 + "}",
            ("bad.ftproj", "digits"),
        ),
        (
            '{"format": "ftstudio-project", "version": 1, "blocks": [{"id": "1x", "type": "mlp"}]}',
            ("blocks[0].id",),
        ),
        (
            '{"format": "ftstudio-project", "version": 1, "blocks": [{"id": "a", "type": "mlp"}, {"id": "a", "type": "mlp"}]}',
            ("blocks[1]", "'a'", "twice"),
        ),
        (
            '{"format": "ftstudio-project", "version": 1, "blocks": [{"id": "a", "type": "mlp", "bogus": 1,'
            ' "params": {"hiddn": 3}}]}',
            ("blocks[0]", "unknown parameter 'hiddn'", 'unknown key "bogus"', "2 problems"),
        ),
        (
            '{"format": "ftstudio-project", "version": 1, "blocks": [{"id": "a", "type": "mlp", "frozen": "yes"}]}',
            ("blocks[0]", "frozen"),
        ),
    ],
)
def test_other_bad_files(tmp_path, text, needles):
    expect_load_error(tmp_path, text, *needles)


def test_not_utf8(tmp_path):
    expect_load_error(tmp_path, b'{"name": "\xff\xfe"}', "Cannot read", "bad.ftproj")


def test_missing_file(tmp_path):
    missing = tmp_path / "nowhere" / "gone.ftproj"
    with pytest.raises(ProjectFileError) as info:
        project_io.load(missing)
    assert str(missing) in str(info.value) and "ftstudio new" in str(info.value)
    assert not missing.parent.exists()


def test_migration_from_version_0(tmp_path):
    raw = good_raw()
    raw["layers"] = raw.pop("blocks")
    del raw["version"]  # format 0 had no version field
    path = tmp_path / "old.ftproj"
    path.write_text(json.dumps(raw))
    project = project_io.load(path)
    assert [b.id for b in project.blocks] == ["encoder", "attention", "classifier"]
    assert project.blocks[0].frozen
    project_io.save(project, path)
    saved = json.loads(path.read_text())
    assert saved["version"] == FORMAT_VERSION and "layers" not in saved
    assert project_io.load(path) == project


def test_migration_explicit_version_0_and_hook_table():
    assert set(project_io.MIGRATIONS) == set(range(FORMAT_VERSION))
    raw = {"version": 0, "layers": [{"id": "m", "type": "mlp"}]}
    assert project_io.loads(json.dumps(raw)).blocks[0].params == blocks.get("mlp").resolve({})
