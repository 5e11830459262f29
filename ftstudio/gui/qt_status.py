"""Status bar: device, parameter totals, and training memory at the batch size."""

from __future__ import annotations

import torch
from PySide6.QtWidgets import QLabel, QStatusBar

from ftstudio.core.shapes import ValidationReport
from ftstudio.gui.qt_stack_model import human_count


def device_text() -> str:
    if torch.cuda.is_available():
        return f"Device: GPU ({torch.cuda.get_device_name(0)})"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "Device: Apple GPU (MPS)"
    return "Device: CPU"


def human_bytes(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


class QtStatusBar(QStatusBar):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.validity = QLabel("Validating…", objectName="validity")
        self.params = QLabel(objectName="params")
        self.memory = QLabel(objectName="memory")
        self.device = QLabel(device_text(), objectName="device")
        for label in (self.validity, self.params, self.memory, self.device):
            self.addPermanentWidget(label)

    def set_failure(self, message: str) -> None:
        """Validation itself failed: say so instead of staying at "Validating…"."""
        self.validity.setText("✗ Validation failed")
        self.validity.setToolTip(message)
        self.validity.setStyleSheet("color: #9b1c1c; font-weight: bold;")
        self.showMessage(message)

    def set_report(self, report: ValidationReport) -> None:
        self.validity.setToolTip("")
        total = report.trainable + report.frozen
        self.params.setText(
            f"Params: {human_count(total)} total · {human_count(report.trainable)} trainable"
        )
        memory = report.memory
        self.memory.setText(
            f"Training memory @ batch {memory.batch_size}: ≈{human_bytes(memory.total)}"
        )
        warned = f" · ⚠ {len(report.warnings)} warning(s)" if report.warnings else ""
        tips = [report.data.summary()] if report.data is not None and report.data.ok else []
        tips += [f"Warning: {w}" for w in report.warnings]
        if report.ok:
            checked = " and data" if report.data is not None else ""
            self.validity.setText(f"✓ Shapes{checked} OK{warned}")
            self.validity.setStyleSheet("color: #1e7b34; font-weight: bold;")
        elif report.issue.kind == "data":
            self.validity.setText(f"✗ Data problem{warned}")
            self.validity.setStyleSheet("color: #9b1c1c; font-weight: bold;")
            tips.insert(0, report.issue.message)
        else:
            where = f"block {report.issue.index + 1}" if report.issue.index >= 0 else "stack"
            self.validity.setText(f"✗ {report.issue.title} at {where}{warned}")
            self.validity.setStyleSheet("color: #9b1c1c; font-weight: bold;")
            tips.insert(0, report.issue.message)
        self.validity.setToolTip("\n\n".join(tips))
