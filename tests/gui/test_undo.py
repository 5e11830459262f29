"""Undo/redo of every edit kind restores the exact project, compared as data."""

import pytest
from PySide6.QtCore import QModelIndex, Qt

from ftstudio.core.project import to_dict
from ftstudio.gui.qt_stack_model import COL_FROZEN, COL_NAME


def add(w):
    w.model.insert_type(1, "layer_norm")


def remove(w):
    w.stack_view.select_row(1)
    w.delete_block()


def move(w):
    w.model.dropMimeData(
        w.model.mimeData([w.model.index(0, 0)]), Qt.MoveAction, 2, 0, QModelIndex()
    )


def param(w):
    w.stack_view.select_row(0)
    assert w.properties.apply_param("hidden", 96)


def rename(w):
    w.model.setData(w.model.index(2, COL_NAME), "Tagger", Qt.EditRole)


def freeze(w):
    w.model.setData(w.model.index(1, COL_FROZEN), Qt.Checked, Qt.CheckStateRole)


def duplicate(w):
    w.stack_view.select_row(1)
    w.duplicate_block()


def folder(w, tmp_path):
    w.files.drop_paths([str(tmp_path)])


EDITS = [add, remove, move, param, rename, freeze, duplicate]


@pytest.mark.parametrize("edit", EDITS, ids=[e.__name__ for e in EDITS])
def test_undo_redo_restores_exact_project(window, edit, settle):
    before = to_dict(window.doc.project)
    edit(window)
    after = to_dict(window.doc.project)
    assert after != before
    window.undo.undo()
    assert to_dict(window.doc.project) == before
    assert window.model.rowCount() == len(before["blocks"])
    window.undo.redo()
    assert to_dict(window.doc.project) == after
    settle(window)


def test_undo_insert_suggested_fix(window, settle):
    window.model.insert_type(1, "sequence_pool")
    settle(window)
    broken = to_dict(window.doc.project)
    assert window.insert_suggested_fix(2)
    fixed = to_dict(window.doc.project)
    assert fixed != broken
    window.undo.undo()
    assert to_dict(window.doc.project) == broken
    window.undo.redo()
    assert to_dict(window.doc.project) == fixed
    settle(window)


def test_undo_folder_drop(window, tmp_path):
    before = to_dict(window.doc.project)
    folder(window, tmp_path)
    assert window.doc.project.data == {"source": "image-folder", "path": str(tmp_path)}
    window.undo.undo()
    assert to_dict(window.doc.project) == before
