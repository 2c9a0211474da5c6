"""Conditional GAN: both players see the class label (Mirza & Osindero 2014, eq. 2)::

    min_G max_D  E_{x,y ~ p}[log D(x | y)] + E_{z ~ p(z), y ~ p(y)}[log(1 - D(G(z | y) | y))]

The label enters as a one-hot vector appended to G's noise and to D's input (Mirza &
Osindero, Section 4.1, concatenate the condition to both inputs). Labels are the target's
classes: mixture components, drawing colours, the arms or rings of a shape; a target without
at least two classes is refused. Everything else -- losses, penalties, packing, the
host-sync-free loop -- is the GAN's (``advplay.core.models.gan``); labels travel with the samples.

* Fake labels. In a discriminator update the fakes get the labels of the real batch, so D
  compares x | y with G(z | y) | y at the real class frequencies (and WGAN-GP interpolates
  within a class); in a generator update labels are drawn from the class frequencies p(y)
  (mixture weights, drawing channel masses, otherwise counted on a fixed sample).
* Fixed labels for views and metrics. The i-th of n samples gets the class whose interval of
  the cumulative frequencies holds frac(i / phi) (phi the golden ratio): deterministic,
  interleaved, and each class gets n p(y) samples within a few (n / K for equal weights).
  ``generate(z)`` uses them, so samples follow the marginal of the target.

Frame: as GAN, plus ``fake_labels`` (N,) and, in ``extras``, ``class_surfaces`` (K, r, r)
D(x | y) as the loss defines it over the view's bounds, and where the class densities are
known ``class_optimal_discriminators`` (K, H, W), D*(x | y) = p(x | y) / (p(x | y) +
q_G(x | y)) from the fakes of class y (1/2 for a class without mass). The main surfaces and
``optimal_discriminator`` are their means over classes weighted by p(y) (the plain mean for
equal weights, as in ring8 and grid25); the main logit surface is the weighted mean of the
class logits. K surfaces cost K evaluations of D per grid point, so r is the view's
resolution H only while K r^2 <= ``CLASS_SURFACE_POINTS`` (4 classes at 64 x 64, the live
view; 8 classes get r = 45); beyond, r shrinks to fit and the main surface is interpolated
bilinearly to H x H. The manifold is G(z | y) for the most frequent class y.

Metrics: the GAN's, plus ``class_accuracy``, the fraction of samples drawn for class y that
fall in class y's region (:func:`region_labels`).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor
from torch.nn import functional as F

from advplay.core.config import Config
from advplay.core.drawn import DrawnTarget
from advplay.core.errors import ConfigError
from advplay.core.metrics import target_metrics
from advplay.core.models.base import MODELS
from advplay.core.models.gan import GAN, skipped_optimal
from advplay.core.snapshot import frozen_array
from advplay.core.targets import Target
from advplay.core.views import ARROW_SAMPLES, OPTIMAL_KEY, grid_axes

#: golden ratio conjugate: frac(i * INVERSE_GOLDEN) spreads any prefix evenly over [0, 1)
INVERSE_GOLDEN = (5**0.5 - 1) / 2
#: labels counted to estimate class frequencies of a target that does not state them
FREQUENCY_SAMPLES = 20000
#: real samples labelling the plane (by majority of the nearest) for targets without regions
REGION_REFERENCES = 1000
REGION_NEIGHBOURS = 7
#: most evaluations of D spent on the class surfaces of one frame: 4 classes at 64 x 64
CLASS_SURFACE_POINTS = 4 * 64 * 64
NEEDS_CLASSES = ("pick a target with classes, e.g. ring8, grid25, a mixture, "
                 "or a drawing with several colours")


def class_frequencies(target: Target) -> np.ndarray:
    """p(y) for each of the target's classes, shape (K,), summing to 1.

    Mixtures: the weights; drawings: each colour's share of the painted mass; otherwise
    the label counts of a fixed sample of ``FREQUENCY_SAMPLES`` points.
    """
    if target.mixture is not None:
        weights = np.asarray(target.mixture.weights, dtype=np.float64)
    elif isinstance(target, DrawnTarget):
        weights = target.density.sum(axis=(1, 2))
    else:
        _, labels = target.sample(FREQUENCY_SAMPLES, np.random.default_rng(0))
        weights = np.bincount(labels, minlength=target.n_classes).astype(np.float64)
    return weights / weights.sum()


def label_edges(frequencies: np.ndarray) -> np.ndarray:
    """Upper ends of the classes' intervals of [0, 1), (K,): class k holds [edge_{k-1}, edge_k).

    A class of weight 0 has an empty interval; the last used class reaches infinity, so
    rounding in the cumulative sum can never select an unused class.
    """
    edges = np.cumsum(frequencies)
    edges[np.flatnonzero(frequencies)[-1]:] = np.inf
    return edges


def spread_labels(n: int, frequencies: np.ndarray) -> np.ndarray:
    """n deterministic labels, interleaved, each class about ``n * p(y)`` times (see module)."""
    positions = np.modf(np.arange(n) * INVERSE_GOLDEN)[0]  # (n,) in [0, 1)
    return np.searchsorted(label_edges(frequencies), positions, side="right").astype(np.int64)


def region_labels(target: Target, points: np.ndarray) -> np.ndarray:
    """The class whose region holds each point (n,), -1 where no class has a region.

    Mixtures: the component with the smallest standardised (Mahalanobis) distance, the
    nearest mode of PacGAN/VEEGAN. Drawings: the colour with the most density in the
    point's cell (-1 outside the drawing or on unpainted cells). Other labelled targets: the
    majority label of the ``REGION_NEIGHBOURS`` nearest of a fixed real sample.
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    finite = np.all(np.isfinite(points), axis=1)
    points = np.where(finite[:, None], points, 0.0)
    if target.mixture is not None:
        mixture = target.mixture
        diff = points[:, None, :] - np.asarray(mixture.means)[None]  # (n, K, 2)
        precision = np.linalg.inv(np.asarray(mixture.covariances, dtype=np.float64))
        nearest = np.argmin(np.einsum("nki,kij,nkj->nk", diff, precision, diff), axis=1)
    elif isinstance(target, DrawnTarget):
        nearest = _drawn_regions(target, points)
    elif target.n_classes:
        nearest = _neighbour_regions(target, points)
    else:
        raise ValueError(f"{type(target).__name__} has no classes")
    return np.where(finite, nearest, -1)


