"""The target interface and the Gaussian mixture every mixture preset is built on."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from advplay.core.errors import ConfigError
from advplay.core.registry import Registry

#: (x_min, x_max, y_min, y_max) of the plot window.
Bounds = tuple[float, float, float, float]

TARGETS: Registry = Registry("target")


class Target(ABC):
    """A 2D distribution to learn.

    Subclasses set ``bounds`` (the plot window) and ``n_classes`` (0 when unlabelled), and
    implement :meth:`sample`; those with a closed-form density set ``has_density`` and
    implement :meth:`log_prob`.
    """

    bounds: Bounds
    n_classes: int = 0
    has_density: bool = False
    #: the mixture parameters when the target is a Gaussian mixture, else None
    mixture: "Mixture | None" = None

    @abstractmethod
    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
        """Draw ``n`` points.

        Returns
        -------
        points : (n, 2) float64 array
        labels : (n,) int64 array of class indices in ``[0, n_classes)``, or None
        """

    def log_prob(self, x: np.ndarray) -> np.ndarray:
        """Exact log density at ``x`` of shape (n, 2); -inf outside the support."""
        raise NotImplementedError(f"{type(self).__name__} has no closed-form density")


@dataclass(frozen=True)
class Mixture:
    """Parameters of a Gaussian mixture: weights (K,), means (K, 2), covariances (K, 2, 2)."""

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray

    @property
    def n_components(self) -> int:
        return len(self.weights)


class GaussianMixture(Target):
    """A weighted mixture of 2D Gaussians; each component is a class."""

    has_density = True

    def __init__(self, weights, means, covariances, margin: float = 0.0):
        weights = np.asarray(weights, dtype=np.float64)
        means = np.asarray(means, dtype=np.float64).reshape(-1, 2)
        covariances = np.asarray(covariances, dtype=np.float64).reshape(-1, 2, 2)
        _check_mixture(weights, means, covariances)
        self.mixture = Mixture(weights / weights.sum(), means, covariances)
        self.n_classes = len(weights)
        self._cholesky = np.linalg.cholesky(covariances)  # (K, 2, 2)
        self._precision = np.linalg.inv(covariances)
        self._log_norm = -np.log(2 * np.pi) - 0.5 * np.linalg.slogdet(covariances)[1]
        self.bounds = _mixture_bounds(means, covariances, margin)

    def sample(self, n, rng):
        labels = rng.choice(self.n_classes, size=n, p=self.mixture.weights)
        noise = rng.standard_normal((n, 2))
        points = self.mixture.means[labels] + np.einsum("nij,nj->ni", self._cholesky[labels], noise)
        return points, labels.astype(np.int64)

    def component_log_prob(self, x: np.ndarray) -> np.ndarray:
        """log N(x | mu_k, Sigma_k) for every point and component, shape (n, K)."""
        diff = np.asarray(x, dtype=np.float64)[:, None, :] - self.mixture.means[None]  # (n, K, 2)
        mahalanobis = np.einsum("nki,kij,nkj->nk", diff, self._precision, diff)
        return self._log_norm[None] - 0.5 * mahalanobis

    def log_prob(self, x):
        weighted = self.component_log_prob(x) + np.log(self.mixture.weights)[None]
        top = weighted.max(axis=1, keepdims=True)
        return (top + np.log(np.exp(weighted - top).sum(axis=1, keepdims=True)))[:, 0]


def _check_mixture(weights, means, covariances):
    if weights.ndim != 1 or len(weights) == 0:
        raise ConfigError("weights", weights.tolist(), "must be a non-empty list of numbers")
    if len(means) != len(weights) or len(covariances) != len(weights):
        raise ConfigError(
            "means", means.tolist(), f"must hold one [x, y] per weight ({len(weights)})"
        )
    if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
        raise ConfigError("weights", weights.tolist(), "must be finite, >= 0, and not all 0")
    for cov in covariances:
        symmetric = np.allclose(cov, cov.T)
        if not symmetric or np.any(np.linalg.eigvalsh((cov + cov.T) / 2) <= 0):
            raise ConfigError(
                "covariance", cov.tolist(), "must be a symmetric positive definite 2x2 matrix"
            )


def _mixture_bounds(means, covariances, margin) -> Bounds:
    spread = 4.0 * np.sqrt(np.max(np.diagonal(covariances, axis1=1, axis2=2), axis=0))  # (2,)
    low = means.min(axis=0) - spread
    high = means.max(axis=0) + spread
    pad = margin + 0.1 * float(np.max(high - low))
    center = (low + high) / 2
    half = float(np.max(high - low)) / 2 + pad  # square window keeps the aspect equal
    return (center[0] - half, center[0] + half, center[1] - half, center[1] + half)


#: the largest length a target takes (a std, radius, spacing, scale...): squared and sampled
#: in float32 views, lengths near 1e38 overflowed to inf where they should be refused
MAX_LENGTH = 1e6


def positive(name: str, value) -> float:
    """``value`` (a length) as a float, or ConfigError if it is not a number > 0 and at most
    ``MAX_LENGTH``."""
    if (isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value)
            or not 0 < value <= MAX_LENGTH):
        raise ConfigError(name, value, f"must be a number > 0 and at most {MAX_LENGTH:g}")
    return float(value)
