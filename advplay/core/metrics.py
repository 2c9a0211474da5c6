"""Sample-quality metrics for 2D targets, and a bounded history of metric values.

* :func:`mode_metrics` -- the mode-coverage metrics of PacGAN (Lin et al. 2018), which follow
  VEEGAN (Srivastava et al. 2017): modes captured, fraction of high-quality samples and the
  reverse KL of the high-quality samples' mode histogram.
* :class:`GridReference` / :func:`grid_divergences` -- KL and Jensen-Shannon divergences
  between the target and the samples, both binned on a regular grid over ``target.bounds``.
* :class:`MetricHistory` -- ``(step, {name: value})`` records, thinned evenly when full.

Numpy only: no torch, no Qt.
"""

from __future__ import annotations

import math
import weakref
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from advplay.core.targets.base import Mixture, Target

#: samples drawn for the mode metrics, as in the PacGAN/VEEGAN benchmarks
MODE_METRIC_SAMPLES = 2500
#: a sample is high quality within this many standard deviations of its nearest mode
HQ_STDS = 3.0
#: probability added to every generator cell before normalising (keeps KL finite)
GRID_EPSILON = 1e-10
#: sub-points per cell side when a density has to be integrated numerically
SUPERSAMPLE = 8


def _finite_points(samples) -> tuple[np.ndarray, np.ndarray]:
    """``samples`` as an (n, 2) float array and a mask of its rows that are finite."""
    points = np.asarray(samples, dtype=np.float64).reshape(-1, 2)
    return points, np.all(np.isfinite(points), axis=1)


def _kl(p: np.ndarray, q: np.ndarray) -> float:
    """KL(p || q) in nats; bins with p == 0 contribute 0 (q must be > 0 where p > 0)."""
    mask = p > 0
    if np.any(q[mask] <= 0):
        return math.inf
    return float(np.sum(p[mask] * np.log(p[mask] / q[mask])))


# --------------------------------------------------------------------------- mode metrics


def mode_metrics(samples, mixture: "Mixture", threshold: float = HQ_STDS) -> dict[str, float]:
    """PacGAN/VEEGAN mode-coverage metrics of ``samples`` against a Gaussian mixture.

    Each sample is assigned to the mode with the smallest standardised distance
    ``sqrt((x - mu_k)^T Sigma_k^{-1} (x - mu_k))`` (``||x - mu_k|| / sigma_k`` for isotropic
    modes). It is *high quality* (HQ) when that distance is at most ``threshold`` (3
    standard deviations); a mode is *captured* when at least one HQ sample is assigned to it.
    Components of weight 0 are not modes and are ignored. Non-finite samples count as
    low quality.

    Parameters
    ----------
    samples : (n, 2) array
        Generated points, normally :data:`MODE_METRIC_SAMPLES` of them.
    mixture : Mixture
        The target's mixture parameters.
    threshold : float
        HQ radius in standard deviations.

    Returns
    -------
    dict
        ``modes_captured`` (count), ``n_modes``, ``high_quality`` (fraction of the samples
        that are HQ, in [0, 1]) and ``reverse_kl``: KL(h || w) in nats, where ``h`` is the
        normalised histogram of the HQ samples over the modes and ``w`` the mixture weights
        (uniform for ring8/grid25, as in PacGAN). With no HQ sample ``h`` is undefined and
        ``reverse_kl`` is reported as ``-log(min w)``, the value of a collapse onto the
        rarest mode (``log K`` for uniform weights), so it stays finite and JSON-friendly.
    """
    keep = np.asarray(mixture.weights) > 0
    weights = np.asarray(mixture.weights, dtype=np.float64)[keep]
    weights = weights / weights.sum()
    means = np.asarray(mixture.means, dtype=np.float64)[keep]
    precision = np.linalg.inv(np.asarray(mixture.covariances, dtype=np.float64)[keep])
    n_modes = len(weights)
    points, finite = _finite_points(samples)
    diff = points[finite][:, None, :] - means[None]  # (m, K, 2)
    distance2 = np.einsum("nki,kij,nkj->nk", diff, precision, diff)
    nearest = np.argmin(distance2, axis=1)
    nearest_d2 = distance2[np.arange(len(nearest)), nearest]
    hq = nearest_d2 <= threshold**2
    counts = np.bincount(nearest[hq], minlength=n_modes).astype(np.float64)
    n_hq = counts.sum()
    if n_hq > 0:
        reverse_kl = _kl(counts / n_hq, weights)
    else:
        reverse_kl = float(-np.log(weights.min()))
    return {
        "modes_captured": float(np.count_nonzero(counts)),
        "n_modes": float(n_modes),
        "high_quality": float(n_hq / len(points)) if len(points) else 0.0,
        "reverse_kl": reverse_kl,
    }