def _drawn_regions(target: DrawnTarget, points: np.ndarray) -> np.ndarray:
    x_min, _, y_min, _ = target.bounds
    column = np.floor((points[:, 0] - x_min) / target.cell[0])  # float: far points stay finite
    row = np.floor((points[:, 1] - y_min) / target.cell[1])
    _, height, width = target.density.shape
    inside = (column >= 0) & (column < width) & (row >= 0) & (row < height)
    row, column = (np.where(inside, index, 0).astype(np.int64) for index in (row, column))
    cells = target.density[:, row, column]  # (C, n)
    painted = inside & (cells.sum(axis=0) > 0)
    return np.where(painted, np.argmax(cells, axis=0), -1)


def _neighbour_regions(target: Target, points: np.ndarray) -> np.ndarray:
    reference, labels = target.sample(REGION_REFERENCES, np.random.default_rng(0))
    distances = torch.cdist(torch.from_numpy(points), torch.from_numpy(reference))  # (n, R)
    nearest = distances.topk(REGION_NEIGHBOURS, dim=1, largest=False).indices.numpy()
    votes = np.zeros((len(points), target.n_classes))
    np.add.at(votes, (np.arange(len(points))[:, None], labels[nearest]), 1.0)
    return np.argmax(votes, axis=1)


def class_accuracy(samples: np.ndarray, labels: np.ndarray, target: Target) -> float:
    """Fraction of ``samples`` (n, 2) drawn for ``labels`` (n,) that lie in their class's region."""
    return float(np.mean(region_labels(target, samples) == np.asarray(labels)))


def _needs_classes(config: Config, target: Target | None) -> ConfigError:
    """The refusal of a target with fewer than two classes, naming the fix."""
    name = config.target.name
    if target is None:
        found = "was given no target"
    elif target.n_classes == 1:
        found = f"{name} has a single class"
    else:
        found = f"{name} has no classes"
    return ConfigError("model.name", config.model.name,
                       f"the conditional GAN needs labelled data and {found}; {NEEDS_CLASSES}")


@MODELS.register("cgan", "conditional GAN: G(z | y) and D(x | y) with the target's classes "
                         "(Mirza & Osindero 2014)")
