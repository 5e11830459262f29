"""Where FT Studio's shipped resources (templates, weights, icons) live; imports nothing heavy."""

from __future__ import annotations

from pathlib import Path

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
