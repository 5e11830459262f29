"""Errors of the exporter, each naming what failed and what to do."""

from __future__ import annotations

from ftstudio.core.errors import FTStudioError


class ExportError(FTStudioError):
    """The project cannot be exported as asked (folder, format, checkpoint)."""


class NotExportableError(ExportError):
    """A block cannot be written as code; ``block_id`` names it."""

    def __init__(self, message: str, block_id: str):
        super().__init__(message)
        self.block_id = block_id
