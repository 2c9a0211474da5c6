"""The immutable picture of a training session at one step: NumPy arrays and plain numbers only.

Snapshots are what crosses from training to the UI (and to exporters, and between processes),
so they hold no torch tensors, no references into the live model, and their arrays are
read-only copies.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Mapping

import numpy as np


def frozen_array(values, dtype=np.float32) -> np.ndarray:
    """A read-only copy of ``values``."""
    array = np.array(values, dtype=dtype, copy=True)
    array.setflags(write=False)
    return array


@dataclass(frozen=True)
class Snapshot:
    """Everything a view needs to draw one frame.

    Attributes
    ----------
    step : iterations trained so far
    bounds : (x_min, x_max, y_min, y_max) of the data plot
    losses : latest loss of each player, e.g. ``{"d": 1.38, "g": 0.69}``
    metrics : latest target metrics (modes captured, high quality, KL/JS on the grid, ...)
    discriminator_output : (H, W) D(x) on the grid (row = y, column = x), as the loss defines it
    discriminator_logit : (H, W) the raw discriminator output on the same grid
    real : (N, 2) real samples; real_labels (N,) int or None
    fake : (N, 2) generator samples of a fixed noise batch
    fake_gradients : (K, 2), K <= N: gradient of the generator loss w.r.t. each of the first K
        fake samples (live frames carry ``advplay.core.views.ARROW_SAMPLES``, the arrows drawn)
    manifold : (L, P, 2) images G(z) of the lines of a regular z-grid (L lines, P points each)
    history_steps : (M,) steps at which ``history_losses`` was recorded (bounded, thinned)
    history_losses : (M, n_players) loss history, columns in ``losses`` order
    metric_history : name -> (K,) series at ``metric_steps``
    model : registry name of the method that made the frame ("gan", "cgan", "ratio", ...)
    fake_labels : (N,) int class of each fake sample (conditional models), or None
    extras : model-specific arrays by name (latent codes, reconstructions, true log-ratio,
        optimal discriminator, ...); each model's docstring lists what it adds
    skipped_extras : names of optional extras (``advplay.core.views.OPTIONAL_EXTRAS``) the
        model could have added but left out on request, because no view on show draws them
    output_is_probability : whether ``discriminator_output`` is a probability in [0, 1]
    decision_level : the output level where D cannot tell real from fake (0.5 for D(x) of the
        cross-entropy and least-squares games, 0 for hinge), None for a Wasserstein critic;
        on the logit surface the level is 0 for probabilities, the same level otherwise
    """

    step: int
    bounds: tuple[float, float, float, float]
    losses: Mapping[str, float]
    metrics: Mapping[str, float]
    discriminator_output: np.ndarray
    discriminator_logit: np.ndarray
    real: np.ndarray
    real_labels: np.ndarray | None
    fake: np.ndarray
    fake_gradients: np.ndarray
    manifold: np.ndarray
    history_steps: np.ndarray
    history_losses: np.ndarray
    metric_steps: np.ndarray
    metric_history: Mapping[str, np.ndarray]
    output_is_probability: bool = True
    decision_level: float | None = 0.5
    device: str = "cpu"
    model: str = "gan"
    fake_labels: np.ndarray | None = None
    extras: Mapping[str, np.ndarray] = field(default_factory=dict)
    skipped_extras: tuple[str, ...] = ()
    error: str | None = field(default=None)

    def __post_init__(self):
        object.__setattr__(self, "losses", MappingProxyType(dict(self.losses)))
        object.__setattr__(self, "metrics", MappingProxyType(dict(self.metrics)))
        object.__setattr__(self, "metric_history", MappingProxyType(dict(self.metric_history)))
        object.__setattr__(self, "extras", MappingProxyType(dict(self.extras)))

    def with_error(self, message: str) -> "Snapshot":
        """The same picture, marked with the error that stopped training after it."""
        return replace(self, error=message)

    def __reduce__(self):
        # MappingProxyType does not pickle; rebuild from plain dicts (snapshots cross processes).
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in ("losses", "metrics", "metric_history", "extras"):
            values[name] = dict(values[name])
        return (_rebuild, (values,))


def _rebuild(values: dict) -> Snapshot:
    return Snapshot(**values)
