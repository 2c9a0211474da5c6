"""Experiment files (``.advplay``): a run saved whole, to open, continue, or share.

Format ``advplay-experiment``, version 1: a ZIP archive holding

``manifest.json``
    ``{"format": "advplay-experiment", "version": 1, "step": N, "model": name, "saved": ISO time}``
``config.toml``
    the fully resolved config (the same text ``advplay train`` writes)
``state.pt``
    tensors only: network weights, optimiser states, the torch random generator's state;
    written with ``torch.save`` and read with ``torch.load(weights_only=True)``, which never
    runs code from the file
``state.json``
    plain values: step, the real-sample stream's NumPy generator state, loss and metric
    histories, latest losses and metrics
``drawing.npz`` (optional)
    the drawn target, in the drawing format of :mod:`advplay.core.drawn`
``reference.npz`` (optional)
    the drawn reference q of a density-ratio run (``model.reference = "drawn"``), same format.
    Opening the file unpacks it to ``<data folder>/references/<content hash>.npz`` and points
    ``model.reference_path`` there, so the run opens even where the original file is gone.

Nothing in an experiment file is executed. Every problem (not a ZIP, a foreign archive, a
newer version, missing or oversized members, weights that do not fit the config) raises
:class:`ConfigError` with a message saying what is wrong; nothing is changed.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from advplay.core.config import Config, config_from_dict, dump_config
from advplay.core.drawn import (ARCHIVE_ERRORS, ZIP_ERRORS, DrawnTarget, check_drawing,
                                save_drawing)
from advplay.core.errors import ConfigError
from advplay.core.paths import data_folder, temporary_beside
from advplay.core.session import Session

FORMAT = "advplay-experiment"
VERSION = 1
SUFFIX = ".advplay"
#: refuse archives whose members would unpack larger than this (a ZIP bomb stays a small file)
MAX_MEMBER_BYTES = 256 << 20
REQUIRED = ("manifest.json", "config.toml", "state.pt", "state.json")
OPTIONAL = ("drawing.npz", "reference.npz")


@dataclass
class Experiment:
    """The contents of an experiment file, checked but not yet trained on."""

    config: Config
    drawing: tuple[np.ndarray, tuple] | None  # (density (C, H, W), bounds) of a drawn target
    state: dict
    step: int

    def session(self, **options) -> Session:
        """A session that continues the saved run exactly (same weights, randomness, step);
        ``options`` go to :class:`Session` (e.g. ``surface_resolution``)."""
        target = DrawnTarget(*self.drawing) if self.drawing is not None else None
        session = Session(self.config, target, **options)
        try:
            session.load_state(self.state)
        except (KeyError, RuntimeError, ValueError, TypeError, AttributeError) as error:
            raise ConfigError("experiment", f"step {self.step}",
                              f"its saved state does not fit its config ({error})") from None
        return session


def is_experiment_file(path: str | Path) -> bool:
    """Whether ``path`` names an experiment file (by its suffix) rather than a TOML config."""
    return Path(path).suffix.lower() == SUFFIX


def save_experiment(path: str | Path, session: Session, drawing=None) -> None:
    """Write ``session`` (and its drawn target ``(density, bounds)``, if any) atomically."""
    path = Path(path)
    state = session.state()
    tensors = {"model": state.pop("model"), "noise": state.pop("noise")}
    weights = io.BytesIO()
    torch.save(tensors, weights)
    manifest = {"format": FORMAT, "version": VERSION, "step": session.step_count,
                "model": session.config.model.name,
                "saved": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    members = {
        "manifest.json": json.dumps(manifest, indent=1).encode(),
        "config.toml": dump_config(session.config.resolved()).encode(),
        "state.pt": weights.getvalue(),
        "state.json": json.dumps(state, allow_nan=True).encode(),
    }
    if drawing is not None:
        members["drawing.npz"] = _drawing_bytes(*drawing)
    reference = getattr(session.model, "reference", None)
    if isinstance(reference, DrawnTarget):
        members["reference.npz"] = _drawing_bytes(reference.density, reference.bounds)
    _write_atomically(path, members)


def load_experiment(path: str | Path) -> Experiment:
    """Read and check an experiment file; ConfigError (key ``experiment``) on any problem."""
    members = _read_members(Path(path))
    where = str(path)
    manifest = _json(members["manifest.json"], where, "manifest.json")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ConfigError("experiment", where, "is not an advplay experiment (foreign manifest)")
    version = manifest.get("version")
    if not isinstance(version, int) or version > VERSION or version < 1:
        raise ConfigError("experiment", where, f"has format version {version!r}; this advplay "
                          f"reads versions 1 to {VERSION}: update advplay to open it")
    drawing = _read_drawing(members["drawing.npz"], where) if "drawing.npz" in members else None
    config = _read_config(members["config.toml"], where, drawing is not None)
    if "reference.npz" in members:
        reference = _read_drawing(members["reference.npz"], where)
        try:
            unpacked = _unpack_reference(*reference)
        except OSError as error:
            raise ConfigError("experiment", where, "has a reference drawing that cannot be "
                              f"unpacked to the data folder ({error})") from None
        config = config.replace({"model.reference_path": str(unpacked)})
    state = _json(members["state.json"], where, "state.json")
    if not isinstance(state, dict):
        raise ConfigError("experiment", where, "has a damaged state.json")
    try:
        state.update(torch.load(io.BytesIO(members["state.pt"]), weights_only=True))
    except Exception as error:  # noqa: BLE001 (unpickling reports anything; refuse them all)
        raise ConfigError("experiment", where, f"has unreadable weights ({error})") from None
    step = state.get("step")
    if not isinstance(step, int) or step < 0:
        raise ConfigError("experiment", where, "has no valid step count")
    return Experiment(config, drawing, state, step)


# ---------------------------------------------------------------------------- helpers


def _write_atomically(path: Path, members: dict[str, bytes]) -> None:
    try:
        temporary = temporary_beside(path)  # the user's usual permissions, unlike mkstemp's
    except OSError as error:
        raise ConfigError("experiment", str(path), f"cannot be written ({error.strerror})") from None
    try:
        with open(temporary, "wb") as stream, zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in members.items():
                archive.writestr(name, data)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise ConfigError("experiment", str(path), f"cannot be written ({error.strerror})") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _read_members(path: Path) -> dict[str, bytes]:
    where = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = {info.filename: info for info in archive.infolist()}
            missing = [name for name in REQUIRED if name not in infos]
            if missing:
                raise ConfigError("experiment", where, "is not an advplay experiment (it lacks "
                                  f"{', '.join(missing)})")
            wanted = [name for name in (*REQUIRED, *OPTIONAL) if name in infos]
            for name in wanted:
                if infos[name].file_size > MAX_MEMBER_BYTES:
                    raise ConfigError("experiment", where, f"is too large to open ({name} unpacks "
                                      f"to {infos[name].file_size >> 20} MB)")
            return {name: archive.read(name) for name in wanted}
    except ConfigError:
        raise
    except ZIP_ERRORS as error:
        raise ConfigError("experiment", where,
                          f"is not a readable advplay experiment ({error})") from None


def _json(data: bytes, where: str, member: str):
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ConfigError("experiment", where, f"has a damaged {member} ({error})") from None


def _read_config(data: bytes, where: str, drawn: bool) -> Config:
    import tomllib

    try:
        table = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError("experiment", where, f"has a damaged config.toml ({error})") from None
    try:
        return config_from_dict(table, check_target=not drawn)
    except ConfigError as error:
        raise ConfigError("experiment", where, f"has an invalid config: {error}") from None


def _drawing_bytes(density, bounds) -> bytes:
    stream = io.BytesIO()
    np.savez_compressed(stream, density=np.asarray(density, dtype=np.float32),
                        bounds=np.asarray(bounds, dtype=np.float64))
    return stream.getvalue()


def _unpack_reference(density: np.ndarray, bounds: tuple) -> Path:
    """Write a reference drawing to the data folder, named by its content; its path."""
    digest = hashlib.sha256(np.ascontiguousarray(density, dtype=np.float32).tobytes()
                            + np.asarray(bounds, dtype=np.float64).tobytes()).hexdigest()[:16]
    path = data_folder() / "references" / f"{digest}.npz"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        save_drawing(path, density, bounds)
    return path


def _read_drawing(data: bytes, where: str) -> tuple[np.ndarray, tuple]:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            density = np.array(arrays["density"], dtype=np.float64)
            bounds = tuple(float(b) for b in arrays["bounds"])
        return check_drawing(density, bounds)
    except ConfigError as error:
        raise ConfigError("experiment", where, f"has an invalid drawing: {error}") from None
    except ARCHIVE_ERRORS as error:
        raise ConfigError("experiment", where, f"has a damaged drawing ({error})") from None
