"""Dirty flag and save prompt, atomic save, broken files, dropped files, recovery, settings."""

import json

import pytest

from ftstudio.core import project as project_io
from ftstudio.core.errors import ProjectFileError
from ftstudio.core.project import to_dict
from ftstudio.core.templates import load_template
from ftstudio.gui import qt_project_files


def edit(window):
    window.model.insert_type(1, "layer_norm")


def test_dirty_flag_title_and_save(window, tmp_path):
    assert not window.isWindowModified()
    edit(window)
    assert window.isWindowModified() and window.files.is_dirty()
    target = tmp_path / "saved.ftproj"
    window.dialogs.save_path = str(target)
    assert window.files.save()
    assert not window.isWindowModified()
    assert to_dict(project_io.load(target)) == to_dict(window.doc.project)
    assert not list(tmp_path.glob(".saved.ftproj.*"))  # no temp file left by the atomic save
    window.undo.undo()
    assert window.isWindowModified()


@pytest.mark.parametrize("answer", ["cancel", "discard", "save"])
def test_save_prompt_on_new(window, tmp_path, answer):
    edit(window)
    edited = to_dict(window.doc.project)
    window.dialogs.save_answer = answer
    window.dialogs.save_path = str(tmp_path / "kept.ftproj")
    done = window.files.new()
    assert window.dialogs.asked[0] == "save_changes"
    if answer == "cancel":
        assert not done and to_dict(window.doc.project) == edited
    else:
        assert done and window.doc.blocks == [] and not window.isWindowModified()
    assert (tmp_path / "kept.ftproj").exists() == (answer == "save")


def test_save_prompt_on_close_can_cancel(window):
    window.show()
    edit(window)
    window.dialogs.save_answer = "cancel"
    assert not window.close()
    assert window.isVisible()
    window.dialogs.save_answer = "discard"
    assert window.close()


def test_save_prompt_on_open(window, tmp_path):
    other = tmp_path / "other.ftproj"
    project_io.save(load_template("image-resnet18"), other)
    edit(window)
    window.dialogs.save_answer = "cancel"
    assert not window.files.open(str(other))
    assert window.doc.project.name == "seed-sequence"
    window.dialogs.save_answer = "discard"
    assert window.files.open(str(other))
    assert window.doc.project.path == other.resolve() and not window.isWindowModified()


def bad_files(tmp_path):
    good = json.loads(project_io.dumps(load_template("seed-sequence")))

    def variant(change):
        raw = json.loads(json.dumps(good))
        change(raw)
        return json.dumps(raw)

    return {
        "truncated": project_io.dumps(load_template("seed-sequence"))[:120],
        "newer-version": variant(lambda r: r.update(version=99)),
        "unknown-type": variant(lambda r: r["blocks"][0].update(type="warp_drive")),
        "wrong-param-type": variant(lambda r: r["blocks"][0]["params"].update(hidden="big")),
        "out-of-range": variant(lambda r: r["blocks"][0]["params"].update(hidden=-3)),
        "absurd-dims": variant(lambda r: r["input"].update(shape=[10**12, 128])),
    }


BAD = [
    "truncated",
    "newer-version",
    "unknown-type",
    "wrong-param-type",
    "out-of-range",
    "absurd-dims",
    "missing",
]


@pytest.mark.parametrize("kind", BAD)
def test_broken_project_shows_core_message_and_keeps_project(window, tmp_path, kind):
    path = tmp_path / f"{kind}.ftproj"
    if kind != "missing":
        path.write_text(bad_files(tmp_path)[kind], encoding="utf-8")
    with pytest.raises(ProjectFileError) as core_error:
        project_io.load(path)
    edit(window)
    before = to_dict(window.doc.project)
    assert not window.files.open(str(path))
    assert window.dialogs.errors == [("Cannot open project", str(core_error.value))]
    assert to_dict(window.doc.project) == before
    assert window.isWindowModified()  # still the same unsaved edits


