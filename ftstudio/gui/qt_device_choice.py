"""The device selector: ``auto`` and each device this machine really has (see
:func:`~ftstudio.core.training.device.list_devices`), bound to ``training.device``."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QWidget

from ftstudio.core.errors import FTStudioError
from ftstudio.core.training.device import DeviceOption, list_devices, resolve_device

AUTO = "auto"


def resolved(name: str) -> tuple[str | None, str | None]:
    """(the device ``name`` trains on, None) or (None, why it cannot be used here)."""
    try:
        return str(resolve_device(name)), None
    except FTStudioError as exc:
        return None, str(exc)


class QtDeviceChoice(QComboBox):
    """Items carry the ``training.device`` value as their data; ``show(name)`` selects it,
    adding it as an item when it is not one of this machine's devices."""

    def __init__(self, parent: QWidget | None = None, devices: list[DeviceOption] | None = None):
        super().__init__(parent, objectName="deviceChoice")
        self.devices = list_devices() if devices is None else devices
        self.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(12)
        self.setToolTip(
            "training.device: where the next run trains; auto picks CUDA, then MPS, then the CPU"
        )
        self.problem: str | None = None

    def names(self) -> list[str]:
        return [self.itemData(i) for i in range(self.count())]

    def show_device(self, name: str) -> None:
        """List auto and the devices, select ``name``; ``problem`` says when it is not here."""
        self.blockSignals(True)
        self.clear()
        target, _ = resolved(AUTO)
        self.addItem(f"auto → {target}", AUTO)
        self.setItemData(0, "CUDA if there is a GPU, else MPS, else the CPU", Qt.ToolTipRole)
        for device in self.devices:
            self.addItem(device.title, device.name)
        self.problem = None
        if name not in self.names():
            target, self.problem = resolved(name)
            self.addItem(f"{name} → {target}" if target else f"{name} (not on this machine)", name)
        self.setCurrentIndex(self.names().index(name))
        self.blockSignals(False)
