"""User ``nn.Module`` classes as block types ("Custom" category).

A blocks file is a Python file of the user's. It runs only when asked (:func:`load_blocks_file`:
File > Import, ``--blocks FILE`` or the per-user blocks folder), as a uniquely named module.
Each public ``nn.Module`` subclass defined in it becomes a block type named after the class;
its ``__init__`` signature gives the parameters (:mod:`ftstudio.core.blocks.custom_params`) and
its docstring the description. Every failure is a :class:`CustomBlockError` naming the user's
``file:line``, never FT Studio's traceback; a file that fails registers nothing.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import os
import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import nn

from ftstudio.core.blocks import codegen, registry
from ftstudio.core.blocks.custom_errors import (
    CustomBlockError,
    exception_text,
    place_in,
    place_of,
)
from ftstudio.core.blocks.custom_params import (
    LAST_DIM,
    WEIGHTS_PARAMS,
    Signature,
    SignatureProblem,
    read_signature,
)
from ftstudio.core.files import require_regular_file
from ftstudio.core.weights import apply_weights_file

BLOCKS_DIR_ENV = "FTSTUDIO_BLOCKS_DIR"


@dataclass(frozen=True)
class BlocksFile:
    """A loaded blocks file: where it is, its content's SHA-256 and the types it registered."""

    path: Path
    sha256: str
    module_name: str
    type_names: tuple[str, ...]

    @property
    def export_module(self) -> str:
        """The module name an export imports it by (its copy is ``<name>.py``)."""
        return export_module_name(self.path)


_LOADED: dict[Path, BlocksFile] = {}
_COUNTER = [0]


def sha256_of(path: str | os.PathLike) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


EXPORT_TAKEN = ("model", "layers", "predict", "train", "torch", "torchvision", "safetensors")


def export_module_name(path: Path) -> str:
    """The module name an export imports the file by: its stem as an identifier, never one of
    the export's own files or the libraries it imports."""
    name = re.sub(r"\W", "_", path.stem) or "custom_blocks"
    if name[0].isdigit():
        name = f"blocks_{name}"
    return f"{name}_blocks" if name in EXPORT_TAKEN else name


def user_blocks_dir() -> Path:
    """The per-user blocks folder: ``$FTSTUDIO_BLOCKS_DIR``, else ``$XDG_CONFIG_HOME`` (or
    ``~/.config``) ``/ftstudio/blocks``. Every ``*.py`` in it is the user's own code."""
    if os.environ.get(BLOCKS_DIR_ENV):
        return Path(os.environ[BLOCKS_DIR_ENV]).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(config) / "ftstudio" / "blocks"


def user_blocks_files() -> list[Path]:
    folder = user_blocks_dir()
    return sorted(p for p in folder.glob("*.py") if p.is_file()) if folder.is_dir() else []


def loaded_files() -> list[BlocksFile]:
    return list(_LOADED.values())


def loaded(path: str | os.PathLike) -> BlocksFile | None:
    return _LOADED.get(Path(path).expanduser().resolve())


def file_of(type_name: str) -> BlocksFile | None:
    """The loaded file a custom block type comes from (None for a built-in type)."""
    return next((f for f in _LOADED.values() if type_name in f.type_names), None)


def load_blocks_file(path: str | os.PathLike) -> BlocksFile:
    """Run ``path`` and register its classes as block types (again if its content changed).

    Raises
    ------
    CustomBlockError
        The file is missing, does not run, defines no ``nn.Module``, or a class is refused
        (its name is taken, a parameter has no usable type or default); nothing is registered.
    """
    path = Path(path).expanduser().resolve()
    shown = path.name
    require_regular_file(path, f"Blocks file {shown}", CustomBlockError, "Check the path.")
    sha = sha256_of(path)
    previous = _LOADED.get(path)
    if previous is not None and previous.sha256 == sha:
        return previous
    module = _run(path, sha)
    try:
        new_types = [_block_type(cls, path, sha) for cls in _classes(module, path)]
        taken = {t.name for t in registry.all_types()} - set(
            previous.type_names if previous else ()
        )
        for block_type in new_types:
            _refuse_taken(block_type.name, taken, path, module)
    except CustomBlockError:
        sys.modules.pop(module.__name__, None)
        raise
    if previous is not None:
        unload_blocks_file(path)
    for block_type in new_types:
        registry.register(block_type)
    record = BlocksFile(path, sha, module.__name__, tuple(t.name for t in new_types))
    _LOADED[path] = record
    return record


def unload_blocks_file(path: str | os.PathLike) -> None:
    """Unregister a file's block types and forget its module (nothing if not loaded)."""
    record = _LOADED.pop(Path(path).expanduser().resolve(), None)
    if record is None:
        return
    for name in record.type_names:
        registry.unregister(name)
    sys.modules.pop(record.module_name, None)


def reload_blocks_file(path: str | os.PathLike) -> BlocksFile:
    """Run the file again (after an edit); its block types are replaced."""
    record = loaded(path)
    if record is not None:
        _LOADED[record.path] = BlocksFile(record.path, "", record.module_name, record.type_names)
    return load_blocks_file(path)


