"""What a weights file is, and which torchvision architecture a state dict belongs to.

A TorchScript archive is recognised by its ``constants.pkl`` entry, without loading it. A
state dict (bare, in a checkpoint dict, with a wrapper prefix) is read on the meta device,
names and shapes only, and fitted to each torchvision architecture's signature, leaving the
head out: the one that fits is the guess, else the closest ones are named. Results are
cached per file path, modification time and size, so validation can ask on every edit.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from ftstudio.core.blocks.arch_signatures import (
    Signature,
    candidate_signature,
    signature,
    torchvision_architectures,
)
from ftstudio.core.errors import WeightsUnavailableError
from ftstudio.core.state_dicts import KeyFit, fit_keys, shapes_of
from ftstudio.core.weights import is_torchscript, read_state_dict

TORCHSCRIPT = "torchscript"
AUTO = "auto"
CANDIDATES_SHOWN = 3


@dataclass(frozen=True)
class FileInfo:
    """A weights file: ``kind`` is ``"torchscript"`` or ``"state_dict"``.

    For a state dict, ``shapes`` are its tensors' names and shapes and ``where`` says where in
    the file they were found (``""``: the file is the state dict itself).
    """

    kind: str
    shapes: dict[str, tuple[int, ...]]
    where: str = ""


@dataclass(frozen=True)
class Guess:
    """The architecture a state dict fits (None if none), and the closest candidates."""

    arch: str | None
    fit: KeyFit | None
    candidates: tuple[tuple[str, KeyFit], ...]  # best first, the guess included


_CACHE: dict[tuple, object] = {}
_LOCK = threading.Lock()


def _stamp(path: str | Path) -> tuple:
    p = Path(path).expanduser()
    try:
        st = p.stat()
    except OSError:
        return (str(p), None, None)
    return (str(p.resolve()), st.st_mtime_ns, st.st_size)


def _cached(kind: str, path: str | Path, extra: tuple, compute):
    key = (kind, _stamp(path), extra)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    value = compute()
    with _LOCK:
        if len(_CACHE) > 256:
            _CACHE.clear()
        _CACHE[key] = value
    return value


def inspect_file(path: str | Path) -> FileInfo:
    """TorchScript or state dict; a state dict's names and shapes (no tensor data read)."""
    return _cached("inspect", path, (), lambda: _inspect(path))


def _inspect(path: str | Path) -> FileInfo:
    if is_torchscript(path):
        return FileInfo(TORCHSCRIPT, {})
    state, where = read_state_dict(path, device="meta")
    return FileInfo("state_dict", shapes_of(state), where)


def fit_architecture(path: str | Path, arch: str) -> KeyFit | None:
    """How the state dict in ``path`` fits ``arch``, its head left out (None: not buildable)."""
    sig = signature(arch)
    if sig is None:
        return None
    return _cached("fit", path, (arch,), lambda: _fit(inspect_file(path), sig))


def _fit(info: FileInfo, sig: Signature) -> KeyFit:
    return fit_keys(info.shapes, sig.keys, ignore=(sig.head,) if sig.head else ())


def guess_architecture(path: str | Path) -> Guess:
    """The torchvision architecture whose names and shapes the state dict in ``path`` fits."""
    return _cached("guess", path, (), lambda: _guess(path))


def _guess(path: str | Path) -> Guess:
    info = inspect_file(path)
    if info.kind != "state_dict":
        return Guess(None, None, ())
    fits = _ranked(info, candidate_signature)
    if fits and fits[0][1].ok:
        confirmed = fit_architecture(path, fits[0][0])
        if confirmed is not None and confirmed.ok:
            return Guess(fits[0][0], confirmed, tuple(fits[:CANDIDATES_SHOWN]))
        # this torchvision changed that architecture since the signatures were written
        fits = _ranked(info, signature)
    best = fits[0] if fits and fits[0][1].ok else None
    return Guess(
        best[0] if best else None, best[1] if best else None, tuple(fits[:CANDIDATES_SHOWN])
    )


def _ranked(info: FileInfo, signature_for) -> list[tuple[str, KeyFit]]:
    """Every architecture's fit to the file, best first."""
    fits = []
    for arch in torchvision_architectures():
        sig = signature_for(arch)
        if sig is not None:
            fits.append((arch, _fit(info, sig)))
    fits.sort(key=lambda item: (-item[1].score, item[0]))
    return fits


def resolve_architecture(path: str, arch: str) -> str:
    """``arch``, or for ``"auto"`` the kind of file: ``"torchscript"`` or the guessed one.

    Raises :class:`WeightsUnavailableError` when no architecture FT Studio knows fits.
    """
    if arch != AUTO:
        return arch
    if inspect_file(path).kind == TORCHSCRIPT:
        return TORCHSCRIPT
    guess = guess_architecture(path)
    if guess.arch is None:
        raise WeightsUnavailableError(unknown_architecture_message(path, guess))
    return guess.arch


def unknown_architecture_message(path: str, guess: Guess) -> str:
    """No torchvision architecture fits: say so, name the closest, and the other routes."""
    closest = "; ".join(
        f"{arch} ({round(100 * fit.score)}% of keys fit: {fit.problems})"
        for arch, fit in guess.candidates
    )
    return (
        f"The state dict in {path} is not from an architecture FT Studio knows (no torchvision "
        "architecture fits its names and shapes"
        + (f"; closest: {closest}" if closest else "")
        + "). Save the model as TorchScript (torch.jit.script or torch.jit.trace, then "
        "torch.jit.save) and use that file, or rebuild it from blocks (custom blocks)."
    )


def mismatch_remedy(path: str, arch: str, fit: KeyFit) -> str:
    """What to do when the state dict in ``path`` does not fit the ``arch`` the user named.

    Never 'pick the architecture the file was saved from' when the names say it is this one.
    """
    guess = guess_architecture(path)
    if guess.arch is not None:
        return f"The file fits {guess.arch}: choose '{guess.arch}' (or 'auto' where offered)."
    if fit.only_shapes_differ:
        return (
            f"Every name matches {arch}, so the architecture is right, but these layers have "
            f"other shapes (a modified {arch}, e.g. another input channel count); FT Studio "
            "loads files whose layers, apart from the head, keep their shapes."
        )
    return unknown_architecture_message(path, guess).split("). ", 1)[1]


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()
