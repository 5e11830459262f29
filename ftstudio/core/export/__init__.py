"""Export a project as plain PyTorch (code + safetensors, optional TorchScript / ONNX).

The exported folder runs without FT Studio: ``model.py`` (generated code), ``layers.py`` (a
copy of :mod:`ftstudio.core.blocks.layers`), ``model.safetensors``, ``predict.py``,
``train.py`` and a ``README.md``. :func:`check_export` is the parity check every export runs
(and that can be run again on an export folder).
"""

from ftstudio.core.export.api import FORMATS, ExportResult, export_project
from ftstudio.core.export.errors import ExportError, NotExportableError
from ftstudio.core.export.parity import ParityReport, check_export

__all__ = [
    "FORMATS",
    "ExportError",
    "ExportResult",
    "NotExportableError",
    "ParityReport",
    "check_export",
    "export_project",
]
