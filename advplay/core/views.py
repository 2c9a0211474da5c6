"""The fixed inputs behind every frame: the evaluation grid, a fixed noise batch, a z-grid.

Fixing them (seeded once) is what makes consecutive snapshots comparable: the points move
because the generator moved, not because new noise was drawn.
"""

from __future__ import annotations

import numpy as np
import torch

from advplay.core.errors import ConfigError
from advplay.core.snapshot import frozen_array
from advplay.core.targets import Target

#: resolution of the discriminator surface (square grid over the target's bounds)
SURFACE_RESOLUTION = 128
#: generator and real samples drawn in each frame
VIEW_SAMPLES = 1000
#: fakes whose arrow (the gradient of the generator loss) a frame carries: the first ones of
#: the fixed noise batch, so the same samples every frame; the views draw no more arrows
ARROW_SAMPLES = 300
#: lines per direction of the z-grid, and points along each line
MANIFOLD_LINES = 11
MANIFOLD_POINTS = 48
#: the extras key of D*, the optimal discriminator (``advplay.core.optimal``)
OPTIMAL_KEY = "optimal_discriminator"
#: extras a model computes only when asked: costly, and drawn by a view of their own
OPTIONAL_EXTRAS = (OPTIMAL_KEY,)


def checked_extras(names) -> frozenset[str]:
    """``names`` as a frozenset of :data:`OPTIONAL_EXTRAS`; ConfigError names any other."""
    names = frozenset(names)
    unknown = names - set(OPTIONAL_EXTRAS)
    if unknown:
        raise ConfigError("extras", sorted(unknown),
                          f"only {', '.join(OPTIONAL_EXTRAS)} can be skipped")
    return names


def grid_axes(bounds, resolution: int | tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Cell-centre coordinates along x and y of a grid of cells tiling ``bounds``.

    ``resolution`` is the side of a square grid, or the (rows, columns) of an (H, W) grid.
    """
    height, width = (resolution, resolution) if np.ndim(resolution) == 0 else resolution
    x_min, x_max, y_min, y_max = bounds
    return (x_min + (np.arange(width) + 0.5) * (x_max - x_min) / width,
            y_min + (np.arange(height) + 0.5) * (y_max - y_min) / height)


def latent_grid_lines(latent_dim: int, extent: float, lines: int, points: int) -> np.ndarray:
    """Lines of a regular grid in the first two latent dimensions (others at 0).

    Returns (L, P, latent_dim): ``lines`` lines of constant z1 then ``lines`` of constant z2;
    a 1D latent space gives the single segment [-extent, extent].
    """
    along = np.linspace(-extent, extent, points)
    if latent_dim == 1:
        return along.reshape(1, points, 1)
    across = np.linspace(-extent, extent, lines)
    result = np.zeros((2 * lines, points, latent_dim))
    result[:lines, :, 0] = across[:, None]
    result[:lines, :, 1] = along[None, :]
    result[lines:, :, 0] = along[None, :]
    result[lines:, :, 1] = across[:, None]
    return result


class ViewGeometry:
    """Computes the arrays of a snapshot from the model's current state.

    ``skipped`` names :data:`OPTIONAL_EXTRAS` that frames leave out (the app skips what no
    visible view draws); a model that could have added one lists it in the snapshot's
    ``skipped_extras`` instead.
    """

    def __init__(self, target: Target, model, device: torch.device, seed: int,
                 resolution: int = SURFACE_RESOLUTION):
        self.device = device
        self.resolution = resolution
        self.skipped: frozenset[str] = frozenset()
        self.set_target(target, seed)
        noise = torch.Generator(device=device).manual_seed(seed + 1)
        self.latent = model.sample_latent(VIEW_SAMPLES, noise)  # (N, latent_dim)
        lines = latent_grid_lines(model.latent_dim, model.latent_extent(),
                                  MANIFOLD_LINES, MANIFOLD_POINTS)
        self.manifold_shape = lines.shape[:2]
        self.manifold_latent = torch.as_tensor(lines.reshape(-1, model.latent_dim),
                                               dtype=torch.float32, device=device)

    def set_target(self, target: Target, seed: int) -> None:
        """Re-centre the grid and redraw the real samples for a new or edited target."""
        self.bounds = target.bounds
        xs, ys = grid_axes(target.bounds, self.resolution)
        grid_x, grid_y = np.meshgrid(xs, ys)  # (H, W): row = y, column = x
        points = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)
        self.grid = torch.as_tensor(points, dtype=torch.float32, device=self.device)
        real, labels = target.sample(VIEW_SAMPLES, np.random.default_rng(seed + 4))
        self.real = frozen_array(real)
        self.real_labels = None if labels is None else frozen_array(labels, np.int64)

    def compute(self, model) -> dict[str, np.ndarray]:
        """The frame's arrays from ``model`` (the session's model or its view copy)."""
        return {"real": self.real, "real_labels": self.real_labels, **model.frame(self)}

    def surface(self, values: torch.Tensor) -> np.ndarray:
        """Values at ``self.grid`` as a read-only (H, W) array (row = y, column = x)."""
        return frozen_array(values.cpu().numpy().reshape(self.resolution, self.resolution))
