"""The export dialogs: what to export (folder, weights, formats) and what was written.

:class:`ExportOptions` is what the window offers, :class:`ExportRequest` what the user chose;
both are plain data, so a fake dialogs object in the tests answers without a widget.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ftstudio.core.export import ExportResult
from ftstudio.core.export.parity import ParityReport

PASS_COLOUR = "#1a7f37"
FAIL_COLOUR = "#c62828"
FORMAT_LABELS = {
    "torchscript": "TorchScript (model.ts)",
    "onnx": "ONNX (model.onnx; needs pip install 'ftstudio[onnx]')",
}


@dataclass(frozen=True)
class WeightsChoice:
    """One entry of the weights menu; ``checkpoint`` None means the project's own weights."""

    label: str
    checkpoint: Path | None = None


@dataclass
class ExportOptions:
    """What the export dialog offers: a folder and the weights, the first being the default."""

    project_name: str
    out_dir: Path
    weights: list[WeightsChoice]
    formats: tuple[str, ...] = ()

    def request(self, **changes) -> ExportRequest:
        """The defaults as a request (what OK without edits returns), with ``changes``."""
        values = {"out_dir": self.out_dir, "weights": self.weights[0], "formats": self.formats}
        values.update(changes)
        return ExportRequest(Path(values["out_dir"]), values["weights"], tuple(values["formats"]))


@dataclass
class ExportRequest:
    out_dir: Path
    weights: WeightsChoice
    formats: tuple[str, ...] = field(default_factory=tuple)


class QtExportDialog(QDialog):
    """Folder (with Browse…), weights, and extra formats; OK needs a folder."""

    def __init__(self, options: ExportOptions, parent: QWidget | None = None):
        super().__init__(parent)
        self.options = options
        self.setWindowTitle(f"Export {options.project_name}")
        self.folder = QLineEdit(str(options.out_dir), objectName="exportFolder")
        self.folder.setMinimumWidth(380)
        browse = QPushButton("Browse…", objectName="browseFolder")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        self.weights = QComboBox(objectName="exportWeights")
        for choice in options.weights:
            self.weights.addItem(choice.label)
            if choice.checkpoint is not None:
                self.weights.setItemData(
                    self.weights.count() - 1, str(choice.checkpoint), Qt.ToolTipRole
                )
        self.formats = {}
        for name, label in FORMAT_LABELS.items():
            box = QCheckBox(label, objectName=f"{name}Box")
            box.setChecked(name in options.formats)
            self.formats[name] = box
        form = QFormLayout()
        form.addRow("Folder:", row)
        form.addRow("Weights:", self.weights)
        form.addRow("Also write:", self.formats["torchscript"])
        form.addRow("", self.formats["onnx"])
        note = QLabel(
            "Writes model.py, layers.py, model.safetensors, predict.py, train.py and a README: "
            "plain PyTorch that runs without FT Studio. A parity check then runs the exported "
            "files without FT Studio and compares their outputs with the app's model.",
            wordWrap=True,
        )
        note.setStyleSheet("color: #555;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.button(QDialogButtonBox.Ok).setText("Export")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.folder.textChanged.connect(self._folder_changed)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.buttons)

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Export folder", self.folder.text())
        if path:
            self.folder.setText(path)

    def _folder_changed(self, text: str) -> None:
        self.buttons.button(QDialogButtonBox.Ok).setEnabled(bool(text.strip()))

    def request(self) -> ExportRequest:
        formats = tuple(name for name, box in self.formats.items() if box.isChecked())
        weights = self.options.weights[max(0, self.weights.currentIndex())]
        return ExportRequest(Path(self.folder.text().strip()).expanduser(), weights, formats)


def parity_html(report: ParityReport) -> str:
    """The parity check: each file's largest difference from the app's model, red on failure."""
    esc = html.escape
    colour = PASS_COLOUR if report.ok else FAIL_COLOUR
    rows = "".join(
        f'<li style="color:{PASS_COLOUR if item.ok else FAIL_COLOUR};">{esc(item.line())}</li>'
        for item in report.files
    )
    return f'<p style="color:{colour};"><b>{esc(report.heading())}</b></p><ul>{rows}</ul>'


def result_html(result: ExportResult, project_name: str) -> str:
    """The result dialog's text: a link to the folder, weights, files, the parity check,
    notes, skipped."""
    esc = html.escape
    url = QUrl.fromLocalFile(str(result.out_dir)).toString()
    parts = [
        f"<p>Exported <b>{esc(project_name)}</b> to "
        f'<a href="{esc(url)}">{esc(str(result.out_dir))}</a></p>',
        f"<p>Weights: {esc(result.weights_from)}"
        + (" · the whole model as TorchScript" if result.mode == "torchscript" else "")
        + "</p>",
        "<p>Files written:</p><ul>"
        + "".join(f"<li><tt>{esc(p.name)}</tt></li>" for p in result.files)
        + "</ul>",
    ]
    if result.parity is not None:
        parts.append(parity_html(result.parity))
        if not result.parity.ok:
            parts.append(
                f'<p style="color:{FAIL_COLOUR};">The export failed its parity check: the '
                "exported model does not compute what the app's model computes. The folder is "
                "kept for inspection.</p>"
            )
    skipped = set(result.skipped.values())
    notes = [n for n in result.notes if n not in skipped]
    if notes:
        parts.append("<p>Notes:</p><ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>")
    if result.skipped:
        items = "".join(
            f"<li><b>{esc(name)}</b>: {esc(reason)}</li>" for name, reason in result.skipped.items()
        )
        parts.append(f'<p style="color:#9b5c00;">Not written:</p><ul>{items}</ul>')
    parts.append(
        f"<p>Try: <tt>cd {esc(str(result.out_dir))} &amp;&amp; python predict.py INPUT</tt></p>"
    )
    return "\n".join(parts)


class QtExportResultDialog(QDialog):
    """What an export wrote, with a link (and a button) that opens the folder."""

    def __init__(self, result: ExportResult, project_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.result = result
        failed = result.failure_message() is not None
        self.setWindowTitle("Export failed its check" if failed else "Export finished")
        self.text = QLabel(result_html(result, project_name), objectName="exportResult")
        self.text.setWordWrap(True)
        self.text.setMinimumWidth(460)
        self.text.setTextFormat(Qt.RichText)
        self.text.setTextInteractionFlags(Qt.TextBrowserInteraction)
        self.text.linkActivated.connect(lambda link: QDesktopServices.openUrl(QUrl(link)))
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        open_folder = buttons.addButton("Open folder", QDialogButtonBox.ActionRole)
        open_folder.clicked.connect(self.open_folder)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)

    def open_folder(self) -> bool:
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.result.out_dir)))
