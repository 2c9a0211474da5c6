"""Plain NumPy geometry and colour of the data view's layers: contours, arrows, polylines and
the surface's colours. No Qt here beyond pyqtgraph's colour maps, so all of it is cheap to test.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

#: no arrow is longer than ARROW_CAP typical (90th percentile) ones; head barbs are
#: HEAD_FRACTION of the arrow at HEAD_ANGLE degrees
ARROW_CAP, HEAD_FRACTION, HEAD_ANGLE = 2.0, 0.3, 25.0
#: the colour range of a signed surface covers this quantile of its absolute values
SIGNED_QUANTILE = 0.75

#: corner offsets (row, column) of a cell, counter-clockwise from bottom-left: 00, 01, 11, 10
_CORNERS = np.array([[0, 0], [0, 1], [1, 1], [1, 0]])


def contour_segments(values: np.ndarray, xs: np.ndarray, ys: np.ndarray,
                     levels) -> np.ndarray:
    """Segments of the isocurves of ``values`` (H, W) sampled at ``(xs[column], ys[row])`` at
    ``levels`` (one value or several); cells with a non-finite corner are skipped.

    Returns (2S, 2): consecutive rows are the two ends of a segment (``connect="pairs"``).
    """
    return np.concatenate([np.empty((0, 2)),
                           *contour_segments_by_level(values, xs, ys, levels)])


def contour_segments_by_level(values: np.ndarray, xs: np.ndarray, ys: np.ndarray,
                              levels) -> list[np.ndarray]:
    """:func:`contour_segments` of each level, all in one vectorised marching-squares pass
    (five levels cost about what one did level by level)."""
    levels = np.atleast_1d(np.asarray(levels, dtype=np.float64))
    above = values[None] > levels[:, None, None]  # (L, H, W)
    finite = np.isfinite(values)
    finite = finite[:-1, :-1] & finite[:-1, 1:] & finite[1:, 1:] & finite[1:, :-1]
    height, width = values.shape
    sides = [above[:, r:r + height - 1, c:c + width - 1] for r, c in _CORNERS]
    # edge k joins corner k and corner k + 1: bottom, right, top, left
    cut = [(sides[k] != sides[(k + 1) % 4]) & finite for k in range(4)]
    count = cut[0].view(np.int8) + cut[1].view(np.int8) + cut[2].view(np.int8) \
        + cut[3].view(np.int8)
    cell = np.nonzero(count == 2)  # (level index, row, column) of each cell cut twice
    edges = np.nonzero(np.stack([c[cell] for c in cut], axis=1))[1]  # two per cell, in order
    simple = _edge_crossings(values, xs, ys, *(np.repeat(i, 2) for i in cell), edges, levels)
    # Saddle cells (all four edges cut) are split by the value at the cell centre: on the side
    # of corner 00 the curve cuts off corners 01 and 10 (edges 0-1, 2-3), else 00 and 11 (3-0, 1-2).
    which, rows, cols = np.nonzero(count == 4)
    centre = values[rows, cols] + values[rows, cols + 1] + values[rows + 1, cols + 1] \
        + values[rows + 1, cols]
    same = (centre > 4 * levels[which]) == sides[0][which, rows, cols]
    edges = np.where(same[:, None], [0, 1, 2, 3], [3, 0, 1, 2]).ravel()
    saddle = _edge_crossings(values, xs, ys, *(np.repeat(i, 4) for i in (which, rows, cols)),
                             edges, levels)
    # np.nonzero lists the cells level by level, so each level's rows are one run
    bounds = np.arange(1, len(levels))
    simple_runs = np.split(simple, 2 * np.searchsorted(cell[0], bounds))
    saddle_runs = np.split(saddle, 4 * np.searchsorted(which, bounds))
    return [np.concatenate(pair) for pair in zip(simple_runs, saddle_runs)]


def _edge_crossings(values, xs, ys, which, rows, cols, edges, levels) -> np.ndarray:
    """Where ``values`` crosses ``levels[which]`` on edge ``edges`` of cells (``rows``, ``cols``)."""
    start, end = _CORNERS[edges], _CORNERS[(edges + 1) % 4]  # (n, 2) offsets
    r0, c0, r1, c1 = rows + start[:, 0], cols + start[:, 1], rows + end[:, 0], cols + end[:, 1]
    v0, v1 = values[r0, c0], values[r1, c1]
    t = (levels[which] - v0) / (v1 - v0)  # the signs differ, so v1 != v0
    return np.stack([xs[c0] + t * (xs[c1] - xs[c0]), ys[r0] + t * (ys[r1] - ys[r0])], axis=1)


def arrow_segments(points: np.ndarray, directions: np.ndarray, typical_length: float) -> np.ndarray:
    """Arrows from ``points`` along ``directions`` as ``connect="pairs"`` segments.

    The first ``2 N`` rows are the shafts (tail, tip) in input order; two barbs per arrow follow.
    Lengths are scaled so the 90th-percentile arrow is ``typical_length`` long, and capped at
    :data:`ARROW_CAP` times that.
    """
    norms = np.linalg.norm(directions, axis=1)
    reference = float(np.percentile(norms, 90)) if len(norms) else 0.0
    if not reference > 0:
        return np.empty((0, 2))
    lengths = np.minimum(norms / reference, ARROW_CAP) * typical_length
    with np.errstate(divide="ignore", invalid="ignore"):
        units = np.where(norms[:, None] > 0, directions / norms[:, None], 0.0)
    tips = points + units * lengths[:, None]
    shafts = np.stack([points, tips], axis=1).reshape(-1, 2)
    angle = math.radians(HEAD_ANGLE)
    barbs = []
    for sign in (1.0, -1.0):
        cos, sin = math.cos(angle), sign * math.sin(angle)
        back = -np.stack([units[:, 0] * cos - units[:, 1] * sin,
                          units[:, 0] * sin + units[:, 1] * cos], axis=1)
        barbs.append(np.stack([tips, tips + back * (HEAD_FRACTION * lengths)[:, None]], axis=1))
    return np.concatenate([shafts, np.concatenate(barbs, axis=1).reshape(-1, 2)])


def polyline_connect(lines: int, points: int) -> np.ndarray:
    """The ``connect`` array that draws ``lines`` polylines of ``points`` points as one curve."""
    connect = np.ones((lines, points), dtype=bool)
    connect[:, -1] = False
    return connect.ravel()


def rgba_lut(colormap: pg.ColorMap) -> np.ndarray:
    """(257, 4) uint8 RGBA: 256 colours of ``colormap``, then transparent (for NaN and inf)."""
    colours = colormap.getLookupTable(nPts=256, alpha=True, mode=pg.ColorMap.BYTE)
    return np.concatenate([np.asarray(colours, dtype=np.uint8), np.zeros((1, 4), np.uint8)])


def surface_rgba(values: np.ndarray, levels, lut: np.ndarray) -> np.ndarray:
    """``values`` (H, W) coloured through ``lut`` (from :func:`rgba_lut`) over ``levels``
    (low, high; beyond them the end colours): (H, W, 4) uint8.

    Done here rather than by pyqtgraph's ImageItem, which re-derived an indexed image and its
    colour table at every repaint (~0.4 ms) and then paid for a slower smooth scaling of it.
    """
    low, high = levels
    finite = np.isfinite(values)
    scaled = np.where(finite, values - low, 0.0) * ((len(lut) - 1) / (high - low))
    index = np.clip(scaled, 0, len(lut) - 2).astype(np.intp)
    index[~finite] = len(lut) - 1
    return lut[index]


def surface_style(values: np.ndarray, probability: bool, boundary: float | None) -> dict:
    """Colour levels, contour levels and the highlighted boundary level of a surface.

    A probability surface gets the fixed range [0, 1]; any other surface (logits, critics,
    least-squares outputs) a range symmetric about 0 that covers the middle
    :data:`SIGNED_QUANTILE` of ``|values|`` (a trained logit reaches -60 far from the data,
    which would leave the interesting part one flat colour; beyond the range the colours
    saturate), rounded up to a "nice" number so that it does not flicker. ``boundary`` is the
    level where D cannot tell real from fake (None: no such level, as for a critic).
    """
    if probability:
        return {"levels": (0.0, 1.0), "contours": (0.1, 0.3, 0.7, 0.9), "boundary": boundary}
    finite = values[np.isfinite(values)]
    spread = float(np.quantile(np.abs(finite), SIGNED_QUANTILE)) if finite.size else 1.0
    limit = _nice_ceiling(spread)
    step = _nice_ceiling(limit / 3.0)
    minor = [k * step for k in range(1, int(limit / step) + 1)]
    return {"levels": (-limit, limit), "contours": tuple(-v for v in minor) + tuple(minor),
            "boundary": boundary}


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least ``value`` (> 0)."""
    if not value > 0 or not math.isfinite(value):
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= value * (1 - 1e-9))
