"""Issue 13 item 5: image folders read every format Pillow reads; a class without a readable
image is refused by name; an image too large to open safely is one clear message."""

from __future__ import annotations

import os
import struct
import zlib

import pytest
from PIL import Image
from train_helpers import write_project

from ftstudio.cli import main
from ftstudio.core import project as project_io
from ftstudio.core.data import load_data
from ftstudio.core.errors import DataError

WRITABLE = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp", ".gif"}
CLS2 = {"kind": "classification", "num_classes": 2}
BLOCKS = [
    {"id": "cnn", "type": "small_cnn", "params": {"width": 4, "stages": 1}},
    {"id": "head", "type": "linear_classifier", "name": "Head", "params": {"classes": 2}},
]


def image_project(tmp_path, layout: dict[str, list[str]], **data):
    """``layout``: class folder -> file names; images are written in the format of their
    ending, other names get a few text bytes."""
    root = tmp_path / "images"
    for cls, names in layout.items():
        (root / cls).mkdir(parents=True, exist_ok=True)
        for i, name in enumerate(names):
            target = root / cls / name
            if target.suffix.lower() in WRITABLE:
                Image.new("RGB", (10, 10), (40 * i, 100, 200)).save(target)
            else:
                target.write_text("not an image")
    return write_project(
        tmp_path / "p.ftproj", BLOCKS, [3, 8, 8], CLS2,
        {"source": "image-folder", "path": "images", "num_workers": 0, **data},
    )  # fmt: skip


def test_webp_only_class_is_read(tmp_path):
    path = image_project(tmp_path, {"cats": ["a.webp", "b.webp"], "dogs": ["a.png", "b.png"]})
    bundle = load_data(project_io.load(path))
    labels = [label for _, label in bundle.train.items + bundle.val.items]
    assert labels.count(0) == 2 and labels.count(1) == 2
    x, _ = bundle.train[0]
    assert tuple(x.shape) == (3, 8, 8)


@pytest.mark.parametrize("suffix", [".tif", ".tiff", ".bmp", ".gif", ".jpeg", ".PNG", ".webp"])
def test_other_formats_are_read_and_decoded(tmp_path, suffix):
    path = image_project(tmp_path, {"a": [f"1{suffix}", f"2{suffix}"], "b": ["1.png", "2.png"]})
    bundle = load_data(project_io.load(path))
    items = bundle.train.items + bundle.val.items
    assert sum(1 for f, _ in items if f.endswith(suffix)) == 2
    for i in range(len(bundle.train)):
        x, _ = bundle.train[i]
        assert tuple(x.shape) == (3, 8, 8)


def test_suffixes_come_from_pillow():
    from ftstudio.core.data.images import image_suffixes

    suffixes = image_suffixes()
    assert {".png", ".jpg", ".jpeg", ".webp", ".tif", ".bmp", ".gif"} <= suffixes
    assert ".txt" not in suffixes


def test_class_without_readable_images_is_refused_by_name(tmp_path):
    path = image_project(tmp_path, {"cats": ["a.png", "b.png"], "dogs": ["a.heic", "notes.txt"]})
    with pytest.raises(DataError) as info:
        load_data(project_io.load(path))
    message = str(info.value)
    assert "'dogs'" in message and "'cats'" not in message
    assert ".heic" in message and ".txt" in message


def test_empty_class_folder_is_refused_by_name(tmp_path):
    path = image_project(tmp_path, {"cats": ["a.png", "b.png"], "dogs": []})
    with pytest.raises(DataError, match="'dogs'"):
        load_data(project_io.load(path))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_pipe_named_like_an_image_is_not_an_image(tmp_path):
    path = image_project(tmp_path, {"cats": ["a.png", "b.png"], "dogs": []})
    os.mkfifo(tmp_path / "images" / "dogs" / "x.png")
    with pytest.raises(DataError, match="'dogs'"):
        load_data(project_io.load(path))  # would block forever if the pipe were opened


def test_image_folder_path_that_is_a_file(tmp_path):
    path = image_project(tmp_path, {"a": ["1.png"], "b": ["1.png"]})
    (tmp_path / "flat.png").write_bytes(b"x")
    project = project_io.load(path)
    project.data["path"] = "flat.png"
    with pytest.raises(DataError, match="is not a folder"):
        load_data(project)


def one_class_warns(tmp_path):
    path = image_project(tmp_path, {"a": ["1.png", "2.png"]})
    project = project_io.load(path)
    project.task.num_classes = 1
    project.blocks[-1].params["classes"] = 1
    return load_data(project).warnings


def test_one_class_image_folder_warns(tmp_path):
    assert any("every training sample has the class 'a'" in w for w in one_class_warns(tmp_path))


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` pixels (its pixel data is never reached)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize("workers", [0, 2])
def test_decompression_bomb_is_one_line_naming_the_file(tmp_path, capsys, workers):
    path = image_project(
        tmp_path, {"a": ["1.png", "2.png"], "b": ["1.png", "2.png"]}, num_workers=workers
    )
    for name in ("a/1.png", "a/2.png", "b/1.png", "b/2.png"):
        (tmp_path / "images" / name).write_bytes(png_header(20000, 20000))
    code = main(["train", str(path), "--quiet", "--epochs", "1", "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 1, err
    assert err.startswith("error: The image ") and err.count("\n") == 1, err
    assert "too large" in err and ".png" in err and "Traceback" not in err


def test_corrupt_image_is_one_message_naming_it(tmp_path):
    path = image_project(tmp_path, {"a": ["1.png", "2.png"], "b": ["1.png", "2.png"]})
    (tmp_path / "images" / "b" / "2.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    bundle = load_data(project_io.load(path))
    found = [
        (part, i)
        for part in (bundle.train, bundle.val)
        for i, (f, _) in enumerate(part.items)
        if f.endswith("b/2.png")
    ]
    assert len(found) == 1
    part, index = found[0]
    with pytest.raises(DataError, match=r"Cannot read the image .*b/2\.png"):
        part[index]


def test_validation_folder_with_other_classes_names_the_difference(tmp_path):
    path = image_project(tmp_path, {"a": ["1.png"], "b": ["1.png"]})
    for cls in ["a", *(f"extra{i:03d}" for i in range(200))]:
        (tmp_path / "val" / cls).mkdir(parents=True)
        Image.new("RGB", (10, 10)).save(tmp_path / "val" / cls / "1.png")
    project = project_io.load(path)
    project.data["validation"] = {"path": "val"}
    with pytest.raises(DataError) as info:
        load_data(project)
    message = str(info.value)
    assert "only in validation: extra000" in message and "missing there: b" in message
    assert len(message) < 600
    assert "extra199" not in message


def test_cli_validate_data_says_the_image_is_too_large(tmp_path, capsys):
    path = image_project(tmp_path, {"a": ["1.png", "2.png"], "b": ["1.png", "2.png"]})
    for name in ("a/1.png", "a/2.png", "b/1.png", "b/2.png"):
        (tmp_path / "images" / name).write_bytes(png_header(20000, 20000))
    assert main(["validate", str(path), "--data"]) == 1
    out = capsys.readouterr().out
    assert "Invalid data: The image " in out and "too large" in out and "Traceback" not in out
