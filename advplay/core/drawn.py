"""A density painted on a grid, as a target: exact piecewise-constant density, cell sampling.

The drawing is ``density`` of shape (C, H, W), one channel per class (at most 8), cell (row, col)
covering ``x in [x_min + col*dx, x_min + (col+1)*dx)`` and ``y`` likewise with row 0 at the
bottom (y_min). Sampling picks a cell in proportion to its mass, then a uniform point inside it,
so ``log_prob`` is exact: the cell's mass over its area.

File format (``.npz``, written by :func:`save_drawing`): ``format = "advplay-drawing"``,
``version = 1``, ``density`` float32 (C, H, W) >= 0, ``bounds`` float64 (4,).
"""

from __future__ import annotations

import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from advplay.core.errors import ConfigError
from advplay.core.paths import temporary_beside
from advplay.core.targets.base import TARGETS, Bounds, Target

MAX_CLASSES = 8
FORMAT = "advplay-drawing"
VERSION = 1
#: a drawing file must not unpack to more than this (a ZIP bomb stays a small file)
MAX_UNPACKED_BYTES = 256 << 20
#: what reading a damaged ZIP can raise: zipfile raises NotImplementedError for an unknown
#: compression method and RuntimeError for an encrypted member
ZIP_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile,
              zlib.error, NotImplementedError, RuntimeError)
#: and a damaged .npz (a ZIP of arrays), whose members are looked up and converted
ARCHIVE_ERRORS = (*ZIP_ERRORS, KeyError, TypeError)
#: the canvas window of new drawings, imported images and point sets
DEFAULT_BOUNDS: Bounds = (-2.0, 2.0, -2.0, 2.0)


class DrawnTarget(Target):
    """A target from a painted grid; classes are the channels (labels only when C > 1)."""

    has_density = True

    def __init__(self, density: np.ndarray, bounds: Bounds = DEFAULT_BOUNDS):
        density = np.asarray(density, dtype=np.float64)
        if density.ndim == 2:
            density = density[None]
        _check_density(density, bounds)
        self.density = density
        self.bounds = tuple(float(b) for b in bounds)
        self.n_classes = density.shape[0] if density.shape[0] > 1 else 0
        height, width = density.shape[1:]
        x_min, x_max, y_min, y_max = self.bounds
        self.cell = ((x_max - x_min) / width, (y_max - y_min) / height)
        self._cumulative = np.cumsum(density.ravel() / density.sum())
        with np.errstate(divide="ignore"):  # empty cells: log 0 = -inf, on purpose
            self._cell_log_density = np.log(density.sum(axis=0) / density.sum()
                                            / (self.cell[0] * self.cell[1]))  # (H, W)

    def sample(self, n, rng):
        flat = np.searchsorted(self._cumulative, rng.random(n) * self._cumulative[-1], side="right")
        flat = np.minimum(flat, len(self._cumulative) - 1)
        channel, row, col = np.unravel_index(flat, self.density.shape)
        jitter = rng.random((n, 2))
        points = np.stack([self.bounds[0] + (col + jitter[:, 0]) * self.cell[0],
                           self.bounds[2] + (row + jitter[:, 1]) * self.cell[1]], axis=1)
        labels = channel.astype(np.int64) if self.n_classes else None
        return points, labels

    def log_prob(self, x):
        x = np.asarray(x, dtype=np.float64)
        col = np.floor((x[:, 0] - self.bounds[0]) / self.cell[0]).astype(np.int64)
        row = np.floor((x[:, 1] - self.bounds[2]) / self.cell[1]).astype(np.int64)
        height, width = self._cell_log_density.shape
        inside = (col >= 0) & (col < width) & (row >= 0) & (row < height)
        result = np.full(len(x), -np.inf)
        result[inside] = self._cell_log_density[row[inside], col[inside]]
        return result


def _check_density(density: np.ndarray, bounds) -> None:
    if density.ndim != 3 or density.shape[1] < 2 or density.shape[2] < 2:
        raise ConfigError("density", density.shape, "must be a (classes, height, width) grid")
    if not 1 <= density.shape[0] <= MAX_CLASSES:
        raise ConfigError("density", density.shape, f"must have 1 to {MAX_CLASSES} classes")
    if not np.all(np.isfinite(density)) or np.any(density < 0):
        raise ConfigError("density", "non-finite or negative", "must be finite and >= 0")
    if density.sum() <= 0:
        raise ConfigError("density", "empty drawing",
                          "paint some density (or import an image or points) before training")
    b = np.asarray(bounds, dtype=np.float64)
    if b.shape != (4,) or not np.all(np.isfinite(b)) or b[1] <= b[0] or b[3] <= b[2]:
        raise ConfigError("bounds", bounds, "must be (x_min, x_max, y_min, y_max) with min < max")


def save_drawing(path: str | Path, density: np.ndarray, bounds: Bounds) -> None:
    """Write a drawing atomically (a temporary file beside ``path``, then a rename)."""
    density = np.asarray(density, dtype=np.float32)
    if density.ndim == 2:
        density = density[None]
    path = Path(path)
    temporary = temporary_beside(path)  # the user's usual permissions, unlike mkstemp's
    try:
        with open(temporary, "wb") as stream:
            np.savez_compressed(stream, format=np.array(FORMAT), version=np.array(VERSION),
                                density=density, bounds=np.asarray(bounds, dtype=np.float64))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_drawing(path: str | Path) -> tuple[np.ndarray, Bounds]:
    """Read a drawing; ConfigError (key ``target.path``) if it is missing, corrupt or not one."""
    try:
        _check_unpacked_size(path)
        with open(path, "rb") as stream, np.load(stream, allow_pickle=False) as data:
            if str(data["format"]) != FORMAT or int(data["version"]) > VERSION:
                raise ValueError("not an advplay drawing of a known version")
            density = np.array(data["density"], dtype=np.float64)
            bounds = tuple(float(b) for b in data["bounds"])
    except ARCHIVE_ERRORS as error:
        raise ConfigError("target.path", str(path), f"is not a readable drawing ({error})") from None
    try:
        check_drawing(density, bounds)
    except ConfigError as error:
        raise ConfigError("target.path", str(path), f"holds a bad drawing: {error}") from None
    return density, bounds


def _check_unpacked_size(path) -> None:
    """ValueError if the archive would unpack beyond MAX_UNPACKED_BYTES (a ZIP bomb)."""
    with zipfile.ZipFile(path) as archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
            raise ValueError("it unpacks to more than 256 MB")


def check_drawing(density: np.ndarray, bounds) -> tuple[np.ndarray, Bounds]:
    """``(density as (C, H, W), bounds)`` if they make a drawing; ConfigError otherwise."""
    density = np.asarray(density, dtype=np.float64)
    density = density[None] if density.ndim == 2 else density
    _check_density(density, bounds)
    return density, tuple(float(b) for b in bounds)


@TARGETS.register("drawn", "your drawing: paint it in the app (D); in configs, path = a saved .npz")
def drawn(path: str = "") -> DrawnTarget:
    if not isinstance(path, str) or not path:
        raise ConfigError("path", path, "must name a drawing file saved by the app (.npz)")
    density, bounds = load_drawing(path)
    return DrawnTarget(density, bounds)


from advplay.core import imports  # noqa: E402,F401  (registers the "points" and "image" targets)
