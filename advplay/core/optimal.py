"""The optimal discriminator D*(x) = p(x) / (p(x) + q_G(x)) on the view grid.

Goodfellow et al. (2014, Proposition 1): for a fixed generator with density q_G, the
discriminator that wins the GAN game is D*(x) = p(x) / (p(x) + q_G(x)); the least-squares GAN
with targets 0/1 has the same optimum (Mao et al. 2017, eq. 4). The target density p is known
for mixtures, drawings and the shapes with a closed form; q_G is not, so it is estimated from
the generator's samples by a Gaussian kernel density estimate (KDE).

**Both sides are smoothed by the same kernel.** The KDE estimates q_G * K_h (q_G blurred by
the kernel), not q_G; comparing it with the raw p would be biased wherever p is sharper than
the kernel -- on ring8 (mode std 0.01, Scott bandwidth ~0.2) a perfect generator would give
D* ~ 1 at every mode. So this module returns::

    D*_h(x) = (p * K_h)(x) / ((p * K_h)(x) + q_hat(x)),   q_hat = KDE of the samples

the optimal discriminator once Gaussian instance noise N(0, diag(h^2)) is added to real and
fake samples alike (Sonderby et al. 2017; Arjovsky & Bottou 2017). q_hat estimates q_G * K_h
without bias, so a generator equal to the target gives 1/2 at every bandwidth, and as the
sample count grows h -> 0 and D*_h -> D*.

* Bandwidth: Scott's rule per axis, h_d = std_d * n^(-1/6) (Scott 1992, eq. 6.42 for d = 2),
  never below one grid cell, so a collapsed generator still gives a finite estimate.
* q_hat uses the product kernel K_h(u) = N(u_1; 0, h_1^2) N(u_2; 0, h_2^2), which factorises
  over the axes: on an (H, W) grid it is one (H, n) @ (n, W) product, exact and a few ms.
* p * K_h is exact for Gaussian mixtures (covariance Sigma_k + diag(h^2)) and for drawings
  (piecewise constant: each cell's Gaussian mass is a difference of normal CDFs, again one
  product per axis). Other targets with a density are tabulated on a fine grid over their
  window, widened by :data:`FINE_MARGIN` on every side, and treated as piecewise constant.
* **No evidence, no verdict.** Far from the target and the samples both densities are
  tails, and their ratio gave confident answers where neither player has any mass (1.0 in
  a corner of ring8's window, from 10^-14 against 10^-71). Both are mixed with the same
  faint uniform density over the grid (weight :data:`BACKGROUND_WEIGHT`): D* of those
  mixtures is 1/2 where both are negligible and as before wherever either has mass. (The
  broad sectors D* shows around a half-trained ring are not tails: with Scott's bandwidth,
  ~0.2 there, both smoothed densities have mass well away from the ring.)

NumPy (and torch's normal CDF) only: no Qt.
"""

from __future__ import annotations

import math
import weakref

import numpy as np
import torch

from advplay.core.drawn import DrawnTarget
from advplay.core.targets.base import Target

#: cells per side of the fine grid on which a target without a closed-form smoothing is tabulated
FINE_CELLS = 384
#: the fine grid covers the target's window widened by this fraction of its span on each side
FINE_MARGIN = 0.25

_FINE_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
#: weight of the uniform density over the grid mixed into both p * K_h and q_hat
BACKGROUND_WEIGHT = 1e-3


def scott_bandwidth(samples: np.ndarray, floor=0.0) -> np.ndarray:
    """Scott's rule per axis for a 2D product kernel: ``std_d * n^(-1/6)``, at least ``floor``.

    Parameters
    ----------
    samples : (n, 2) array, n >= 2
    floor : float or (2,) array, the smallest bandwidth allowed per axis

    Returns
    -------
    (2,) float64 array of bandwidths.
    """
    samples = np.asarray(samples, dtype=np.float64)
    spread = samples.std(axis=0, ddof=1)  # (2,)
    return np.maximum(spread * len(samples) ** (-1 / 6), floor)


def _normal_kernel(centres: np.ndarray, samples: np.ndarray, bandwidth: float) -> np.ndarray:
    """N(centre - sample; 0, bandwidth^2) for every centre and sample: (len(centres), n)."""
    scaled = (centres[:, None] - samples[None, :]) / bandwidth
    return np.exp(-0.5 * scaled * scaled) / (math.sqrt(2 * math.pi) * bandwidth)


