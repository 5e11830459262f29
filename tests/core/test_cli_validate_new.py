"""`ftstudio validate` and `ftstudio new`, run in-process: exit codes, table, JSON, templates."""

from __future__ import annotations

import json

import pytest

from ftstudio.cli import main
from ftstudio.core import project as project_io
from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block
from ftstudio.core.templates import list_templates, offline_templates


def save_stack(path, shape, *names, num_classes=10) -> Project:
    project = Project(
        name="cli", input=InputSpec(shape=shape), task=TaskSpec(num_classes=num_classes)
    )
    for name in names:
        project.blocks.append(make_block(name, project))
    project_io.save(project, path)
    return project


def test_validate_valid_prints_table_and_exits_0(tmp_path, capsys):
    path = tmp_path / "ok.ftproj"
    save_stack(path, (5, 24), "self_attention", "sequence_pool", "linear_classifier")
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    header = next(line for line in lines if line.split()[:3] == ["#", "name", "type"])
    assert "output" in header and "trainable" in header and "FLOPs" in header
    row = next(line for line in lines if line.lstrip().startswith("1 "))
    assert "self_attention" in row and "(B, 5, 24)" in row and "2.45K" in row
    assert any(line.lstrip().startswith("3 ") and "(B, 10)" in line for line in lines)
    assert "Total:" in out and "Training memory at batch 32" in out
    assert "Valid" in out


def test_validate_invalid_names_first_bad_block_and_fix(tmp_path, capsys):
    path = tmp_path / "bad.ftproj"
    save_stack(path, (24,), "mlp", "self_attention", "dropout", "linear_classifier")
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "Invalid at block 2 'Self-attention'" in out
    assert "Insert 'Sequence from vector'" in out
    assert "<-- error" in next(line for line in out.splitlines() if line.lstrip().startswith("2 "))
    assert "?" in next(line for line in out.splitlines() if line.lstrip().startswith("3 "))


def test_validate_task_mismatch_exits_1(tmp_path, capsys):
    path = tmp_path / "task.ftproj"
    save_stack(path, (24,), "linear_classifier", num_classes=3)
    assert main(["validate", str(path)]) == 1
    assert "3 classes" in capsys.readouterr().out


@pytest.mark.parametrize("content", [None, "{not json", '{"version": 99}'])
def test_validate_unreadable_exits_2_without_traceback(tmp_path, capsys, content):
    path = tmp_path / "p.ftproj"
    if content is not None:
        path.write_text(content)
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ") and "Traceback" not in captured.err
    assert captured.out == ""
    assert (path.read_text() if content is not None else None) == content


def test_validate_json(tmp_path, capsys):
    path = tmp_path / "j.ftproj"
    save_stack(path, (24,), "mlp", "self_attention")
    assert main(["validate", str(path), "--json", "--batch-size", "8"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and data["memory"]["batch_size"] == 8
    assert data["issue"]["index"] == 1 and data["issue"]["fix"] == "sequence_from_vector"
    assert [b["status"] for b in data["blocks"]] == ["ok", "error"]
    assert data["blocks"][0]["out_shape"] == [64]


def test_validate_json_batch_size_changes_memory(tmp_path, capsys):
    path = tmp_path / "m.ftproj"
    save_stack(path, (24,), "mlp", "linear_classifier")
    totals = []
    for batch in ("1", "64"):
        assert main(["validate", str(path), "--json", "--batch-size", batch]) == 0
        totals.append(json.loads(capsys.readouterr().out)["memory"]["activations"])
    assert totals[1] == 64 * totals[0] > 0


def test_validate_refuses_zero_batch_size(tmp_path, capsys):
    path = tmp_path / "m.ftproj"
    save_stack(path, (24,), "linear_classifier")
    assert main(["validate", str(path), "--batch-size", "0"]) == 2
    assert "--batch-size" in capsys.readouterr().err


@pytest.mark.parametrize("template", offline_templates())
def test_new_from_each_template_then_validates(tmp_path, capsys, template):
    path = tmp_path / f"{template}.ftproj"
    assert main(["new", "--template", template, str(path)]) == 0
    assert str(path.resolve()) in capsys.readouterr().out
    project = project_io.load(path)
    assert project.name == template and project.blocks
    assert main(["validate", str(path)]) == 0, capsys.readouterr().out


def test_new_adds_suffix_and_refuses_to_overwrite(tmp_path, capsys):
    template = list_templates()[0]
    target = tmp_path / "mine"
    assert main(["new", "--template", template, str(target)]) == 0
    written = tmp_path / "mine.ftproj"
    before = written.read_bytes()
    capsys.readouterr()
    assert main(["new", "--template", template, str(written)]) == 1
    err = capsys.readouterr().err
    assert "already exists" in err and "Traceback" not in err
    assert written.read_bytes() == before
    assert main(["new", "--template", template, "--force", str(written)]) == 0


def test_new_default_template_exists(tmp_path):
    assert main(["new", str(tmp_path / "default.ftproj")]) == 0
    assert project_io.load(tmp_path / "default.ftproj").blocks


def test_new_unknown_template_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["new", "--template", "nope", str(tmp_path / "x.ftproj")])
    assert info.value.code == 2 and "nope" in capsys.readouterr().err
    assert not (tmp_path / "x.ftproj").exists()


def test_validate_shows_long_block_names_whole_and_clips_only_very_long_ones(tmp_path, capsys):
    path = tmp_path / "names.ftproj"
    project = save_stack(path, (5, 24), "self_attention", "sequence_pool", "linear_classifier")
    whole = "Self-attention over the token sequence (4 heads)"  # 48 characters
    project.blocks[0].name = whole
    project.blocks[1].name = "Pool " + "x" * 80
    project_io.save(project, path)
    assert main(["validate", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(line for line in lines if line.split()[:3] == ["#", "name", "type"])
    rows = [line for line in lines if line.lstrip()[:2] in ("1 ", "2 ", "3 ")]
    assert whole in rows[0]  # the old table cut names at 24 characters
    assert ("Pool " + "x" * 42 + "…") in rows[1] and "x" * 44 not in rows[1]
    assert {row.index("(B,") for row in rows} == {header.index("output")}  # columns line up