def _run(path: Path, sha: str) -> types.ModuleType:
    _COUNTER[0] += 1
    name = f"ftstudio_user_blocks_{export_module_name(path)}_{sha[:8]}_{_COUNTER[0]}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CustomBlockError(f"{path.name} cannot be loaded as Python; name it *.py.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look classes up there
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the user's code, any failure
        sys.modules.pop(name, None)
        where = place_in(exc, path) or path.name
        what = "has a syntax error" if isinstance(exc, SyntaxError) else "failed to load"
        detail = exc.msg if isinstance(exc, SyntaxError) else exception_text(exc)
        raise CustomBlockError(
            f"{where}: the blocks file {what}: {detail}. Fix the file, then load it again."
        ) from None
    return module


def _classes(module: types.ModuleType, path: Path) -> list[type]:
    found = [
        obj
        for name, obj in vars(module).items()
        if isinstance(obj, type)
        and issubclass(obj, nn.Module)
        and obj.__module__ == module.__name__
        and not name.startswith("_")
    ]
    if not found:
        raise CustomBlockError(
            f"{path.name} defines no public nn.Module subclass, so it gives no blocks. Define a "
            "class such as `class MyBlock(nn.Module):` (names starting with _ are skipped)."
        )
    return found


def _refuse_taken(name: str, taken: set[str], path: Path, module: types.ModuleType) -> None:
    clash = next((t for t in taken if t.lower() in (name.lower(), _snake(name))), None)
    if clash is None:
        return
    where = place_of(getattr(module, name), path) or path.name
    origin = registry.get(clash).origin
    owner = f"a block in {Path(origin).name}" if origin else "a built-in block"
    raise CustomBlockError(
        f"{where}: the class name {name} collides with {owner} ('{clash}'). Rename the class."
    )


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _block_type(cls: type, path: Path, sha: str) -> registry.BlockType:
    try:
        sig = read_signature(cls)
    except SignatureProblem as exc:
        where = place_of(cls, path) or path.name
        raise CustomBlockError(f"{where}: {cls.__name__}: {exc}.") from None
    doc = inspect.getdoc(cls) or ""
    return registry.BlockType(
        name=cls.__name__,
        title=cls.__name__,
        category=registry.CUSTOM_CATEGORY,
        description=" ".join(doc.split("\n\n")[0].split()) or f"{cls.__name__} from {path.name}",
        params=sig.params,
        accepts=sig.accepts,
        build=lambda p, s, w: _build(cls, sig, path, p, s, w),
        code=lambda p, s: codegen.call(
            f"{export_module_name(path)}.{cls.__name__}", **_kwargs(sig, p, s, for_code=True)
        ),
        origin=str(path),
        version=sha,
        locate=lambda exc: place_in(exc, path) or place_of(cls.forward, path),
    )


def _kwargs(sig: Signature, params: dict[str, Any], in_shape: tuple[int, ...], for_code=False):
    kwargs = {k: v for k, v in params.items() if k not in WEIGHTS_PARAMS}
    for name in sig.params:
        key = name.name
        if key not in kwargs:
            continue
        if key in sig.none_if_empty and kwargs[key] == "":
            kwargs[key] = None
        elif key in sig.as_path and not for_code:
            kwargs[key] = Path(kwargs[key])
    for size in sig.sizes:
        kwargs[size] = in_shape[-1] if size in LAST_DIM else in_shape[0]
    return kwargs


def _build(
    cls: type,
    sig: Signature,
    path: Path,
    params: dict[str, Any],
    in_shape: tuple[int, ...],
    load_weights: bool,
) -> nn.Module:
    kwargs = _kwargs(sig, params, in_shape)
    try:
        module = cls(**kwargs)
    except Exception as exc:  # noqa: BLE001 - the user's constructor, any failure
        where = place_in(exc, path) or place_of(cls, path) or path.name
        raise CustomBlockError(
            f"{where}: {cls.__name__}(...) raised {exception_text(exc)}. Fix the class or its "
            "parameters, then reload the file."
        ) from None
    if not callable(getattr(module, "freeze_units", None)):
        module.freeze_units = types.MethodType(_top_level_children, module)
    weights = params.get("weights_file")
    if weights:
        prefixes = tuple(s.strip() for s in str(params.get("ignore_prefixes", "")).split(","))
        apply_weights_file(
            module,
            weights,
            load_weights,
            ignore=tuple(p for p in prefixes if p),
            ignore_unexpected=tuple(p for p in prefixes if p),
            remedy=lambda _fit: (
                "List the keys to leave out (a classifier head) in "
                "ignore_prefixes, comma-separated, or pick the file saved from this architecture."
            ),
        )
    return module


def _top_level_children(module: nn.Module) -> dict[str, list]:
    """Stage-level freezing of a custom block: one stage per top-level child module."""
    return {name: [child] for name, child in module.named_children()}
