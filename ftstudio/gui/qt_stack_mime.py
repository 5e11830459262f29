"""Mime types for drag and drop: a block type from the palette, or stack rows by block id."""

from __future__ import annotations

import json

from PySide6.QtCore import QMimeData

BLOCK_TYPE_MIME = "application/x-ftstudio-block-type"
BLOCK_IDS_MIME = "application/x-ftstudio-block-ids"


def block_type_mime(type_name: str) -> QMimeData:
    data = QMimeData()
    data.setData(BLOCK_TYPE_MIME, type_name.encode("utf-8"))
    data.setText(type_name)
    return data


def block_ids_mime(block_ids: list[str]) -> QMimeData:
    data = QMimeData()
    data.setData(BLOCK_IDS_MIME, json.dumps(block_ids).encode("utf-8"))
    return data


def read_block_type(data: QMimeData) -> str | None:
    if not data.hasFormat(BLOCK_TYPE_MIME):
        return None
    return bytes(data.data(BLOCK_TYPE_MIME)).decode("utf-8").strip() or None


def read_block_ids(data: QMimeData) -> list[str]:
    if not data.hasFormat(BLOCK_IDS_MIME):
        return []
    try:
        ids = json.loads(bytes(data.data(BLOCK_IDS_MIME)).decode("utf-8"))
    except ValueError:
        return []
    return [i for i in ids if isinstance(i, str)] if isinstance(ids, list) else []
