"""The drawing being painted: a per-class density grid with brush, eraser, blobs and undo.

A :class:`Drawing` holds ``MAX_CLASSES`` channels of an (H, W) grid over ``bounds``, laid out
like :class:`~advplay.core.drawn.DrawnTarget` (row 0 = bottom, column 0 = left). It knows
nothing about Qt: the canvas turns mouse events into :meth:`Drawing.paint` /
:meth:`Drawing.erase` / :meth:`Drawing.add_blob` calls between :meth:`Drawing.begin_stroke`
and :meth:`Drawing.end_stroke`, and each stroke is one undo step.

Undo stores only the rectangle a stroke touched (before and after), so a history of
:data:`MAX_UNDO` strokes stays small.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from advplay.core.drawn import DEFAULT_BOUNDS, MAX_CLASSES, DrawnTarget, load_drawing, save_drawing
from advplay.core.errors import ConfigError
from advplay.core.targets.base import Bounds

#: cells per side of a new drawing
DEFAULT_RESOLUTION = 128
#: strokes kept for undo
MAX_UNDO = 50
#: stamps along a stroke are this fraction of the brush radius apart
STAMP_SPACING = 1 / 3


@dataclass(frozen=True)
class _Edit:
    """One undo step: a rectangle of the grid (None = all of it, bounds too) before and after."""

    region: tuple[slice, slice] | None
    before: np.ndarray
    after: np.ndarray
    bounds_before: Bounds
    bounds_after: Bounds


class Drawing:
    """A painted density: ``MAX_CLASSES`` channels over ``bounds``, with per-stroke undo.

    Parameters
    ----------
    resolution : int
        Cells per side (the grid is square).
    bounds : tuple of float
        ``(x_min, x_max, y_min, y_max)`` of the grid.
    """

    def __init__(self, resolution: int = DEFAULT_RESOLUTION, bounds: Bounds = DEFAULT_BOUNDS):
        self._grid = np.zeros((MAX_CLASSES, resolution, resolution))  # (C, H, W)
        self._bounds = tuple(float(b) for b in bounds)
        self._undo: list[_Edit] = []
        self._redo: list[_Edit] = []
        self._stroke = None  # (grid before the stroke, touched [row0, row1, col0, col1])
        self._last_stamp = None  # (x, y) of the last stamp of the stroke

    # ------------------------------------------------------------------ reading

    @property
    def bounds(self) -> Bounds:
        """``(x_min, x_max, y_min, y_max)`` of the grid."""
        return self._bounds

    @property
    def shape(self) -> tuple[int, int]:
        """(H, W): rows and columns of the grid."""
        return self._grid.shape[1:]

    @property
    def cell(self) -> tuple[float, float]:
        """Width and height of one cell in data units."""
        x_min, x_max, y_min, y_max = self._bounds
        return (x_max - x_min) / self.shape[1], (y_max - y_min) / self.shape[0]

    @property
    def grid(self) -> np.ndarray:
        """All ``MAX_CLASSES`` channels (C, H, W), read-only view."""
        view = self._grid.view()
        view.setflags(write=False)
        return view

    @property
    def density(self) -> np.ndarray:
        """The channels up to the highest used class (at least one): (C, H, W), read-only."""
        used = self.used_classes()
        return self.grid[:(used[-1] + 1 if used else 1)]

    def used_classes(self) -> list[int]:
        """Indices of the classes that hold any density."""
        peaks = self._grid.reshape(MAX_CLASSES, -1).max(axis=1)  # (C,)
        return [int(label) for label in np.flatnonzero(peaks > 0)]

    def total_mass(self) -> float:
        """Integral of the density over the plane (sum of cells times cell area)."""
        width, height = self.cell
        return float(self._grid.sum() * width * height)

    def is_empty(self) -> bool:
        """Whether nothing is painted."""
        return not np.any(self._grid > 0)

    def target(self) -> DrawnTarget:
        """The drawing as a target (labels when more than one class is used up to the highest).

        Raises
        ------
        ConfigError
            When the drawing is empty.
        """
        if self.is_empty():
            raise ConfigError("drawing", "empty",
                              "paint some density first (or import an image or points)")
        return DrawnTarget(self.density.copy(), self._bounds)

    def save(self, path: str | Path) -> None:
        """Write the used channels and the bounds (see :func:`~advplay.core.drawn.save_drawing`)."""
        save_drawing(path, self.density, self._bounds)

    @classmethod
    def load(cls, path: str | Path) -> "Drawing":
        """A drawing read from ``path``, with an empty history; ConfigError if unreadable."""
        density, bounds = load_drawing(path)
        drawing = cls(bounds=bounds)
        drawing._replace(density, bounds)
        return drawing

    # ------------------------------------------------------------------ undo

    @property
    def can_undo(self) -> bool:
        """Whether there is a stroke to undo."""
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        """Whether there is an undone stroke to redo."""
        return bool(self._redo)

    def undo(self) -> bool:
        """Take back the last stroke (ending one in progress first); False if none."""
        self.end_stroke()
        if not self._undo:
            return False
        edit = self._undo.pop()
        self._apply(edit.region, edit.before, edit.bounds_before)
        self._redo.append(edit)
        return True

    def redo(self) -> bool:
        """Apply the last undone stroke again; False if none."""
        self.end_stroke()
        if not self._redo:
            return False
        edit = self._redo.pop()
        self._apply(edit.region, edit.after, edit.bounds_after)
        self._undo.append(edit)
        return True

    def _apply(self, region, values: np.ndarray, bounds: Bounds) -> None:
        if region is None:
            self._replace(values, bounds)
        else:
            self._grid[(slice(None), *region)] = values

    def _record(self, edit: _Edit) -> None:
        self._undo.append(edit)
        del self._undo[:-MAX_UNDO]
        self._redo.clear()

    # ------------------------------------------------------------------ whole-grid edits

    def clear(self) -> None:
        """Erase everything (one undoable step; nothing happens to an empty drawing)."""
        self.end_stroke()
        if not self.is_empty():
            self.set_density(np.zeros((1, *self.shape)), self._bounds)

    def set_density(self, density: np.ndarray, bounds: Bounds) -> None:
        """Replace the grid and bounds (image or points import): density (C or 1, H, W) >= 0.

        One undoable step. The grid takes the density's resolution.
        """
        self.end_stroke()
        # whole-grid steps keep only the used channels, so imports do not fill memory
        before = (self.density.copy(), self._bounds)
        self._replace(density, bounds)
        self._record(_Edit(None, before[0], self.density.copy(), before[1], self._bounds))

    def _replace(self, density: np.ndarray, bounds: Bounds) -> None:
        density = np.asarray(density, dtype=np.float64)
        density = density[None] if density.ndim == 2 else density
        if density.ndim != 3 or not 1 <= len(density) <= MAX_CLASSES:
            raise ConfigError("density", density.shape, "must be a (classes, height, width) "
                              f"grid of 1 to {MAX_CLASSES} classes")
        if not np.all(np.isfinite(density)) or np.any(density < 0):
            raise ConfigError("density", "non-finite or negative", "must be finite and >= 0")
        grid = np.zeros((MAX_CLASSES, *density.shape[1:]))
        grid[:len(density)] = density
        self._grid = grid
        self._bounds = tuple(float(b) for b in bounds)

    # ------------------------------------------------------------------ strokes

    def begin_stroke(self) -> None:
        """Start an undo step; the paint/erase/blob calls until :meth:`end_stroke` belong to it."""
        self.end_stroke()
        self._stroke = (self._grid.copy(), [math.inf, -math.inf, math.inf, -math.inf])
        self._last_stamp = None

    def end_stroke(self) -> None:
        """Finish the stroke in progress (if any) and record what it changed for undo."""
        if self._stroke is None:
            return
        before, (row0, row1, col0, col1) = self._stroke
        self._stroke, self._last_stamp = None, None
        if row0 > row1:
            return  # the stroke touched no cell
        region = (slice(row0, row1), slice(col0, col1))
        old, new = before[(slice(None), *region)], self._grid[(slice(None), *region)]
        if not np.array_equal(old, new):
            self._record(_Edit(region, old.copy(), new.copy(), self._bounds, self._bounds))

    @property
    def in_stroke(self) -> bool:
        """Whether a stroke is in progress."""
        return self._stroke is not None

    def paint(self, x: float, y: float, radius: float, strength: float, label: int) -> None:
        """Add ``strength`` times a soft round stamp at (x, y) to class ``label``.

        The stamp is a Gaussian of std ``radius / 2`` truncated at ``radius``, peak 1. Within a
        stroke, stamps are laid every ``radius / 3`` along the path from the previous one, so
        fast mouse strokes stay continuous and the ink does not depend on the event rate.
        """
        if not 0 <= label < MAX_CLASSES:
            raise ValueError(f"label must be 0 to {MAX_CLASSES - 1}, not {label}")

        def stamp(rows, cols, weights):
            self._grid[label, rows, cols] += strength * weights

        self._stroke_to(x, y, radius, stamp)

    def erase(self, x: float, y: float, radius: float, strength: float) -> None:
        """Multiply every class by ``1 - strength * stamp`` (clipped at 0) around (x, y)."""

        def stamp(rows, cols, weights):
            window = self._grid[:, rows, cols]
            np.multiply(window, np.clip(1.0 - strength * weights, 0.0, 1.0), out=window)

        self._stroke_to(x, y, radius, stamp)

    def add_blob(self, x: float, y: float, std: float, mass: float, label: int) -> None:
        """Add one Gaussian blob (std ``std``, truncated at 3 std) of integral ``mass``."""
        if not 0 <= label < MAX_CLASSES:
            raise ValueError(f"label must be 0 to {MAX_CLASSES - 1}, not {label}")
        opened = self._open_stroke()
        rows, cols, weights = self._stamp_window(x, y, 3 * std, std)
        total = weights.sum()
        if total > 0:
            width, height = self.cell
            self._grid[label, rows, cols] += mass * weights / (total * width * height)
            self._touch(rows, cols)
        if opened:
            self.end_stroke()

    def _open_stroke(self) -> bool:
        """Begin a stroke if none is open (a lone call is its own undo step); True if begun."""
        if self._stroke is None:
            self.begin_stroke()
            return True
        return False

    def _stroke_to(self, x: float, y: float, radius: float, stamp) -> None:
        opened = self._open_stroke()
        radius = max(float(radius), 0.5 * math.hypot(*self.cell))  # at least one cell's reach
        for centre in self._stamp_centres(x, y, radius * STAMP_SPACING):
            rows, cols, weights = self._stamp_window(*centre, radius, radius / 2)
            if weights.size:
                stamp(rows, cols, weights)
                self._touch(rows, cols)
        if opened:
            self.end_stroke()

    def _stamp_centres(self, x: float, y: float, spacing: float) -> list[tuple[float, float]]:
        """Where to stamp when the stroke reaches (x, y): every ``spacing`` from the last stamp."""
        if self._last_stamp is None:
            self._last_stamp = (x, y)
            return [(x, y)]
        last_x, last_y = self._last_stamp
        distance = math.hypot(x - last_x, y - last_y)
        steps = int(distance // spacing)
        if steps == 0:
            return []
        fractions = np.arange(1, steps + 1) * spacing / distance
        centres = [(last_x + f * (x - last_x), last_y + f * (y - last_y)) for f in fractions]
        self._last_stamp = centres[-1]
        return centres

    def _stamp_window(self, x: float, y: float, reach: float, std: float):
        """Cells within ``reach`` of (x, y) as (row slice, column slice, weights (h, w)).

        Weights are ``exp(-d^2 / (2 std^2))`` of the cell centre's distance d, 0 beyond reach.
        """
        x_min, _, y_min, _ = self._bounds
        width, height = self.cell
        rows_count, cols_count = self.shape
        col0 = max(0, math.floor((x - reach - x_min) / width))
        col1 = min(cols_count, math.ceil((x + reach - x_min) / width) + 1)
        row0 = max(0, math.floor((y - reach - y_min) / height))
        row1 = min(rows_count, math.ceil((y + reach - y_min) / height) + 1)
        rows, cols = slice(row0, max(row0, row1)), slice(col0, max(col0, col1))
        centre_x = x_min + (np.arange(cols.start, cols.stop) + 0.5) * width  # (w,)
        centre_y = y_min + (np.arange(rows.start, rows.stop) + 0.5) * height  # (h,)
        squared = (centre_x[None, :] - x) ** 2 + (centre_y[:, None] - y) ** 2  # (h, w)
        weights = np.where(squared <= reach ** 2, np.exp(-squared / (2 * std ** 2)), 0.0)
        return rows, cols, weights

    def _touch(self, rows: slice, cols: slice) -> None:
        if self._stroke is None or rows.start >= rows.stop or cols.start >= cols.stop:
            return
        box = self._stroke[1]
        box[:] = [min(box[0], rows.start), max(box[1], rows.stop),
                  min(box[2], cols.start), max(box[3], cols.stop)]