# --------------------------------------------------------------------- grid divergences


def _normal_mass(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """P(low < Z < high) for standard normal Z, elementwise, accurate in both tails."""
    erfc = np.vectorize(math.erfc, otypes=[np.float64])
    upper = 0.5 * (erfc(low / math.sqrt(2)) - erfc(high / math.sqrt(2)))  # both in upper tail
    lower = 0.5 * (erfc(-high / math.sqrt(2)) - erfc(-low / math.sqrt(2)))
    return np.where(low > 0, upper, lower)


def _is_axis_aligned(mixture: "Mixture") -> bool:
    cov = np.asarray(mixture.covariances, dtype=np.float64)
    off = np.abs(cov[:, 0, 1]) + np.abs(cov[:, 1, 0])
    return bool(np.all(off <= 1e-12 * np.sqrt(cov[:, 0, 0] * cov[:, 1, 1])))


def _mixture_cell_mass(mixture: "Mixture", x_edges: np.ndarray, y_edges: np.ndarray):
    """Exact mass of an axis-aligned Gaussian mixture in every cell, shape (nx, ny)."""
    means = np.asarray(mixture.means, dtype=np.float64)
    std = np.sqrt(np.diagonal(np.asarray(mixture.covariances, dtype=np.float64), axis1=1, axis2=2))
    zx = (x_edges[None] - means[:, :1]) / std[:, :1]  # (K, nx + 1)
    zy = (y_edges[None] - means[:, 1:]) / std[:, 1:]
    px = _normal_mass(zx[:, :-1], zx[:, 1:])
    py = _normal_mass(zy[:, :-1], zy[:, 1:])
    return np.einsum("k,ki,kj->ij", np.asarray(mixture.weights, dtype=np.float64), px, py)


def _supersampled_cell_mass(target: "Target", x_edges, y_edges, per_side: int, chunk=65536):
    """Cell masses from the density averaged over ``per_side`` x ``per_side`` sub-points."""
    offsets = (np.arange(per_side) + 0.5) / per_side
    xs = (x_edges[:-1, None] + np.diff(x_edges)[:, None] * offsets).ravel()
    ys = (y_edges[:-1, None] + np.diff(y_edges)[:, None] * offsets).ravel()
    grid = np.stack(np.meshgrid(xs, ys, indexing="ij"), axis=-1).reshape(-1, 2)
    density = np.concatenate(
        [np.exp(target.log_prob(grid[i:i + chunk])) for i in range(0, len(grid), chunk)]
    )
    nx, ny = len(x_edges) - 1, len(y_edges) - 1
    density = density.reshape(nx, per_side, ny, per_side).mean(axis=(1, 3))
    return density * np.diff(x_edges)[:, None] * np.diff(y_edges)[None]


class GridReference:
    """A target's probabilities on a ``grid_size`` x ``grid_size`` grid over its bounds.

    Built once per target, then :meth:`divergences` bins any batch of samples on the same
    grid and compares. The target's cell masses are exact (Gaussian CDF per cell and axis)
    for mixtures with axis-aligned covariances -- which matters for narrow modes such as
    ring8 (std 0.01), whose peaks cell-centre evaluation would miss -- and otherwise the
    density averaged over ``supersample`` x ``supersample`` sub-points of each cell. The
    target is normalised over the grid, so its mass outside the window is ignored.

    Samples outside the window (or non-finite) are not clipped: they fall in one extra
    *outside* bin, where the target has no mass, so escaping the window costs divergence.
    The generator histogram gets ``epsilon`` added to every in-window cell before
    normalising; this keeps KL(p || q) finite when the
    samples miss a region the target covers, but then KL grows like ``log(1 / epsilon)``
    times the mass missed. JS needs no smoothing and is bounded by ``log 2``.
    """

    def __init__(self, target: "Target", grid_size: int = 64, supersample: int = SUPERSAMPLE,
                 epsilon: float = GRID_EPSILON):
        if not getattr(target, "has_density", False):
            raise ValueError(f"{type(target).__name__} has no density to compare against")
        if grid_size < 1 or supersample < 1 or epsilon < 0:
            raise ValueError("grid_size and supersample must be >= 1 and epsilon >= 0")
        x_min, x_max, y_min, y_max = (float(v) for v in target.bounds)
        self.grid_size = int(grid_size)
        self.epsilon = float(epsilon)
        self.x_edges = np.linspace(x_min, x_max, self.grid_size + 1)
        self.y_edges = np.linspace(y_min, y_max, self.grid_size + 1)
        mixture = getattr(target, "mixture", None)
        if mixture is not None and _is_axis_aligned(mixture):
            mass = _mixture_cell_mass(mixture, self.x_edges, self.y_edges)
        else:
            mass = _supersampled_cell_mass(target, self.x_edges, self.y_edges, supersample)
        mass = np.where(np.isfinite(mass) & (mass > 0), mass, 0.0)
        if mass.sum() <= 0:
            raise ValueError(f"{type(target).__name__} has no mass inside its bounds")
        #: target probabilities per cell (grid_size, grid_size), x index first; sums to 1
        self.probs = mass / mass.sum()

    def histogram(self, samples) -> np.ndarray:
        """Smoothed generator probabilities: the cells (flattened) then the outside bin."""
        points, finite = _finite_points(samples)
        counts, _, _ = np.histogram2d(
            points[finite, 0], points[finite, 1], bins=(self.x_edges, self.y_edges)
        )
        outside = len(points) - counts.sum()
        q = np.append(counts.ravel() + self.epsilon, outside)
        total = q.sum()
        return q / total if total > 0 else np.append(np.full(counts.size, 1 / counts.size), 0)

    def divergences(self, samples) -> dict[str, float]:
        """``kl_grid`` = KL(target || samples), ``js_grid`` (nats) and ``grid_size``."""
        p = np.append(self.probs.ravel(), 0.0)
        q = self.histogram(samples)
        m = 0.5 * (p + q)
        js = 0.5 * _kl(p, m) + 0.5 * _kl(q, m)
        return {
            "kl_grid": max(_kl(p, q), 0.0),
            "js_grid": min(max(js, 0.0), math.log(2)),
            "grid_size": float(self.grid_size),
        }


_GRID_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def grid_reference(target: "Target", grid_size: int = 64) -> GridReference:
    """The :class:`GridReference` of ``target``, cached while the target is alive."""
    try:
        per_target = _GRID_CACHE.setdefault(target, {})
    except TypeError:  # not weak-referenceable: no caching
        return GridReference(target, grid_size)
    if grid_size not in per_target:
        per_target[grid_size] = GridReference(target, grid_size)
    return per_target[grid_size]


def grid_divergences(samples, target: "Target", grid_size: int = 64) -> dict[str, float]:
    """Grid KL and JS between ``target`` (which must have a density) and ``samples``.

    See :class:`GridReference` for how both sides are binned; the reference is cached.
    """
    return grid_reference(target, grid_size).divergences(samples)


def target_metrics(samples, target: "Target", grid: GridReference | None = None) -> dict:
    """Every metric ``target`` supports: mode metrics for mixtures, grid divergences for
    targets with a density (using ``grid`` when given, else the cached 64 x 64 reference)."""
    values: dict[str, float] = {}
    if getattr(target, "mixture", None) is not None:
        values.update(mode_metrics(samples, target.mixture))
    if getattr(target, "has_density", False):
        values.update((grid or grid_reference(target)).divergences(samples))
    return values


# ------------------------------------------------------------------------------ history


class MetricHistory:
    """A bounded history of ``(step, {name: value})`` records spanning the whole run.

    Records are kept at every ``stride``-th append (stride starts at 1), plus always the
    newest one. When more than ``capacity`` are held the stride doubles and every other
    kept record is dropped, so the first and the newest records always survive, spacing
    stays even, and memory stays bounded.

    Records are stored column by column in NumPy arrays (a column per name, NaN where a
    record has no value), so :meth:`steps` and :meth:`series` are copies, not loops: every
    live frame reads the whole history, from the training thread.
    """

    def __init__(self, capacity: int = 1000):
        if capacity < 3:
            raise ValueError("capacity must be at least 3")
        self.capacity = int(capacity)
        self.clear()

    def clear(self) -> None:
        """Forget every record."""
        rows = self.capacity + 1  # one more than kept: the newest before a thinning
        self._index = np.zeros(rows, dtype=np.int64)  # append number of each kept record
        self._steps = np.zeros(rows, dtype=np.int64)
        self._values = np.full((rows, 0), math.nan)  # (row, column of a name)
        self._columns: dict[str, int] = {}  # name -> column, in order of first appearance
        self._count = 0
        self._appended = 0
        self._stride = 1

    def append(self, step: int, values: dict) -> None:
        """Record ``values`` (name -> number; None means missing) at training ``step``."""
        if "step" in values:
            raise ValueError("'step' is reserved and cannot be a metric name")
        numbers = {name: math.nan if value is None else float(value)  # checked before any change
                   for name, value in values.items()}
        step = int(step)
        if any(not isinstance(name, str) for name in numbers):
            raise TypeError(f"metric names are strings: {list(numbers)!r}")
        if self._count and self._index[self._count - 1] % self._stride:
            self._count -= 1  # the previous newest was only kept for being newest
        row = self._count
        self._index[row], self._steps[row] = self._appended, step
        self._values[row] = math.nan
        for name, number in numbers.items():
            column = self._columns.get(name)
            if column is None:
                column = self._add_column(name)
            self._values[row, column] = number
        self._count += 1
        self._appended += 1
        while self._count > self.capacity:
            self._thin()

    def _add_column(self, name: str) -> int:
        self._columns[name] = column = len(self._columns)
        self._values = np.concatenate(
            [self._values, np.full((len(self._values), 1), math.nan)], axis=1)
        return column

    def _thin(self) -> None:
        """Double the stride: keep the records whose append number is a multiple, and the newest."""
        self._stride *= 2
        last = self._count - 1
        keep = np.flatnonzero(self._index[:last] % self._stride == 0).tolist() + [last]
        for array in (self._index, self._steps, self._values):
            array[:len(keep)] = array[keep]
        self._count = len(keep)

    def __len__(self) -> int:
        return self._count

    def names(self) -> list[str]:
        """Every metric name seen, in order of first appearance."""
        return list(self._columns)

    def steps(self) -> np.ndarray:
        """The steps of the kept records, an int64 array."""
        return self._steps[:self._count].copy()

    def series(self, name: str) -> np.ndarray:
        """Values of ``name`` per kept record (float64); NaN where a record lacks it."""
        column = self._columns.get(name)
        if column is None:
            return np.full(self._count, math.nan)
        return self._values[:self._count, column].copy()

    def latest(self) -> tuple[int, dict[str, float]] | None:
        """``(step, values)`` of the newest record (NaN for a name it lacks), or None when empty."""
        if not self._count:
            return None
        row = self._values[self._count - 1]
        return int(self._steps[self._count - 1]), {
            name: float(row[column]) for name, column in self._columns.items()}

    def to_dict(self) -> dict[str, list]:
        """``{"step": [...], name: [...]}``; strict JSON (NaN and inf become None)."""
        out: dict[str, list] = {"step": self.steps().tolist()}
        for name in self._columns:
            out[name] = [v if math.isfinite(v) else None for v in self.series(name).tolist()]
        return out

    @classmethod
    def from_dict(cls, data: dict, capacity: int = 1000) -> "MetricHistory":
        """Rebuild a history written by :meth:`to_dict`."""
        history = cls(capacity)
        names = [k for k in data if k != "step"]
        for i, step in enumerate(data.get("step", [])):
            values = {n: data[n][i] for n in names if data[n][i] is not None}
            history.append(step, values)
        return history
