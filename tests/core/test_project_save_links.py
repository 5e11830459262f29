"""Saving through a symbolic link writes the file it points to and keeps the link."""

from __future__ import annotations

import os

from ftstudio.core import project as project_io
from ftstudio.core.templates import load_template


def test_save_through_a_link_writes_the_target_and_keeps_the_link(tmp_path):
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    target = real_dir / "model.ftproj"
    project = load_template("seed-sequence")
    project_io.save(project, target)
    link = tmp_path / "link.ftproj"
    link.symlink_to(target)
    project.name = "changed through the link"
    project_io.save(project, link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert project_io.load(target).name == "changed through the link"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.ftproj", "real"]
    assert [p.name for p in real_dir.iterdir()] == ["model.ftproj"]  # no temporary file left


def test_relative_links_and_chains_are_followed_to_the_file(tmp_path):
    (tmp_path / "a").mkdir()
    target = tmp_path / "a" / "p.ftproj"
    project = load_template("seed-sequence")
    project_io.save(project, target)
    first = tmp_path / "first.ftproj"
    first.symlink_to(os.path.join("a", "p.ftproj"))  # relative
    second = tmp_path / "second.ftproj"
    second.symlink_to("first.ftproj")  # a link to a link
    project.name = "via two links"
    project_io.save(project, second)
    assert second.is_symlink() and first.is_symlink() and not target.is_symlink()
    assert project_io.load(target).name == "via two links"


def test_a_project_opened_through_a_link_saves_to_its_file(tmp_path):
    target = tmp_path / "p.ftproj"
    project_io.save(load_template("seed-sequence"), target)
    link = tmp_path / "link.ftproj"
    link.symlink_to(target)
    project = project_io.load(link)
    project.name = "default path"
    project_io.save(project)
    assert link.is_symlink() and project_io.load(target).name == "default path"