class ConditionalGAN(GAN):
    """A GAN whose generator and discriminator both receive the one-hot class label.

    Parameters
    ----------
    config, device, noise : as :class:`~advplay.core.models.gan.GAN`
    target : the labelled target (at least two classes); its class count fixes the networks

    Raises
    ------
    ConfigError
        When the target has fewer than two classes.
    """

    def __init__(self, config: Config, device: torch.device, noise: torch.Generator,
                 target: Target | None = None):
        classes = 0 if target is None else int(target.n_classes)
        if classes < 2:
            raise _needs_classes(config, target)
        self.n_classes = self.condition_size = classes
        self._set_frequencies(target, device)
        self._one_hots = torch.eye(classes, device=device)  # row y = one-hot of y
        super().__init__(config, device, noise, target)

    def set_target(self, target: Target) -> None:
        """Follow an edited drawing with the same number of classes; ConfigError otherwise."""
        if int(target.n_classes) != self.n_classes:
            raise ConfigError("target.classes", int(target.n_classes),
                              f"the conditional GAN was built for {self.n_classes} classes "
                              "(colours); paint with that many, or reset to train on the new "
                              "classes")
        self._set_frequencies(target, self.device)
        super().set_target(target)

    def _set_frequencies(self, target: Target, device: torch.device) -> None:
        self.frequencies = class_frequencies(target)  # (K,) numpy, p(y)
        self._label_weights = torch.as_tensor(self.frequencies, dtype=torch.float32, device=device)
        self._label_edges = torch.as_tensor(label_edges(self.frequencies), dtype=torch.float32,
                                            device=device)
        self._spread_cache: dict[int, Tensor] = {}

    # ----------------------------------------------------------------- labels in, labels out

    def _one_hot(self, labels: Tensor) -> Tensor:
        """(..., K) one-hot rows; a gather, unlike F.one_hot, which checks the labels' range
        with two reductions and a host read on the CPU every call."""
        return self._one_hots[labels]

    def _generate(self, z: Tensor, labels: Tensor | None, network=None) -> Tensor:
        """G(z | y) by ``network`` (default: the trained G): the one-hot label appended to the
        noise; (n, 2)."""
        if labels is None:
            labels = self.spread_labels(len(z))
        network = self.generator if network is None else network
        return network(torch.cat([self._with_code(z), self._one_hot(labels)], dim=1))

    def _critic(self, packed: Tensor, labels: Tensor | None) -> Tensor:
        """D(x_1, y_1, ..., x_m, y_m): each packed sample followed by its one-hot label."""
        n = len(packed)
        samples = packed.reshape(n, self.pack, 2)
        features = torch.cat([samples, self._one_hot(labels)], dim=2)  # (n, m, 2 + K)
        return self.discriminator(features.reshape(n, -1)).squeeze(1)

    def _real_packs(self, real_batch, batch_size: int) -> tuple[Tensor, Tensor]:
        real, labels = real_batch.labelled(batch_size * self.pack)
        return (real.reshape(batch_size, 2 * self.pack),
                labels.reshape(batch_size, self.pack))

    def _fake_labels(self, batch_size: int) -> Tensor:
        """Labels (B, m) drawn from p(y) by inverting its CDF at uniform draws (on the device,
        no host sync; ``torch.multinomial`` reads back to the host for a single draw)."""
        uniform = torch.rand(batch_size * self.pack, generator=self.noise, device=self.device)
        labels = torch.searchsorted(self._label_edges, uniform, right=True)
        return labels.reshape(batch_size, self.pack)

    def spread_labels(self, n: int) -> Tensor:
        """The fixed labels of n view or metric samples (see the module), (n,) on the device."""
        if n not in self._spread_cache:
            self._spread_cache[n] = torch.as_tensor(spread_labels(n, self.frequencies),
                                                    device=self.device)
        return self._spread_cache[n]

    @torch.no_grad()
    def generate(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        """G(z | y) for ``labels`` (n,), by default the fixed spread over p(y); by the
        moving average of G when one is kept."""
        return self._generate(z, labels, self.sampler)

    # ----------------------------------------------------------------- views and metrics

    def frame(self, geometry) -> dict:
        """The GAN's frame for the fixed labels, with per-class surfaces (see the module)."""
        labels = self.spread_labels(len(geometry.latent))
        resolution = self.class_resolution(geometry.resolution)
        output, logit = self.class_surfaces(self._class_grid(geometry, resolution))  # (K, r*r)
        fake, gradients = self.fake_gradients(geometry.latent, labels, arrows=ARROW_SAMPLES)
        main_class = torch.full((len(geometry.manifold_latent),), int(np.argmax(self.frequencies)),
                                device=self.device)
        manifold = self.generate(geometry.manifold_latent, main_class)
        fake = frozen_array(fake.cpu().numpy())
        extras = {"class_surfaces": frozen_array(
            output.cpu().numpy().reshape(self.n_classes, resolution, resolution))}
        skipped = skipped_optimal(self, geometry, label=0)
        if not skipped:
            extras.update(self._optimal_extras(geometry, fake, labels.cpu().numpy()))
        return {
            "discriminator_output": self._full_surface(geometry, self._class_mean(output)),
            "discriminator_logit": self._full_surface(geometry, self._class_mean(logit)),
            "fake": fake,
            "fake_gradients": frozen_array(gradients.cpu().numpy()),
            "manifold": frozen_array(manifold.reshape(*geometry.manifold_shape, 2).cpu().numpy()),
            "fake_labels": frozen_array(labels.cpu().numpy(), np.int64),
            "extras": extras,
            "skipped_extras": (OPTIMAL_KEY,) if skipped else (),
        }

    def class_resolution(self, resolution: int) -> int:
        """Side of the grid of the class surfaces: the view's, unless K of them would exceed
        ``CLASS_SURFACE_POINTS`` evaluations of D (all 25 of grid25 at 64 x 64: 0.4 s a frame)."""
        return max(2, min(resolution, int(math.sqrt(CLASS_SURFACE_POINTS / self.n_classes))))

    def _class_grid(self, geometry, resolution: int) -> Tensor:
        """Cell centres (r*r, 2) of an r x r grid over the view's bounds (row = y)."""
        if resolution == geometry.resolution:
            return geometry.grid
        xs, ys = grid_axes(geometry.bounds, resolution)
        grid_x, grid_y = np.meshgrid(xs, ys)
        points = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)
        return torch.as_tensor(points, dtype=torch.float32, device=self.device)

    @staticmethod
    def _full_surface(geometry, values: Tensor):
        """A class-grid surface (r*r,) at the view's resolution: bilinear between cell centres."""
        side = math.isqrt(len(values))
        if side != geometry.resolution:
            size = (geometry.resolution, geometry.resolution)
            values = F.interpolate(values.reshape(1, 1, side, side), size=size, mode="bilinear",
                                   align_corners=False)
        return geometry.surface(values)

    @torch.no_grad()
    def discriminator_surface(self, points: Tensor,
                              label: int | None = None) -> tuple[Tensor, Tensor]:
        """(output, logit) of D(x | label) at ``points`` (n, 2), or without a label their
        means over the classes weighted by p(y)."""
        if label is not None:
            return super().discriminator_surface(points, label)
        output, logit = self.class_surfaces(points)
        return self._class_mean(output), self._class_mean(logit)

    @torch.no_grad()
    def class_surfaces(self, points: Tensor) -> tuple[Tensor, Tensor]:
        """(output, logit) of D(x | y) at ``points`` (n, 2) for every class: (K, n) each."""
        surfaces = [super(ConditionalGAN, self).discriminator_surface(points, label)
                    for label in range(self.n_classes)]
        return torch.stack([s[0] for s in surfaces]), torch.stack([s[1] for s in surfaces])

    def _class_mean(self, values: Tensor) -> Tensor:
        """The p(y)-weighted mean over the first (class) axis of ``values`` (K, n)."""
        return (self._label_weights[:, None] * values).sum(0)

    def _optimal_extras(self, geometry, fake: np.ndarray, labels: np.ndarray) -> dict:
        """D*(x | y) per class and their p(y)-weighted mean, where the densities are known."""
        per_class = []
        for label in range(self.n_classes):
            chosen = fake[labels == label]
            optimal = self.optimal_surface(geometry, chosen, label) if len(chosen) else None
            per_class.append(optimal)
        if all(optimal is None for optimal in per_class):
            return {}
        filled = np.stack([np.full((geometry.resolution,) * 2, 0.5) if optimal is None
                           else optimal for optimal in per_class])  # (K, H, W)
        mean = np.tensordot(self.frequencies, filled, axes=1)
        return {"class_optimal_discriminators": frozen_array(filled),
                OPTIMAL_KEY: frozen_array(mean)}

    def evaluate(self, target: Target, grid_reference, seed: int) -> dict[str, float]:
        """The GAN's metrics on 2500 samples spread over the classes, and ``class_accuracy``."""
        latent = self._metric_latent_for(seed)
        labels = self.spread_labels(len(latent))
        samples = self.generate(latent, labels).cpu().numpy()
        values = target_metrics(samples, target, grid_reference)
        values["class_accuracy"] = class_accuracy(samples, labels.cpu().numpy(), target)
        return values
