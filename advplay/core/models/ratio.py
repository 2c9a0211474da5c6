"""The density ratio trick: a classifier between p and a reference q estimates log p(x)/q(x).

Lecture 23 ("The density ratio trick"): label samples of the target p with +1 and samples of
a reference q with -1 and train a classifier S; then ``r(x) = p(x)/q(x) = S(x) / (1 - S(x))``
and ``KL[p || q] = E_p[log r(x)]``. One network T: x -> scalar is trained with one of four
objectives (``config.model.ratio_loss``), each minimised over a batch of p and one of q::

    logistic  E_p[softplus(-T)] + E_q[softplus(T)]       S = sigmoid(T), log r = T
    ulsif     1/2 E_q[r^2] - E_p[r],  r = softplus(T)    least squares (Kanamori et al. 2009)
    nwj       -(E_p[T] - E_q[exp(T - 1)])                log r = T - 1 (Nguyen et al. 2010)
    dv        -(E_p[T] - log E_q[exp T])                 log r = T - log E_q[e^T] (Donsker-Varadhan)

The NWJ and DV objectives are lower bounds on KL[p || q], tight at the optimum; their value
on fixed batches is the KL estimate reported for them (Belghazi et al. 2018, MINE), while the
logistic and uLSIF estimators report the plug-in E_p[log r].

There is no generator: the model's one player is the classifier (``players = ("d",)``), and
its "generated" samples are samples of the reference q, so the data view shows p against q
and ``advplay train`` writes samples of q to samples.npy.

Metrics (:meth:`DensityRatio.evaluate`): ``kl_estimate`` on fixed batches of p and q;
where p has a density ``kl_true`` (closed form for two Gaussians, else the midpoint rule on a
grid over the union of both windows), ``kl_error`` and ``log_ratio_rmse`` (p-weighted).

Snapshot extras (H, W on the view grid): ``log_ratio`` the estimate; where target and
reference both have densities, ``true_log_ratio`` (log p - log q, clipped to
+-:data:`LOG_RATIO_CLIP`; NaN where both densities are 0) and ``log_ratio_error`` (estimate
minus truth; NaN where the truth is not finite).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import Tensor
from torch.nn import functional as F

from advplay.core.config import Config, allowed_choices
from advplay.core.errors import ConfigError
from advplay.core.models.base import MODELS, make_optimizer, set_hyperparameters
from advplay.core.nets import all_finite, mlp
from advplay.core.snapshot import frozen_array
from advplay.core.targets import Target, make_target

#: fixed p and q samples behind the KL estimate, the log-ratio error and the DV normaliser
EVALUATION_SAMPLES = 20000
#: the true log-ratio shown is clipped to +-this (log p - log q is infinite outside a support)
LOG_RATIO_CLIP = 20.0
#: largest side of the grid that integrates KL[p || q] numerically
KL_GRID_MAX = 2048
#: grid cells per standard deviation of the narrowest mixture component: the midpoint rule
#: on a Gaussian at one cell per std errs by ~exp(-2 pi^2) ~ 3e-9 relative
KL_CELLS_PER_STD = 1.0
#: grid side for densities that are not mixtures (uniform squares: edge errors ~ 1 / side)
KL_GRID_OTHER = 1024


# --------------------------------------------------------------------------- the objectives


def _log_softplus(t: Tensor) -> Tensor:
    """log(softplus(t)) without underflow: softplus(t) ~ e^t for very negative t."""
    return torch.where(t < -20.0, t, torch.log(F.softplus(t.clamp(min=-20.0))))


def _log_mean_exp(t: Tensor) -> Tensor:
    return torch.logsumexp(t, dim=0) - math.log(len(t))


def _logistic_loss(t_p: Tensor, t_q: Tensor) -> Tensor:
    # binary cross-entropy with S = sigmoid(T): -E_p[log S] - E_q[log(1 - S)]
    return F.softplus(-t_p).mean() + F.softplus(t_q).mean()


def _ulsif_loss(t_p: Tensor, t_q: Tensor) -> Tensor:
    # E_q[(r - r_true)^2] / 2 up to a constant: 1/2 E_q[r^2] - E_q[r r_true] = ... - E_p[r]
    return 0.5 * F.softplus(t_q).square().mean() - F.softplus(t_p).mean()


def _nwj_bound(t_p: Tensor, t_q: Tensor) -> Tensor:
    # KL >= E_p[T] - E_q[exp(T - 1)], the f-divergence bound of KL (f*(u) = exp(u - 1))
    return t_p.mean() - torch.exp(t_q - 1.0).mean()


def _dv_bound(t_p: Tensor, t_q: Tensor) -> Tensor:
    # KL >= E_p[T] - log E_q[exp T] (Donsker-Varadhan representation)
    return t_p.mean() - _log_mean_exp(t_q)


@dataclass(frozen=True)
class RatioLoss:
    """One density-ratio objective.

    ``loss(t_p, t_q)`` is minimised; ``log_ratio(t, t_q)`` turns network outputs ``t`` into
    log r (``t_q``: outputs on a fixed q batch, for DV's normaliser); ``bound(t_p, t_q)`` is
    the variational KL bound where the objective is one, else None.
    """

    loss: Callable[[Tensor, Tensor], Tensor]
    log_ratio: Callable[[Tensor, Tensor | None], Tensor]
    bound: Callable[[Tensor, Tensor], Tensor] | None = None
    #: whether ``log_ratio`` needs ``t_q`` (else None may be passed and T is not evaluated on q)
    needs_reference: bool = False


RATIO_LOSSES: dict[str, RatioLoss] = {
    "logistic": RatioLoss(_logistic_loss, lambda t, t_q: t),
    "ulsif": RatioLoss(_ulsif_loss, lambda t, t_q: _log_softplus(t)),
    "nwj": RatioLoss(lambda t_p, t_q: -_nwj_bound(t_p, t_q), lambda t, t_q: t - 1.0, _nwj_bound),
    "dv": RatioLoss(lambda t_p, t_q: -_dv_bound(t_p, t_q),
                    lambda t, t_q: t - _log_mean_exp(t_q), _dv_bound, needs_reference=True),
}


# ----------------------------------------------------------------------------- the truth


def reference_target(name: str, path: str = "") -> Target:
    """The reference q: preset ``name`` with its default parameters, or with ``name = "drawn"``
    the drawing saved at ``path``; it needs a density."""
    if name == "drawn":
        if not path:
            raise ConfigError("model.reference_path", path, "must name the drawing file (.npz) "
                              "that is q: save one from Draw mode, or choose a preset reference")
        try:
            return make_target("drawn", path=path)
        except ConfigError as error:
            raise ConfigError("model.reference_path", path, error.allowed) from None
    reference = make_target(name)
    if not reference.has_density:
        choices = ", ".join(allowed_choices("references"))
        raise ConfigError("model.reference", name, "has no closed-form density, so log p/q "
                          f"cannot be checked; choose a reference with one: {choices}")
    return reference


def true_log_ratio(target: Target, reference: Target, points: np.ndarray) -> np.ndarray:
    """log p(x) - log q(x) at ``points`` (n, 2), float64; +-inf off a support, NaN off both."""
    with np.errstate(invalid="ignore"):
        return target.log_prob(points) - reference.log_prob(points)


def _single_gaussian(target: Target):
    mixture = getattr(target, "mixture", None)
    if mixture is None or mixture.n_components != 1:
        return None
    return mixture.means[0], mixture.covariances[0]


def gaussian_kl(mean_p, cov_p, mean_q, cov_q) -> float:
    """KL[N(mean_p, cov_p) || N(mean_q, cov_q)] in nats, in closed form."""
    precision_q = np.linalg.inv(cov_q)
    diff = np.asarray(mean_q) - np.asarray(mean_p)
    log_det_ratio = np.linalg.slogdet(cov_q)[1] - np.linalg.slogdet(cov_p)[1]
    return 0.5 * float(np.trace(precision_q @ cov_p) + diff @ precision_q @ diff
                       - len(diff) + log_det_ratio)


def _kl_grid_size(target: Target, span: float) -> int:
    """Cells per side of the KL grid: :data:`KL_CELLS_PER_STD` per std of the narrowest mode."""
    mixture = getattr(target, "mixture", None)
    if mixture is None:
        return KL_GRID_OTHER
    narrowest = math.sqrt(float(np.min(np.linalg.eigvalsh(mixture.covariances))))
    return int(min(KL_GRID_MAX, max(512, math.ceil(KL_CELLS_PER_STD * span / narrowest))))


def true_kl(target: Target, reference: Target, chunk: int = 1 << 16) -> float:
    """KL[p || q] in nats: closed form for two Gaussians, else the midpoint rule on a square
    grid over the union of both bounds (exact log densities; p normalised over the grid)."""
    pair = _single_gaussian(target), _single_gaussian(reference)
    if pair[0] is not None and pair[1] is not None:
        return gaussian_kl(*pair[0], *pair[1])
    (px0, px1, py0, py1), (qx0, qx1, qy0, qy1) = target.bounds, reference.bounds
    low, high = np.array([min(px0, qx0), min(py0, qy0)]), np.array([max(px1, qx1), max(py1, qy1)])
    size = _kl_grid_size(target, float(np.max(high - low)))
    xs = low[0] + (np.arange(size) + 0.5) * (high[0] - low[0]) / size
    ys = low[1] + (np.arange(size) + 0.5) * (high[1] - low[1]) / size
    total = weighted = 0.0
    for start in range(0, size, max(1, chunk // size)):  # a band of rows at a time
        rows = ys[start:start + max(1, chunk // size)]
        points = np.stack(np.meshgrid(xs, rows), axis=-1).reshape(-1, 2)
        log_p = target.log_prob(points)
        mass = np.exp(log_p)
        inside = mass > 0
        log_q = reference.log_prob(points[inside])
        if np.any(~np.isfinite(log_q)):
            return math.inf  # p has mass where q has none
        total += mass.sum()
        weighted += float(np.sum(mass[inside] * (log_p[inside] - log_q)))
    return weighted / total if total > 0 else math.nan


# ------------------------------------------------------------------------------ the model


@MODELS.register("ratio", "density ratio trick: a classifier between p and a reference q "
                          "estimates log p/q and KL (logistic, uLSIF, NWJ, DV)")
class DensityRatio:
    """Density-ratio estimator T: x -> scalar between the target p and a reference q.

    Parameters
    ----------
    config : the experiment; ``model.ratio_loss`` picks the objective, ``model.reference`` the
        preset q (default parameters), ``model.width/depth/activation`` size T
    device : where T lives
    noise : torch generator behind :meth:`sample_latent` (the view's fixed q batch)
    target : the target p (for the true log-ratio and KL); None: no truth is reported
    """

    players = ("d",)
    networks = ("classifier",)
    latent_dim = 2  # the "latent" of this model is a point of q itself: generate is identity
    output_is_probability = False
    decision_level = 0.0  # log r = 0: p and q equally likely

    def __init__(self, config: Config, device: torch.device, noise: torch.Generator,
                 target: Target | None = None):
        model, seed = config.model, config.train.seed
        self.device, self.noise, self.target = device, noise, target
        self.reference = reference_target(model.reference, model.reference_path)
        self.ratio_loss = RATIO_LOSSES[model.ratio_loss]
        self.uses_bound = self.ratio_loss.bound is not None
        self.classifier = mlp(2, 1, model.width, model.depth, model.activation).to(device)
        self._params = list(self.classifier.parameters())
        self.opt_d = make_optimizer(self._params, config.train.lr_d, config.train)
        # q streams apart from the session's p stream (default_rng(seed)): never paired draws
        self._reference_rng = np.random.default_rng([seed, 1])
        self._reference_fixed = self._as_tensor(self.reference.sample(
            EVALUATION_SAMPLES, np.random.default_rng([seed, 2]))[0])  # (M, 2)
        self._cache: dict = {}  # shared with the view copy: truths on grids, fixed p batches
        self.apply(config)

    def apply(self, config: Config) -> None:
        """Take the hyperparameters that may change while training."""
        self.d_steps = config.train.d_steps
        set_hyperparameters(self.opt_d, config.train.lr_d, config.train)

    def set_target(self, target: Target) -> None:
        """Estimate the ratio of a new (edited) target from the next step on."""
        self.target = target

    def _as_tensor(self, points: np.ndarray) -> Tensor:
        return torch.as_tensor(points, dtype=torch.float32).to(self.device)

    # ----------------------------------------------------------------- sampling

    def sample_latent(self, n: int, noise: torch.Generator | None = None) -> Tensor:
        """``n`` samples of the reference q, (n, 2), drawn with a NumPy generator seeded from
        ``noise`` (the references are NumPy samplers), so the draw is reproducible."""
        noise = self.noise if noise is None else noise
        seed = int(torch.randint(0, 2**62, (1,), generator=noise, device=noise.device))
        return self._as_tensor(self.reference.sample(n, np.random.default_rng(seed))[0])

    def latent_extent(self) -> float:
        return float(np.max(np.abs(self.reference.bounds)))

    @torch.no_grad()
    def generate(self, z: Tensor) -> Tensor:
        """The identity: a "latent" here is already a sample of q (see :meth:`sample_latent`)."""
        return z.clone()

    # ----------------------------------------------------------------- training

    def train_iteration(self, real_batch, batch_size: int, players=("d",)) -> tuple[Tensor]:
        """``d_steps`` updates of T on fresh batches of p and q; the last loss, detached."""
        if "d" not in players:
            return (torch.full((), math.nan, device=self.device),)
        for _ in range(self.d_steps):
            reference = self._as_tensor(self.reference.sample(batch_size, self._reference_rng)[0])
            loss = self._update(real_batch(batch_size), reference)
        return (loss,)

    def _update(self, real: Tensor, reference: Tensor) -> Tensor:
        outputs = self.classifier(torch.cat([real, reference])).squeeze(1)  # (2B,), one pass
        loss = self.ratio_loss.loss(outputs[:len(real)], outputs[len(real):])
        gradients = torch.autograd.grad(loss, self._params)
        for parameter, gradient in zip(self._params, gradients):
            parameter.grad = gradient
        self.opt_d.step()
        return loss.detach()

    def extra_state(self) -> dict:
        return {"reference_rng": self._reference_rng.bit_generator.state}

    def load_extra_state(self, state: dict) -> None:
        self._reference_rng.bit_generator.state = state["reference_rng"]

    def parameters_finite(self) -> bool:
        return all_finite(self._params)

    # ----------------------------------------------------------------- estimates

    @torch.no_grad()
    def log_ratio(self, points: Tensor) -> Tensor:
        """The estimated log r(x) = log p(x)/q(x) at ``points`` (n, 2), shape (n,)."""
        needed = self.ratio_loss.needs_reference
        return self.ratio_loss.log_ratio(self._outputs(points),
                                         self._outputs(self._reference_fixed) if needed else None)

    def _outputs(self, points: Tensor) -> Tensor:
        return self.classifier(points).squeeze(1)

    @torch.no_grad()
    def estimates(self, real: Tensor) -> tuple[float, Tensor]:
        """(KL[p || q], log r at ``real``) from samples of p: the KL is the bound's value (NWJ,
        DV) or the plug-in E_p[log r] (logistic, uLSIF); q is the fixed reference batch."""
        t_p, t_q = self._outputs(real), self._outputs(self._reference_fixed)
        log_ratio = self.ratio_loss.log_ratio(t_p, t_q)
        kl = self.ratio_loss.bound(t_p, t_q) if self.uses_bound else log_ratio.mean()
        return float(kl), log_ratio

    # ----------------------------------------------------------------- views and metrics

    def frame(self, geometry) -> dict:
        """log r on the grid (as the discriminator surface and in extras), q as the fakes."""
        log_ratio = geometry.surface(self.log_ratio(geometry.grid))
        fake = geometry.latent.cpu().numpy()
        extras = {"log_ratio": log_ratio}
        truth = self._grid_truth(geometry)
        if truth is not None:
            raw, shown = truth
            with np.errstate(invalid="ignore"):
                error = np.where(np.isfinite(raw), log_ratio - raw, np.nan)
            extras.update(true_log_ratio=shown, log_ratio_error=frozen_array(error))
        return {
            "discriminator_output": log_ratio,
            "discriminator_logit": log_ratio,
            "fake": frozen_array(fake),
            "fake_gradients": frozen_array(np.zeros_like(fake)),
            "manifold": frozen_array(np.zeros((0, 0, 2))),
            "extras": extras,
        }

    def _grid_truth(self, geometry):
        """(raw, clipped) true log-ratio on the view grid, (H, W); cached per grid and target."""
        if self.target is None or not self.target.has_density:
            return None
        cached = self._cache.get("grid")
        if cached is None or cached[0] is not geometry.grid or cached[1] is not self.target:
            points = geometry.grid.cpu().numpy().astype(np.float64)
            raw = true_log_ratio(self.target, self.reference, points)
            raw = raw.reshape(geometry.resolution, geometry.resolution)
            shown = frozen_array(np.clip(raw, -LOG_RATIO_CLIP, LOG_RATIO_CLIP))
            cached = self._cache["grid"] = (geometry.grid, self.target, (raw, shown))
        return cached[2]

    def evaluate(self, target: Target, grid_reference, seed: int) -> dict[str, float]:
        """``kl_estimate``; where p has a density also ``kl_true``, ``kl_error`` (estimate
        minus truth) and ``log_ratio_rmse``.

        ``log_ratio_rmse`` is sqrt(E_p[(log r_hat - log r)^2]): the error weighted by p,
        where the KL integrand lives, estimated on the fixed p batch rather than a grid so
        that narrow modes (ring8: std 0.01) are not missed between grid points.
        """
        real = self._fixed_real(target, seed)
        kl_estimate, estimated = self.estimates(self._as_tensor(real))
        metrics = {"kl_estimate": kl_estimate}
        if not target.has_density:
            return metrics
        kl = self._cache.get("kl")
        if kl is None or kl[0] is not target:
            kl = self._cache["kl"] = (target, true_kl(target, self.reference))
        estimated = estimated.cpu().numpy().astype(np.float64)
        truth = true_log_ratio(target, self.reference, real)
        finite = np.isfinite(truth)  # log r = +inf where q = 0 < p: no finite error there
        squared = (estimated[finite] - truth[finite]) ** 2
        rmse = math.sqrt(float(squared.mean())) if squared.size else math.nan
        metrics.update(kl_true=kl[1], kl_error=metrics["kl_estimate"] - kl[1],
                       log_ratio_rmse=rmse)
        return metrics

    def _fixed_real(self, target: Target, seed: int) -> np.ndarray:
        """:data:`EVALUATION_SAMPLES` samples of p, the same for every evaluation."""
        cached = self._cache.get("real")
        if cached is None or cached[0] is not target or cached[1] != seed:
            points = target.sample(EVALUATION_SAMPLES, np.random.default_rng([seed, 3]))[0]
            cached = self._cache["real"] = (target, seed, np.asarray(points, dtype=np.float64))
        return cached[2]
