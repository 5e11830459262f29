"""packaging/: the desktop entry, AppStream metainfo, MIME type and icons are well formed and
agree with each other (the bundle itself is built by hand: packaging/smoke.py)."""

from __future__ import annotations

import configparser
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "packaging"
APP_ID = "io.github.ftstudio.FTStudio"
SVG = REPO / "ftstudio" / "resources" / "icons" / "ftstudio.svg"


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(PACKAGING / f"{APP_ID}.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def test_the_desktop_entry_launches_ftstudio_with_our_icon_and_file_type():
    entry = desktop_entry()
    assert entry["Type"] == "Application" and entry["Name"] == "FT Studio"
    assert entry["Exec"].split()[0] == "ftstudio"  # the command pip and the bundle install
    assert entry["Icon"] == APP_ID
    assert entry["Categories"].endswith(";") and "Development" in entry["Categories"]
    mime = ET.parse(PACKAGING / f"{APP_ID}.mime.xml").getroot()
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    (mime_type,) = mime.findall("m:mime-type", ns)
    assert entry["MimeType"] == mime_type.get("type") + ";"
    assert mime_type.find("m:glob", ns).get("pattern") == "*.ftproj"


def test_the_metainfo_names_the_desktop_entry_and_the_binary():
    root = ET.parse(PACKAGING / f"{APP_ID}.metainfo.xml").getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.find("launchable").text == f"{APP_ID}.desktop"
    assert root.find("provides/binary").text == "ftstudio"
    assert root.findtext("name") == desktop_entry()["Name"]


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstreamcli not installed")
def test_appstreamcli_accepts_the_metainfo():
    result = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(PACKAGING / f"{APP_ID}.metainfo.xml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", header[16:24])


def test_the_icon_is_an_svg_with_png_sizes_rendered_from_it():
    svg = ET.parse(SVG).getroot()
    assert svg.tag.endswith("svg") and svg.get("viewBox") == "0 0 256 256"
    sizes = sorted(int(p.stem.rsplit("-", 1)[1]) for p in (PACKAGING / "icons").glob("*.png"))
    assert {16, 32, 48, 64, 128, 256, 512} <= set(sizes)
    for size in sizes:
        assert png_size(PACKAGING / "icons" / f"ftstudio-{size}.png") == (size, size)