def kde_on_grid(samples: np.ndarray, xs: np.ndarray, ys: np.ndarray, bandwidth) -> np.ndarray:
    """Gaussian product-kernel density estimate of ``samples`` at every grid point.

    Parameters
    ----------
    samples : (n, 2) points
    xs, ys : (W,) and (H,) grid coordinates
    bandwidth : (2,) kernel standard deviations along x and y

    Returns
    -------
    (H, W) density, row = y, column = x: ``(1/n) sum_i N(x - s_i1; h_1) N(y - s_i2; h_2)``.
    """
    samples = np.asarray(samples, dtype=np.float64)
    along_x = _normal_kernel(np.asarray(xs, np.float64), samples[:, 0], bandwidth[0])  # (W, n)
    along_y = _normal_kernel(np.asarray(ys, np.float64), samples[:, 1], bandwidth[1])  # (H, n)
    return _product(along_y, along_x.T) / len(samples)


def _cell_masses(centres: np.ndarray, edges: np.ndarray, bandwidth: float) -> np.ndarray:
    """Mass of N(centre, bandwidth^2) in each interval between ``edges``: (len(centres), cells)."""
    z = torch.from_numpy((edges[None, :] - centres[:, None]) / bandwidth)  # (m, cells + 1)
    cdf = torch.special.ndtr(z).numpy()
    return cdf[:, 1:] - cdf[:, :-1]


def _smoothed_piecewise(density: np.ndarray, bounds, xs, ys, bandwidth) -> np.ndarray:
    """(density * K_h) on the grid, for a density constant on the cells of an (R, C) grid.

    Row 0 of ``density`` is the bottom (y_min), as in a drawing. Exact: the kernel's mass in
    each cell factorises over the axes, ``A_y @ density @ A_x^T``.
    """
    rows, columns = density.shape
    x_edges = np.linspace(bounds[0], bounds[1], columns + 1)
    y_edges = np.linspace(bounds[2], bounds[3], rows + 1)
    across_x = _cell_masses(np.asarray(xs, np.float64), x_edges, bandwidth[0])  # (W, C)
    across_y = _cell_masses(np.asarray(ys, np.float64), y_edges, bandwidth[1])  # (H, R)
    return _product(_product(across_y, density), across_x.T)


def _smoothed_mixture(mixture, xs, ys, bandwidth, component: int | None) -> np.ndarray:
    """(p * K_h) on the grid for a Gaussian mixture: each covariance grows by diag(h^2)."""
    weights = np.asarray(mixture.weights, np.float64)
    if component is not None:
        weights = (np.arange(len(weights)) == component).astype(np.float64)
    keep = weights > 0  # a component of weight 0 is no part of the density
    weights = weights[keep] / weights[keep].sum()
    means = np.asarray(mixture.means, np.float64)[keep]  # (K, 2)
    covariances = np.asarray(mixture.covariances, np.float64)[keep] + np.diag(np.square(bandwidth))
    precision = np.linalg.inv(covariances)  # (K, 2, 2)
    log_norm = -np.log(2 * np.pi) - 0.5 * np.linalg.slogdet(covariances)[1]  # (K,)
    grid_x, grid_y = np.meshgrid(xs, ys)  # (H, W)
    dx = grid_x.reshape(-1, 1) - means[None, :, 0]  # (H*W, K)
    dy = grid_y.reshape(-1, 1) - means[None, :, 1]
    mahalanobis = (precision[:, 0, 0] * dx * dx + precision[:, 1, 1] * dy * dy
                   + (precision[:, 0, 1] + precision[:, 1, 0]) * dx * dy)
    density = np.exp(log_norm + np.log(weights) - 0.5 * mahalanobis).sum(axis=1)
    return density.reshape(grid_x.shape)


