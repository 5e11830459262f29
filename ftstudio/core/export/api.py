"""``export_project``: a trained project as plain PyTorch that runs without FT Studio."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ftstudio.core.blocks import custom, layers
from ftstudio.core.blocks.registry import input_shape
from ftstudio.core.export import folder, info, tensors, text_export
from ftstudio.core.export import formats as extra
from ftstudio.core.export.errors import ExportError, NotExportableError
from ftstudio.core.export.model_source import (
    ModelInfo,
    block_expressions,
    custom_files,
    model_source,
)
from ftstudio.core.export.parity import CHECKED_FILES, ParityReport, check_export
from ftstudio.core.export.predict_template import PREDICT_PY
from ftstudio.core.export.readme import readme_text
from ftstudio.core.export.train_template import seeded_model, train_script
from ftstudio.core.project import Project
from ftstudio.core.shapes import validate
from ftstudio.core.tempfiles import atomic_write_bytes

FORMATS = ("torchscript", "onnx")
DESCRIPTIONS = {
    "model.py": "`build_model()` and `load_model()`: the model as PyTorch code",
    "layers.py": "the layer classes `model.py` uses (plain PyTorch)",
    "model.safetensors": "the weights (state dict keys = block ids); its metadata holds the "
    "project name, class names, input shape, preprocessing and FT Studio version",
    "predict.py": "`python predict.py INPUT...`: predictions for files",
    "train.py": "`python train.py`: the project's training run (its data, split and settings), "
    "also under `torchrun`",
    "model.ts": "TorchScript (traced in eval mode): `torch.jit.load('model.ts')`",
    "model.onnx": "ONNX, for onnxruntime and other runtimes",
    "README.md": "this file",
}


@dataclass
class ExportResult:
    """What :func:`export_project` wrote.

    Attributes
    ----------
    out_dir : Path
        The export folder.
    files : list of Path
        Every file written, in writing order.
    mode : str
        ``"code"`` (``model.py`` constructs the model) or ``"torchscript"`` (a block has no
        Python code, so ``model.py`` loads the structure from ``model.ts``).
    weights_from : str
        The checkpoint the weights came from, or a description of the project's own weights.
    notes : list of str
        Things the user should know (TorchScript fallback, skipped formats), one per line.
    skipped : dict of str to str
        Requested formats that were not written, with the reason: the export is incomplete.
    parity : ParityReport or None
        The parity check of the written files against the app's model (None: not run).
    """

    out_dir: Path
    files: list[Path] = field(default_factory=list)
    mode: str = "code"
    weights_from: str = ""
    notes: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    parity: ParityReport | None = None

    def failure_message(self) -> str | None:
        """Why this export failed (a format not written, a failed parity check), or None."""
        messages = [self.incomplete_message()]
        if self.parity is not None:
            messages.append(self.parity.failure_message(self.out_dir))
        return " ".join(m for m in messages if m) or None

    def incomplete_message(self) -> str | None:
        """One line naming the requested formats that were not written, or None."""
        if not self.skipped:
            return None
        names = ", ".join(self.skipped)
        return (
            f"The export is incomplete: {names} was asked for but not written "
            f"({' '.join(self.skipped.values())}) The other files are in {self.out_dir}."
        )


def export_project(
    project: Project,
    out_dir: str | Path,
    checkpoint: str | Path | None = None,
    formats: Iterable[str] = (),
    *,
    overwrite: bool = False,
    fallback_torchscript: bool = True,
    class_names: list[str] | None = None,
    check: bool = True,
) -> ExportResult:
    """Export ``project`` to ``out_dir`` as plain PyTorch.

    Writes ``model.py``, ``layers.py``, ``model.safetensors``, ``predict.py``, ``train.py``
    and ``README.md`` (plus ``model.ts`` / ``model.onnx`` when asked), each atomically.

    Parameters
    ----------
    project : Project
        A valid project.
    out_dir : path
        The folder; created if needed. A non-empty folder that is not an earlier export is
        refused unless ``overwrite``.
    checkpoint : path, optional
        Training checkpoint (last.pt/best.pt) or state-dict file with the trained weights.
        Without it the weights are the freshly built model's (pretrained where the project
        says so).
    formats : iterable of str
        Extra formats: ``"torchscript"``, ``"onnx"``. Without the ``onnx`` package, asking
        for ONNX raises before anything is written. A format whose tracing/export fails is
        left out and named in ``ExportResult.skipped``: callers report that as a failure.
    overwrite : bool
        Write into a non-empty folder that is not an earlier export, replacing files there
        that FT Studio did not write, and delete files an earlier export wrote there (still
        unchanged, checked by hash) that this export does not write. Without it such files
        are kept, and nothing is ever deleted.
    fallback_torchscript : bool
        When a block cannot be written as code (a TorchScript backbone file), export the whole
        model as TorchScript (``model.py`` then loads ``model.ts``). False: raise instead.
    class_names : list of str, optional
        Class names for ``predict.py`` (default: from the data source when it tells them).
    check : bool
        Run the parity check (:func:`~ftstudio.core.export.parity.check_export`) on the
        written files; its report is ``ExportResult.parity`` and goes into the manifest. A
        failed check does not raise: ``ExportResult.failure_message()`` says what failed, the
        folder stays as written, and callers report it as a failure.

    Raises
    ------
    ExportError
        Unknown format, ONNX asked for without the ``onnx`` package, a folder that may not
        be written.
    NotExportableError
        A block has no code and ``fallback_torchscript`` is False (or tracing failed).
    FTStudioError
        The project does not build (``BuildError``) or the checkpoint does not fit it.
    """
    formats = tuple(formats)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ExportError(
            f"Unknown export format {unknown[0]!r}; choose from {', '.join(FORMATS)}."
        )
    if "onnx" in formats and (missing_onnx := extra.onnx_missing()) is not None:
        raise ExportError(missing_onnx)
    out = Path(out_dir)
    user_files = custom_sources(project)
    target = folder.open_folder(out, overwrite, [*DESCRIPTIONS, *user_files])
    model = seeded_model(project, load_weights=checkpoint is None)  # as ftstudio train starts
    if checkpoint is not None:
        tensors.load_trained(model, checkpoint)
    model.eval()
    report = validate(project)
    shape = input_shape(report.input_shape, project.input.dtype) or ()  # token ids: TokenShape
    text = text_export.is_text(project)
    result = ExportResult(out_dir=out)
    result.weights_from = (
        f"trained, from {checkpoint}"
        if checkpoint is not None
        else "the project's initial weights (pretrained where the project says so; untrained head)"
    )
    missing = [bid for bid, expr in block_expressions(project, report) if expr is None]
    if missing:
        spec = project.block(missing[0])
        where = f"Block {project.index_of(spec.id) + 1} '{spec.label}' ({spec.type})"
        if not fallback_torchscript:
            raise NotExportableError(
                f"{where} is a TorchScript file, which has no Python code to export. Either "
                "export the whole model as TorchScript (allow the TorchScript fallback), or load "
                "the backbone from a state dict: set its architecture to the torchvision model "
                "the weights belong to.",
                spec.id,
            )
        result.mode = "torchscript"
        result.notes.append(
            f"{where} is a TorchScript file with no Python code, so the whole model is exported "
            "as TorchScript (model.ts, traced in eval mode); model.py loads it."
        )
    model_info = ModelInfo(
        input_shape=shape,
        output_shape=tuple(report.output_shape or ()),
        task=project.task.kind,
        class_names=class_names if class_names is not None else info.class_names_for(project),
        preprocessing=info.preprocessing_for(project, shape),
        frozen=info.frozen_prefixes(model, project),
        standardize=info.standardizer_for(project, checkpoint, result.notes),
    )
    torchscript = result.mode == "torchscript"
    source = model_source(project, report, model_info, torchscript=torchscript)
    compile(source, "model.py", "exec")  # a generator bug must never reach the user's disk

    written: dict[str, str] = {}

    def write(name: str, data: str | bytes) -> None:
        path = out / name
        data = data.encode("utf-8") if isinstance(data, str) else data
        atomic_write_bytes(path, data)
        written[name] = hashlib.sha256(data).hexdigest()
        result.files.append(path)

    for fmt in ("torchscript", "onnx"):
        if text and fmt in formats:
            title = {"torchscript": "TorchScript", "onnx": "ONNX"}[fmt]
            result.skipped[fmt] = text_export.UNSUPPORTED_FORMATS.format(fmt=title)
    formats = [f for f in formats if not (text and f in ("torchscript", "onnx"))]
    if torchscript or "torchscript" in formats:
        try:
            ts = extra.torchscript_bytes(model, shape)
        except Exception as exc:  # noqa: BLE001 - tracing failures vary widely
            if torchscript:
                raise NotExportableError(
                    f"The model cannot be traced to TorchScript ({exc}); replace the TorchScript "
                    "backbone with a state dict in a torchvision architecture and export again.",
                    missing[0],
                ) from exc
            result.skipped["torchscript"] = f"TorchScript skipped: tracing failed ({exc})."
            ts = None
        if ts is not None:
            write("model.ts", ts)
    write("model.py", source)
    write("layers.py", Path(layers.__file__).read_text(encoding="utf-8"))
    for name, data in user_files.items():
        write(name, data)
    metadata = tensors.weights_metadata(
        project.name, model_info.class_names, shape, model_info.preprocessing
    )
    write("model.safetensors", tensors.safetensors_bytes(model, metadata))
    if text:
        (out / text_export.FOLDER).mkdir(exist_ok=True)
        for name, data in text_export.encoder_files(project).items():
            write(name, data)
    write("predict.py", text_export.PREDICT_TEXT_PY if text else PREDICT_PY)
    write("train.py", train_script(project, model_info, model))
    if "onnx" in formats:
        reason = extra.write_onnx(model, shape, out / "model.onnx")
        if reason is None:
            result.files.append(out / "model.onnx")
            written["model.onnx"] = folder.file_sha256(out / "model.onnx") or ""
        else:
            result.skipped["onnx"] = reason
    result.notes += list(result.skipped.values())
    names = [p.name for p in result.files] + ["README.md"]
    descriptions = {
        **DESCRIPTIONS,
        **{n: "your custom blocks, imported by `model.py`" for n in user_files},
    }
    listed = {n: descriptions[n] for n in descriptions if n in names}
    write(
        "README.md", readme_text(project.name, model_info, listed, torchscript, result.weights_from)
    )
    result.notes += folder.remove_stale(target, written)
    if check:
        checked = [name for name in CHECKED_FILES if name in written]
        result.parity = check_export(out, model, shape, checked, mode=result.mode)
    report_json = result.parity.to_json() if result.parity is not None else None
    folder.write_manifest(target, project.name, written, result.mode, parity=report_json)
    return result


def custom_sources(project: Project) -> dict[str, bytes]:
    """``{"<module>.py": content}`` of each blocks file the project uses, as loaded.

    A file edited since it was loaded is refused: the export would not be the model built.
    """
    out = {}
    for name, path in custom_files(project).items():
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ExportError(
                f"Cannot read the blocks file {path}: {exc.strerror or exc}."
            ) from None
        if hashlib.sha256(data).hexdigest() != custom.loaded(path).sha256:
            raise ExportError(
                f"The blocks file {path} changed since it was loaded; reload it (or run the "
                "command again) so the export matches the model, then export."
            )
        out[f"{name}.py"] = data
    return out
