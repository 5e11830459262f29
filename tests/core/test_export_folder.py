"""Export deletes only what it wrote itself, verified by hash, and only with overwrite."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from ftstudio.cli import main
from ftstudio.core.export import ExportError, export_project
from ftstudio.core.templates import load_template

MANIFEST = "ftstudio-export.json"


def file_sha256(path):
    from ftstudio.core.export.folder import file_sha256 as digest

    return digest(path)


def open_folder(*args):
    from ftstudio.core.export.folder import open_folder as open_

    return open_(*args)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest(out, files) -> None:
    data = {"format": "ftstudio-export", "project": "x", "mode": "code", "files": files}
    (out / MANIFEST).write_text(json.dumps(data))


@pytest.fixture(scope="module")
def project():
    return load_template("seed-sequence")


@pytest.fixture
def thesis(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "thesis.docx").write_bytes(b"years of work")
    return out


def test_cli_export_never_deletes_a_file_a_crafted_old_manifest_lists(thesis, project, capsys):
    manifest(thesis, ["thesis.docx"])  # the old manifest format: names without hashes
    path = thesis.parent / "p.ftproj"
    from ftstudio.core import project as project_io

    project_io.save(project, path)
    assert main(["export", str(path), "--out", str(thesis)]) == 0
    assert (thesis / "thesis.docx").read_bytes() == b"years of work"
    assert main(["export", str(path), "--out", str(thesis), "--overwrite"]) == 0
    assert (thesis / "thesis.docx").read_bytes() == b"years of work"
    assert (thesis / "model.py").is_file()


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_forged_hash_cannot_delete_a_name_export_never_writes(thesis, project, overwrite):
    manifest(thesis, {"thesis.docx": sha(b"years of work")})
    export_project(project, thesis, overwrite=overwrite, check=False)
    assert (thesis / "thesis.docx").read_bytes() == b"years of work"
    listed = json.loads((thesis / MANIFEST).read_text())["files"]
    assert "thesis.docx" not in listed and "model.py" in listed


@pytest.mark.parametrize(
    "name",
    ["../model.ts", "sub/model.ts", "sub\\model.ts", "/abs/model.ts", "..", "", "c:model.ts"],
)
def test_names_with_a_path_are_never_trusted(name):
    from ftstudio.core.export.folder import safe_name

    assert not safe_name(name)


def test_paths_out_of_the_folder_are_never_deleted(tmp_path, project):
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "model.ts"
    outside.write_bytes(b"outside")
    (out / "sub").mkdir()
    inside_sub = out / "sub" / "model.ts"
    inside_sub.write_bytes(b"outside")
    digest = sha(b"outside")
    manifest(out, {"../model.ts": digest, str(outside): digest, "sub/model.ts": digest})
    export_project(project, out, overwrite=True, check=False)
    assert outside.read_bytes() == b"outside" and inside_sub.read_bytes() == b"outside"


def test_a_symlink_in_the_folder_is_neither_followed_nor_deleted(tmp_path, project):
    out = tmp_path / "out"
    out.mkdir()
    target = tmp_path / "precious.bin"
    target.write_bytes(b"precious")
    (out / "model.ts").symlink_to(target)
    manifest(out, {"model.ts": sha(b"precious")})  # the hash of what the link points to
    assert file_sha256(out / "model.ts") is None
    result = export_project(project, out, overwrite=True, check=False)
    assert (out / "model.ts").is_symlink() and target.read_bytes() == b"precious"
    assert any("changed or replaced" in note for note in result.notes)


def test_a_symlink_where_export_writes_is_refused_without_overwrite(tmp_path, project):
    out = tmp_path / "out"
    out.mkdir()
    target = tmp_path / "precious.py"
    target.write_bytes(b"precious")
    (out / "model.py").symlink_to(target)
    manifest(out, {"model.py": sha(b"precious")})
    with pytest.raises(ExportError, match="model.py was not written by FT Studio"):
        export_project(project, out, check=False)
    export_project(project, out, overwrite=True, check=False)  # replaces the link, never the target
    assert target.read_bytes() == b"precious" and not (out / "model.py").is_symlink()


def test_an_own_file_the_user_changed_is_kept_or_replaced_only_with_overwrite(tmp_path, project):
    out = tmp_path / "out"
    export_project(project, out, formats=("torchscript",), check=False)
    (out / "model.ts").write_bytes(b"my own edit")
    result = export_project(project, out, overwrite=True, check=False)  # model.ts is stale now
    assert (out / "model.ts").read_bytes() == b"my own edit"
    assert any("model.ts" in note and "changed" in note for note in result.notes)
    (out / "predict.py").write_text("# my tweaks\n")
    with pytest.raises(ExportError, match="predict.py was not written by FT Studio"):
        export_project(project, out, check=False)
    assert (out / "predict.py").read_text() == "# my tweaks\n"
    export_project(project, out, overwrite=True, check=False)
    assert (out / "predict.py").read_text() != "# my tweaks\n"


def test_a_stale_own_file_is_deleted_only_with_overwrite_and_its_hash(tmp_path, project):
    out = tmp_path / "out"
    export_project(project, out, formats=("torchscript",), check=False)
    listed = json.loads((out / MANIFEST).read_text())["files"]
    assert listed["model.ts"] == file_sha256(out / "model.ts")
    export_project(project, out, check=False)
    assert (out / "model.ts").is_file()
    assert "model.ts" in json.loads((out / MANIFEST).read_text())["files"]  # still removable
    export_project(project, out, overwrite=True, check=False)
    assert not (out / "model.ts").exists()
    assert "model.ts" not in json.loads((out / MANIFEST).read_text())["files"]


def test_a_manifest_that_is_not_a_regular_file_is_not_read(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    os.symlink("/dev/zero", out / MANIFEST)  # reading it would never end
    with pytest.raises(ExportError, match="not an earlier FT Studio export"):
        open_folder(out, False, ["model.py"])
    os.unlink(out / MANIFEST)
    os.mkfifo(out / MANIFEST)
    with pytest.raises(ExportError, match="not an earlier FT Studio export"):
        open_folder(out, False, ["model.py"])


@pytest.mark.parametrize("text", ["[]", "{}", '{"format": "other", "files": {}}', "\xff", "{"])
def test_a_foreign_or_broken_manifest_is_not_an_earlier_export(tmp_path, text):
    out = tmp_path / "out"
    out.mkdir()
    (out / MANIFEST).write_bytes(text.encode("latin-1"))
    with pytest.raises(ExportError, match="not an earlier FT Studio export"):
        open_folder(out, False, ["model.py"])
    assert open_folder(out, True, ["model.py"]).owned == {}
