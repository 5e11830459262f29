"""Custom blocks in the window: import from the menu, palette, drag into the stack, reload after
an edit (parameters kept), undo/redo across a reload, consent before a project's code runs."""

from __future__ import annotations

import hashlib
import json
import shutil

from PySide6.QtCore import QModelIndex, Qt

from ftstudio.core.blocks import custom
from ftstudio.core.project_spec import RESOURCES

EXAMPLE = RESOURCES / "examples" / "custom_blocks.py"


def test_import_drag_edit_reload_undo_redo(make_window, settle, tmp_path):
    blocks_file = tmp_path / "my_blocks.py"
    shutil.copy(EXAMPLE, blocks_file)
    window = make_window("seed-sequence")
    window.dialogs.file_choice = str(blocks_file)
    window.actions["import_blocks"].trigger()
    palette = window.palette.model
    item = palette.itemFromIndex(palette.type_index("FeatureExtractor"))
    assert item.text() == "FeatureExtractor (my_blocks.py)"
    assert item.parent().text() == "Custom"
    assert str(blocks_file.resolve()) in window.custom.watcher.files()

    data = palette.mimeData([palette.type_index("FeatureExtractor")])
    assert window.model.dropMimeData(data, Qt.CopyAction, 1, 0, QModelIndex())
    spec = window.doc.blocks[1]
    assert spec.type == "FeatureExtractor"
    spec.params["hidden"] = 64  # a setting the user made
    window.validator.request()
    settle(window)
    report = window.validator.report
    assert report.blocks[1].status == "ok" and report.blocks[1].out_shape == (100, 64)

    text = blocks_file.read_text().replace(
        "return self.dropout(self.relu(self.linear(x)))",
        "return self.dropout(self.relu(self.linear(x)))[..., :32]",
    )
    blocks_file.write_text(text)
    window.custom.reload()
    settle(window)
    assert window.doc.blocks[1].params["hidden"] == 64  # kept across the reload
    assert window.validator.report.blocks[1].out_shape == (100, 32)  # the edited code ran

    window.undo.undo()  # the drop, undone after the reload
    assert [b.type for b in window.doc.blocks] == ["mlp", "self_attention", "token_classifier"]
    window.undo.redo()
    assert window.doc.blocks[1].type == "FeatureExtractor"
    settle(window)
    assert window.validator.report.blocks[1].out_shape == (100, 32)


