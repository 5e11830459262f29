"""Export a project as plain PyTorch (code + safetensors, optional TorchScript / ONNX).

The exported folder runs without FT Studio: ``model.py`` (generated code), ``layers.py`` (a
copy of :mod:`ftstudio.core.blocks.layers`), ``model.safetensors``, ``predict.py``,
``train.py`` and a ``README.md``.
"""

from ftstudio.core.export.api import FORMATS, ExportResult, export_project
from ftstudio.core.export.errors import ExportError, NotExportableError

__all__ = ["FORMATS", "ExportError", "ExportResult", "NotExportableError", "export_project"]