def test_dropped_files(window, tmp_path):
    weights = tmp_path / "net.safetensors"
    weights.write_bytes(b"")
    window.files.drop_paths([str(weights)])
    assert window.doc.blocks[0].type == "backbone_from_file"
    assert window.doc.blocks[0].params["path"] == str(weights)
    images = tmp_path / "images"
    images.mkdir()
    window.files.drop_paths([str(images)])
    assert window.doc.project.data == {"source": "image-folder", "path": str(images)}
    window.files.drop_paths([str(tmp_path / "notes.txt")])
    assert "notes.txt" in window.dialogs.errors[-1][1]
    project_file = tmp_path / "dropped.ftproj"
    project_io.save(load_template("image-resnet18"), project_file)
    window.files.drop_paths([str(project_file)])
    assert window.doc.project.path == project_file.resolve()


def test_recovery_after_simulated_crash(make_window, monkeypatch, qtbot, tmp_path):
    monkeypatch.setattr(qt_project_files, "AUTOSAVE_MS", 10)
    crashed = make_window()
    edit(crashed)
    crashed.stack_view.select_row(0)
    crashed.properties.apply_param("hidden", 80)
    recovery = crashed.files.recovery
    qtbot.waitUntil(lambda: recovery.exists() and "80" in recovery.path.read_text(), timeout=5000)
    unsaved = to_dict(crashed.doc.project)
    # the "crashed" process never closed; a new one starts and finds the recovery file
    restarted = make_window()
    assert restarted.files.offer_recovery()
    assert restarted.dialogs.asked == ["recovery"]
    assert to_dict(restarted.doc.project) == unsaved
    assert restarted.isWindowModified()


def test_clean_close_leaves_nothing_to_recover(make_window, monkeypatch, qtbot):
    monkeypatch.setattr(qt_project_files, "AUTOSAVE_MS", 10)
    window = make_window()
    edit(window)
    qtbot.waitUntil(window.files.recovery.exists, timeout=5000)
    assert window.close()  # the fake dialog answers "discard"
    assert not window.files.recovery.exists()
    again = make_window()
    assert not again.files.offer_recovery() and again.dialogs.asked == []


def test_layout_and_recent_files_persist(make_window, tmp_path):
    first = make_window()
    first.show()
    first.palette_dock.hide()
    path = tmp_path / "recent.ftproj"
    project_io.save(load_template("seed-sequence"), path)
    first.files.open(str(path))
    assert first.close()
    second = make_window()
    assert second.palette_dock.isHidden()
    assert second.files.recent()[0] == str(path.resolve())


@pytest.mark.parametrize("name", ["resnet18_finetuned.pth", "lightning.ckpt"])
def test_a_dropped_state_dict_is_recognised_not_made_torchscript(window, settle, tmp_path, name):
    import torch
    import torchvision

    weights = tmp_path / name
    state = torchvision.models.resnet18(weights=None, num_classes=10).state_dict()
    if name.endswith(".ckpt"):  # a Lightning checkpoint
        state = {"epoch": 1, "state_dict": {f"model.{k}": v for k, v in state.items()}}
    torch.save(state, weights)
    window.doc.project.input.shape = (3, 64, 64)
    window.files.drop_paths([str(weights)])
    spec = window.doc.blocks[0]
    assert spec.type == "backbone_from_file" and spec.params["architecture"] == "auto"
    settle(window)
    report = window.validator.report
    assert report.blocks[0].status == "ok", report.issue
    assert report.blocks[0].note.startswith("resnet18 (guessed from the file)")
    window.stack_view.select_row(0)
    props = window.properties
    assert props.note.isVisibleTo(props)
    assert props.note.text().startswith("resnet18 (guessed from the file)")


def test_a_dropped_file_of_unknown_kind_is_no_shape_error(window, settle, tmp_path):
    weights = tmp_path / "notes.pth"
    weights.write_bytes(b"not weights at all")
    window.doc.project.input.shape = (3, 64, 64)
    window.files.drop_paths([str(weights)])
    settle(window)
    issue = window.validator.report.issue
    assert issue is not None and issue.index == 0 and issue.kind == "weights"
    text = window.status.validity.text()
    assert "Weights problem at block 1" in text and "Shape error" not in text
    for bad in ("weights_only", "corrupted"):
        assert bad not in issue.message