def test_import_error_is_shown_and_nothing_changes(make_window, tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from torch import nn\n\nclass A(nn.Module)\n")
    window = make_window("seed-sequence")
    before = window.palette.model.rowCount()
    assert not window.custom.import_file(str(bad))
    title, message = window.dialogs.errors[-1]
    assert title == "Cannot import custom blocks" and "bad.py:3" in message
    assert window.palette.model.rowCount() == before


def test_opening_a_project_runs_its_code_only_after_consent(make_window, tmp_path):
    blocks_file = tmp_path / "widen.py"
    marker = tmp_path / "imported.marker"
    blocks_file.write_text(
        f"open({str(marker)!r}, 'w').close()\n" + EXAMPLE.read_text(), encoding="utf-8"
    )
    project = {
        "format": "ftstudio-project",
        "version": 1,
        "name": "custom",
        "input": {"shape": [6, 8], "dtype": "float32"},
        "task": {"kind": "token_classification", "num_classes": 3, "num_outputs": 1},
        "blocks": [
            {"id": "f", "type": "FeatureExtractor", "params": {"hidden": 8}},
            {"id": "c", "type": "token_classifier", "params": {"classes": 3}},
        ],
        "custom_blocks": [
            {"path": "widen.py", "sha256": hashlib.sha256(blocks_file.read_bytes()).hexdigest()}
        ],
    }
    path = tmp_path / "custom.ftproj"
    path.write_text(json.dumps(project))
    window = make_window("seed-sequence")
    assert not window.files.open(str(path))
    asked = [a for a in window.dialogs.asked if isinstance(a, tuple)]
    assert asked and "widen.py (unchanged since the project was saved)" in asked[0][1]
    assert not marker.exists()  # declined: the file never ran
    assert window.doc.project.name == "seed-sequence"
    window.dialogs.run_code_answer = True
    assert window.files.open(str(path))
    assert marker.exists() and custom.loaded(blocks_file) is not None
    assert [b.type for b in window.doc.blocks] == ["FeatureExtractor", "token_classifier"]
    palette = window.palette.model
    assert (
        palette.itemFromIndex(palette.type_index("FeatureExtractor")).text().endswith("(widen.py)")
    )


def test_the_file_watcher_reloads_an_edited_file(make_window, qtbot, settle, tmp_path):
    blocks_file = tmp_path / "watched.py"
    shutil.copy(EXAMPLE, blocks_file)
    window = make_window("seed-sequence")
    assert window.custom.import_file(str(blocks_file))
    first = custom.loaded(blocks_file).sha256
    blocks_file.write_text(blocks_file.read_text() + "\n# edited\n")
    window.custom.watcher.fileChanged.emit(str(blocks_file.resolve()))
    assert window.custom.reload_timer.isActive()  # one reload for a burst of writes
    qtbot.waitUntil(lambda: custom.loaded(blocks_file).sha256 != first, timeout=5000)
    assert not window.custom.reload_timer.isActive()
    settle(window)


def test_the_custom_template_trains_in_the_window(make_window, qtbot, tmp_path, monkeypatch):
    from ftstudio.core.templates import load_template

    monkeypatch.setenv("FTSTUDIO_RUNS_DIR", str(tmp_path / "runs"))
    project = load_template("seed-sequence-custom")
    project.data["samples"] = 40
    project.training["epochs"] = 1
    window = make_window(project=project)
    assert [b.type for b in window.doc.blocks][:2] == ["FeatureExtractor", "QKVAttention"]
    panel = window.training
    assert panel.train_action.isEnabled()
    with qtbot.waitSignal(panel.runner.ended, timeout=180_000):
        panel.buttons["train"].click()
    assert panel.last_error is None and panel.summary["status"] == "finished"


def test_a_deleted_blocks_file_is_named_without_asking(make_window, tmp_path):
    blocks_file = tmp_path / "gone.py"
    blocks_file.write_text(EXAMPLE.read_text())
    project = {
        "format": "ftstudio-project",
        "version": 1,
        "name": "gone",
        "input": {"shape": [8], "dtype": "float32"},
        "blocks": [{"id": "f", "type": "FeatureExtractor"}],
        "custom_blocks": [
            {"path": "gone.py", "sha256": hashlib.sha256(blocks_file.read_bytes()).hexdigest()}
        ],
    }
    path = tmp_path / "gone.ftproj"
    path.write_text(json.dumps(project))
    blocks_file.unlink()
    window = make_window("seed-sequence")
    window.dialogs.run_code_answer = True
    assert not window.files.open(str(path))
    assert not [a for a in window.dialogs.asked if isinstance(a, tuple)]  # nothing to consent to
    title, message = window.dialogs.errors[-1]
    assert "gone.py, but that file is missing" in message
    assert window.doc.project.name == "seed-sequence"  # the open project is unaffected


def test_recovered_work_with_custom_blocks_asks_before_running_them(make_window, qtbot, tmp_path):
    from ftstudio.core.project import InputSpec, Project, TaskSpec, make_block
    from ftstudio.gui.recovery import RecoveryFile

    blocks_file = tmp_path / "rec_blocks.py"
    blocks_file.write_text(EXAMPLE.read_text())
    custom.load_blocks_file(blocks_file)
    project = Project(name="unsaved", input=InputSpec((8,)), task=TaskSpec("classification", 3))
    project.blocks = [make_block("FeatureExtractor", project)]
    RecoveryFile(tmp_path / "recovery").write(project)
    custom.unload_blocks_file(blocks_file)  # a new session: nothing loaded
    window = make_window("seed-sequence")
    window.dialogs.run_code_answer = False
    assert not window.files.offer_recovery()
    assert window.files.recovery.exists()  # kept for the next start, not set aside
    window.dialogs.run_code_answer = True
    assert window.files.offer_recovery()
    assert window.doc.project.name == "unsaved" and custom.loaded(blocks_file) is not None
