"""A recovery file that cannot be read is reported, kept under another name, and the window
starts normally."""

from __future__ import annotations

import json
import os

import pytest

from ftstudio.core import project as project_io
from ftstudio.core.templates import load_template

RANDOM = os.urandom(4096) + b"\xff\xfe\x80"  # never valid UTF-8

BROKEN = {
    "random bytes": RANDOM,
    "not json": b"{ half-written",
    "json, not a project": b'{"format": "ftstudio-project", "version": 1, "blocks": 7}',
    "empty": b"",
}


@pytest.mark.parametrize("content", list(BROKEN.values()), ids=list(BROKEN))
def test_an_unreadable_recovery_file_is_reported_kept_and_the_app_starts(make_window, content):
    window = make_window()
    before = project_io.to_dict(window.doc.project)
    recovery = window.files.recovery
    recovery.folder.mkdir(parents=True, exist_ok=True)
    recovery.path.write_bytes(content)
    (recovery.folder / "recovery.json").write_bytes(RANDOM)
    assert not window.files.offer_recovery()  # the user answered "Recover"
    assert window.dialogs.asked == ["recovery"]
    [(title, message)] = window.dialogs.errors
    assert title == "Cannot recover" and "cannot be read" in message
    [kept] = recovery.folder.glob("recovery-unreadable-*.ftproj")
    assert kept.read_bytes() == content and str(kept) in message
    assert not recovery.exists() and not window.files.offer_recovery()
    assert project_io.to_dict(window.doc.project) == before  # the window goes on as it was
    assert not window.isWindowModified()


@pytest.mark.parametrize("meta", [RANDOM, b"[1, 2]", b'{"path": 7}', b'{"path": ["a"]}'])
def test_a_broken_companion_file_still_recovers_the_project(make_window, meta):
    window = make_window()
    unsaved = load_template("image-resnet18")
    recovery = window.files.recovery
    recovery.write(unsaved)
    (recovery.folder / "recovery.json").write_bytes(meta)
    assert window.files.offer_recovery()
    assert window.doc.project.name == unsaved.name and window.doc.project.path is None
    assert window.dialogs.errors == []


def test_answering_no_still_discards_a_readable_recovery_file(make_window):
    window = make_window()
    window.files.recovery.write(load_template("image-resnet18"))
    window.dialogs.recovery_answer = False
    assert not window.files.offer_recovery()
    assert not window.files.recovery.exists()
    assert json.dumps(window.dialogs.errors) == "[]"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("mask", [0o022, 0o002], ids=["umask022", "umask002"])
def test_the_recovery_files_get_normal_permissions(tmp_path, mask):
    from ftstudio.gui.recovery import META_NAME, RecoveryFile

    recovery = RecoveryFile(tmp_path / "recovery")
    old = os.umask(mask)
    try:
        recovery.write(load_template("seed-sequence"))
        os.chmod(recovery.path, 0o640)
        recovery.write(load_template("seed-sequence"))
    finally:
        os.umask(old)
    assert os.stat(recovery.path).st_mode & 0o777 == 0o640  # replaced: kept
    assert os.stat(recovery.folder / META_NAME).st_mode & 0o777 == 0o666 & ~mask