def _fine_table(target: Target) -> tuple[np.ndarray, tuple]:
    """The target's density at the cell centres of a fine grid over its widened window (cached)."""
    cached = _FINE_CACHE.get(target)
    if cached is not None:
        return cached
    x_min, x_max, y_min, y_max = (float(b) for b in target.bounds)
    pad_x, pad_y = FINE_MARGIN * (x_max - x_min), FINE_MARGIN * (y_max - y_min)
    bounds = (x_min - pad_x, x_max + pad_x, y_min - pad_y, y_max + pad_y)
    x_edges = np.linspace(bounds[0], bounds[1], FINE_CELLS + 1)
    y_edges = np.linspace(bounds[2], bounds[3], FINE_CELLS + 1)
    grid_x, grid_y = np.meshgrid((x_edges[1:] + x_edges[:-1]) / 2, (y_edges[1:] + y_edges[:-1]) / 2)
    log_density = target.log_prob(np.stack([grid_x.ravel(), grid_y.ravel()], axis=1))
    density = np.exp(np.where(np.isfinite(log_density), log_density, -np.inf))
    table = (density.reshape(grid_x.shape), bounds)
    try:
        _FINE_CACHE[target] = table
    except TypeError:  # not weak-referenceable: no caching
        pass
    return table


def _drawn_density(target: DrawnTarget, label: int | None) -> np.ndarray | None:
    """A drawing's density per unit area (R, C), of one channel when ``label`` is given."""
    channels = target.density if label is None else target.density[label:label + 1]
    mass = channels.sum() * target.cell[0] * target.cell[1]
    return channels.sum(axis=0) / mass if mass > 0 else None


def density_known(target: Target | None, label: int | None = None) -> bool:
    """Whether :func:`optimal_discriminator` can compare with ``target``'s density (of class
    ``label`` when given): a mixture or a drawing, or any density without a class."""
    if target is None or not getattr(target, "has_density", False):
        return False
    return label is None or target.mixture is not None or isinstance(target, DrawnTarget)


def smoothed_density(target: Target, xs, ys, bandwidth, label: int | None = None):
    """The target density blurred by the kernel, ``(p * K_h)``, on the grid ``ys`` x ``xs``.

    With ``label`` the class-conditional density p(x | y = label) is used instead: the
    mixture component, or the drawing's channel. Returns (H, W), or None when the target
    (or the class) has no density to smooth.
    """
    if not density_known(target, label):
        return None
    if target.mixture is not None:
        return _smoothed_mixture(target.mixture, xs, ys, bandwidth, label)
    if isinstance(target, DrawnTarget):
        density = _drawn_density(target, label)
        if density is None:
            return None
        return _smoothed_piecewise(density, target.bounds, xs, ys, bandwidth)
    table, bounds = _fine_table(target)
    return _smoothed_piecewise(table, bounds, xs, ys, bandwidth)


def optimal_discriminator(target: Target, samples, xs, ys, label: int | None = None):
    """D*_h = (p * K_h) / ((p * K_h) + q_hat) on the grid ``ys`` x ``xs``, both mixed with a
    faint uniform density (see the module).

    Parameters
    ----------
    target : the target; None is returned when it has no known density
    samples : (n, 2) generator samples; non-finite rows are dropped, fewer than 2 give None
    xs, ys : (W,) and (H,) grid coordinates (evenly spaced)
    label : compare with the class-conditional p(x | y = label) instead (conditional GANs)

    Returns
    -------
    (H, W) float64 array in [0, 1] (row = y, column = x), or None.
    """
    samples = np.asarray(samples, dtype=np.float64).reshape(-1, 2)
    samples = samples[np.all(np.isfinite(samples), axis=1)]
    if len(samples) < 2:
        return None
    cell = np.array([_spacing(xs), _spacing(ys)])
    bandwidth = scott_bandwidth(samples, floor=cell)
    real = smoothed_density(target, xs, ys, bandwidth, label)
    if real is None:
        return None
    fake = kde_on_grid(samples, xs, ys, bandwidth)
    uniform = 1.0 / (len(xs) * cell[0] * len(ys) * cell[1])
    real = (1 - BACKGROUND_WEIGHT) * real + BACKGROUND_WEIGHT * uniform
    fake = (1 - BACKGROUND_WEIGHT) * fake + BACKGROUND_WEIGHT * uniform
    return real / (real + fake)


def _product(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """``left @ right`` through torch, which runs on the threads torch is given (one in the
    worker and the tests). NumPy's OpenBLAS starts its own thread pool: on two busy cores its
    spinning threads made this 10x slower (2 ms -> 15-60 ms per frame)."""
    left = torch.from_numpy(np.ascontiguousarray(left))
    return (left @ torch.from_numpy(np.ascontiguousarray(right))).numpy()


def _spacing(axis) -> float:
    axis = np.asarray(axis, dtype=np.float64)
    return float(abs(axis[1] - axis[0])) if len(axis) > 1 else 1.0
