"""Gaussian-mixture targets: the ring and grid benchmarks, one Gaussian, any mixture."""

from __future__ import annotations

import numpy as np

from advplay.core.errors import ConfigError
from advplay.core.targets.base import TARGETS, GaussianMixture, positive


def _count(name: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(name, value, f"must be a whole number from {low} to {high}")
    return value


@TARGETS.register("ring8", "8 Gaussians on a circle of radius 1, std 0.01 (PacGAN/VEEGAN benchmark)")
def ring8(radius: float = 1.0, std: float = 0.01, n_modes: int = 8) -> GaussianMixture:
    radius, std = positive("radius", radius), positive("std", std)
    n_modes = _count("n_modes", n_modes, 1, 64)
    angles = 2 * np.pi * np.arange(n_modes) / n_modes
    means = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    covariances = np.tile(np.eye(2) * std**2, (n_modes, 1, 1))
    return GaussianMixture(np.ones(n_modes), means, covariances, margin=0.2 * radius)


@TARGETS.register("grid25", "25 Gaussians on the grid {-4,-2,0,2,4}^2, std 0.05 (PacGAN benchmark)")
def grid25(spacing: float = 2.0, std: float = 0.05, n_per_side: int = 5) -> GaussianMixture:
    spacing, std = positive("spacing", spacing), positive("std", std)
    n_per_side = _count("n_per_side", n_per_side, 1, 12)
    axis = spacing * (np.arange(n_per_side) - (n_per_side - 1) / 2)
    means = np.stack(np.meshgrid(axis, axis, indexing="ij"), axis=-1).reshape(-1, 2)
    covariances = np.tile(np.eye(2) * std**2, (len(means), 1, 1))
    return GaussianMixture(np.ones(len(means)), means, covariances, margin=0.25 * spacing)


def _matrix(name: str, value) -> np.ndarray:
    try:
        matrix = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        matrix = None
    if matrix is None or matrix.shape != (2, 2):
        raise ConfigError(name, value, "must be a 2x2 matrix [[a, b], [c, d]]")
    return matrix


def _vector(name: str, value) -> np.ndarray:
    try:
        vector = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        vector = None
    if vector is None or vector.shape != (2,) or not np.all(np.isfinite(vector)):
        raise ConfigError(name, value, "must be a point [x, y] of two finite numbers")
    return vector


@TARGETS.register("gaussian", "one Gaussian with any mean and 2x2 covariance")
def gaussian(
    mean: list = (0.0, 0.0), covariance: list = ((1.0, 0.0), (0.0, 1.0))
) -> GaussianMixture:
    return GaussianMixture([1.0], [_vector("mean", mean)], [_matrix("covariance", covariance)])


@TARGETS.register("mixture", "any list of weighted Gaussians (weights, means, stds or covariances)")
def mixture(
    weights: list = (0.5, 0.5),
    means: list = ((-1.0, 0.0), (1.0, 0.0)),
    stds: list = (0.3, 0.3),
    covariances: list = (),
) -> GaussianMixture:
    if not isinstance(weights, (list, tuple)) or not weights:
        raise ConfigError("weights", weights, "must be a non-empty list of numbers")
    if not isinstance(means, (list, tuple)) or len(means) != len(weights):
        raise ConfigError("means", means, f"must be a list of {len(weights)} points [x, y]")
    centres = [_vector("means", m) for m in means]
    if covariances:
        if len(covariances) != len(weights):
            raise ConfigError("covariances", covariances, f"must hold {len(weights)} 2x2 matrices")
        covs = [_matrix("covariances", c) for c in covariances]
    else:
        if not isinstance(stds, (list, tuple)) or len(stds) != len(weights):
            raise ConfigError("stds", stds, f"must be a list of {len(weights)} numbers > 0")
        covs = [np.eye(2) * positive("stds", s) ** 2 for s in stds]
    try:
        weight_array = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError("weights", weights, "must be a list of numbers") from None
    return GaussianMixture(weight_array, centres, covs)
