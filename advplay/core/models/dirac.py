"""The Dirac-GAN: the smallest GAN, whose training is a point moving in a plane.

Mescheder, Geiger & Nowozin (2018), "Which training methods for GANs do actually converge?",
Section 2.2. The data distribution is a point mass at 0, the generator is a point mass at θ
and the discriminator is linear, D_ψ(x) = ψ x, so the whole game has two scalar parameters and
(Eq. 1 with these choices) the objective

    L(θ, ψ) = f(ψ θ) + f(0),     f(t) = -log(1 + exp(-t)) (GAN),  f(t) = t (WGAN),

which the discriminator maximises and the generator minimises. The unique equilibrium is
(θ, ψ) = (0, 0). Training starts at (1, 1); near the equilibrium the gradient vector field
v(θ, ψ) = (-ψ f'(ψθ), θ f'(ψθ)) has Jacobian [[0, -f'(0)], [f'(0), 0]] with eigenvalues
±i f'(0) (f'(0) = 1/2 for the GAN): simultaneous gradient steps of size h multiply the
distance to it by sqrt(1 + h² f'(0)²) per step and spiral out, alternating steps circle.

Losses are the registered GAN losses (``config.model.loss``) applied to the discriminator's
"real" logit -D_ψ(x) (the paper's D is large on fakes, the house losses' logit on real
data), which reproduces L for ``minimax`` and ``wasserstein`` and the non-saturating
generator loss -f(-ψθ) for ``nonsaturating``. Regularisers (``config.model.regularizer``),
added to the discriminator's loss:

* ``r1``: γ/2 E_pD[|∇x D|²] = γ/2 ψ², since ∇x D = ψ (Eq. 9, γ = ``model.r1``);
* ``gp``: λ (|∇x D| - 1)² = λ (|ψ| - 1)² on the interpolates (WGAN-GP, λ = ``model.gp_weight``);
* ``instance_noise``: real and fake points are blurred by N(0, σ²) (σ = ``model.noise_std``).
  The *expected* loss is used, by a fixed quadrature over :data:`NOISE_NODES` equally
  weighted normal quantiles, so the dynamics stay deterministic and match the vector field.

Steps are plain gradient steps, h = ``train.lr_d`` for ψ and ``train.lr_g`` for θ (the
optimiser setting is ignored): ``simultaneous`` moves both from the same point, ``alternating``
takes ``d_steps`` steps of ψ, then ``g_steps`` of θ with the new ψ.

Snapshot extras: ``theta_psi`` (2,), ``trajectory`` (T, 2) the path so far (at most
:data:`TRAJECTORY_POINTS`, thinned evenly, first and last kept), and the continuous-time
field ``field_theta``, ``field_psi`` (the grid, (S, S), row = ψ, column = θ, over
[-:data:`FIELD_EXTENT`, :data:`FIELD_EXTENT`]²) with ``field_u``, ``field_v`` its (θ̇, ψ̇).
In data space the real points sit at (0, 0) (the frame replaces the target's samples: the
data of this game is δ0 whatever ``config.target`` says), the fakes at (θ, 0), and the
surface is D(x) = ψ x₁.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

from advplay.core.config import Config
from advplay.core.losses import LOSSES
from advplay.core.models.base import MODELS
from advplay.core.snapshot import frozen_array
from advplay.core.targets import Target

#: the initial point (θ, ψ) of every run, as in the paper's figures
START = (1.0, 1.0)
#: points kept of the trajectory
TRAJECTORY_POINTS = 2000
#: the vector field is sampled on FIELD_SIDE x FIELD_SIDE points of [-FIELD_EXTENT, FIELD_EXTENT]²
FIELD_EXTENT, FIELD_SIDE = 2.0, 17
#: normal quantiles averaged for the expected loss under instance noise
NOISE_NODES = 64


class Trajectory:
    """A bounded path of (θ, ψ): every ``stride``-th point plus the newest, thinned evenly.

    Safe to read from another thread while it grows: readers copy the record list in one
    atomic step, and the writer only appends or rebinds it.
    """

    def __init__(self, capacity: int = TRAJECTORY_POINTS):
        self.capacity = capacity
        self._records: list[tuple[int, float, float]] = []  # (iteration, θ, ψ)
        self._stride = 1

    def append(self, iteration: int, theta: float, psi: float) -> None:
        records = self._records
        if records and records[-1][0] % self._stride:
            records.pop()  # it was kept only for being the newest
        records.append((iteration, theta, psi))
        if len(records) > self.capacity:
            self._stride *= 2
            self._records = [r for r in records[:-1] if r[0] % self._stride == 0] + records[-1:]

    def points(self, until: int | None = None) -> np.ndarray:
        """(T, 2) float64 copy of the points recorded at iterations <= ``until`` (all: None)."""
        records = np.array(self._records[:], dtype=np.float64).reshape(-1, 3)
        if until is not None:
            records = records[records[:, 0] <= until]
        return records[:, 1:]

    def to_dict(self) -> dict:
        return {"records": [list(r) for r in self._records], "stride": self._stride}

    @classmethod
    def from_dict(cls, data: dict, capacity: int = TRAJECTORY_POINTS) -> "Trajectory":
        trajectory = cls(capacity)
        trajectory._records = [(int(i), float(t), float(p)) for i, t, p in data["records"]]
        trajectory._stride = int(data["stride"])
        return trajectory


def noise_offsets(std: float, nodes: int = NOISE_NODES) -> Tensor:
    """``nodes`` equally weighted quantiles of N(0, std²): their mean of g(ε) stands for E[g(ε)].

    Rescaled so that their second moment is exactly std², the moment the linearisation at
    the equilibrium depends on (ψ̇ ≈ f'(0) θ + 2 f''(0) σ² ψ).
    """
    levels = (torch.arange(nodes, dtype=torch.float64) + 0.5) / nodes
    quantiles = torch.special.ndtri(levels)
    return std * quantiles / quantiles.square().mean().sqrt()


@MODELS.register("dirac", "Dirac-GAN: data at 0, generator at θ, D(x) = ψx; the (θ, ψ) "
                          "plane shows why GAN training circles (Mescheder et al. 2018)")
class DiracGAN:
    """The two-parameter GAN of Mescheder et al. (2018), Section 2.2.

    Parameters
    ----------
    config : the experiment; ``model.loss``, ``model.regularizer`` (with ``r1``,
        ``gp_weight``, ``noise_std``) and ``model.updates`` define the game,
        ``train.lr_d`` / ``train.lr_g`` the step sizes of ψ / θ
    device : where frames are computed; the two parameters always live on the CPU (float64)
    noise, target : unused (the game is deterministic and its data is δ0 whatever the target)
    """

    players = ("d", "g")
    networks = ()
    latent_dim = 1
    output_is_probability = False
    decision_level = 0.0  # D = ψx = 0: the real point, where the game should end

    def __init__(self, config: Config, device: torch.device, noise: torch.Generator | None = None,
                 target: Target | None = None):
        self.device = device
        self.theta = torch.tensor(START[0], dtype=torch.float64)
        self.psi = torch.tensor(START[1], dtype=torch.float64)
        self.iterations = 0
        self._trajectory = Trajectory(TRAJECTORY_POINTS - 1)  # frames may add the current point
        self._trajectory.append(0, *START)
        self._cache: dict = {}  # the vector field of a game, shared with the view copy
        self.apply(config)

    def apply(self, config: Config) -> None:
        """Take the loss, regulariser, update rule and step sizes.

        The game is two numbers, so any of them may change between steps; the session
        passes the keys in ``ON_THE_FLY`` (loss, r1, gp_weight, learning rates, d/g steps).
        """
        model, train = config.model, config.train
        self.loss_name, self.loss = model.loss, LOSSES[model.loss]
        self.regularizer, self.updates = model.regularizer, model.updates
        self.r1, self.gp_weight, self.noise_std = model.r1, model.gp_weight, model.noise_std
        self.lr_d, self.lr_g = train.lr_d, train.lr_g
        self.d_steps, self.g_steps = train.d_steps, train.g_steps
        noisy = self.regularizer == "instance_noise" and self.noise_std > 0
        # NumPy, not a tensor attribute: model_state would save it as training state
        offsets = noise_offsets(self.noise_std) if noisy else torch.zeros(1, dtype=torch.float64)
        self._offsets = offsets.numpy()

    # ----------------------------------------------------------------- the game

    def _penalty(self, psi: Tensor) -> Tensor:
        """The discriminator's regulariser per point, for ∇x D(x) = ψ everywhere."""
        if self.regularizer == "r1":
            return 0.5 * self.r1 * psi.square()
        if self.regularizer == "gp":
            return self.gp_weight * (psi.abs() - 1.0).square()
        return torch.zeros_like(psi)

    def losses(self, theta: Tensor, psi: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(discriminator loss, its penalty, generator loss), summed over points (θ, ψ) of any
        matching shape; each point's share is its expected loss over the noise offsets."""
        offsets = torch.from_numpy(self._offsets)  # (K,)
        # the house losses score "real" logits: -D_ψ(x) = -ψ x, real x = ε, fake x = θ + ε
        real = -psi[..., None] * offsets  # (..., K)
        fake = -psi[..., None] * (theta[..., None] + offsets)
        points = theta.numel()  # losses are means over all points x K: scale to a sum over points
        loss_d = self.loss.discriminator(real, fake) * points
        loss_g = self.loss.generator(fake) * points
        return loss_d, self._penalty(psi).sum(), loss_g

    def gradients(self, theta: Tensor, psi: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """(∂L_G/∂θ, ∂(L_D + R)/∂ψ, L_D, L_G) at points (θ, ψ), elementwise."""
        theta = theta.detach().clone().requires_grad_(True)
        psi = psi.detach().clone().requires_grad_(True)
        loss_d, penalty, loss_g = self.losses(theta, psi)
        (grad_psi,) = torch.autograd.grad(loss_d + penalty, psi, retain_graph=True)
        (grad_theta,) = torch.autograd.grad(loss_g, theta)
        return grad_theta, grad_psi, loss_d.detach(), loss_g.detach()

    def vector_field(self, theta: Tensor, psi: Tensor) -> tuple[Tensor, Tensor]:
        """The continuous-time field (θ̇, ψ̇) = (-∂L_G/∂θ, -∂(L_D + R)/∂ψ) at (θ, ψ)."""
        grad_theta, grad_psi, _, _ = self.gradients(theta, psi)
        return -grad_theta, -grad_psi

    # ----------------------------------------------------------------- training

    def train_iteration(self, real_batch, batch_size: int,
                        players=("d", "g")) -> tuple[Tensor, Tensor]:
        """One simultaneous or alternating step; the data is δ0, so ``real_batch`` is unused.

        Returns (L_D, L_G) at the step's start (simultaneous) or after each player's own
        steps (alternating); NaN for a player left out of ``players``.
        """
        nan = torch.tensor(math.nan, dtype=torch.float64)
        loss_d = loss_g = nan
        if self.updates == "simultaneous":
            grad_theta, grad_psi, loss_d, loss_g = self.gradients(self.theta, self.psi)
            if "d" in players:
                self.psi = self.psi - self.lr_d * grad_psi
            if "g" in players:
                self.theta = self.theta - self.lr_g * grad_theta
        else:
            if "d" in players:
                for _ in range(self.d_steps):
                    _, grad_psi, loss_d, _ = self.gradients(self.theta, self.psi)
                    self.psi = self.psi - self.lr_d * grad_psi
            if "g" in players:
                for _ in range(self.g_steps):
                    grad_theta, _, _, loss_g = self.gradients(self.theta, self.psi)
                    self.theta = self.theta - self.lr_g * grad_theta
        self.iterations += 1
        self._trajectory.append(self.iterations, float(self.theta), float(self.psi))
        return (loss_d if "d" in players else nan), (loss_g if "g" in players else nan)

    def set_point(self, theta: float, psi: float) -> None:
        """Continue from (θ, ψ): e.g. start next to the equilibrium to see the linear regime.

        The trajectory starts again at this point.
        """
        self.theta = torch.tensor(float(theta), dtype=torch.float64)
        self.psi = torch.tensor(float(psi), dtype=torch.float64)
        self._trajectory = Trajectory(TRAJECTORY_POINTS - 1)
        self._trajectory.append(self.iterations, float(theta), float(psi))

    def parameters_finite(self) -> bool:
        return bool(torch.isfinite(self.theta) and torch.isfinite(self.psi))

    def extra_state(self) -> dict:
        return {"iterations": self.iterations, "trajectory": self._trajectory.to_dict()}

    def load_extra_state(self, state: dict) -> None:
        self.iterations = int(state["iterations"])
        self._trajectory = Trajectory.from_dict(state["trajectory"], TRAJECTORY_POINTS - 1)

    # ----------------------------------------------------------------- sampling

    def sample_latent(self, n: int, noise: torch.Generator | None = None) -> Tensor:
        """The generator has no noise: n zero codes, (n, 1)."""
        return torch.zeros((n, 1), device=self.device)

    def latent_extent(self) -> float:
        return 1.0

    @torch.no_grad()
    def generate(self, z: Tensor) -> Tensor:
        """Every sample of δθ is θ: the points (θ, 0), (n, 2)."""
        points = torch.zeros((len(z), 2), device=z.device)
        points[:, 0] = float(self.theta)
        return points

    # ----------------------------------------------------------------- views and metrics

    def frame(self, geometry) -> dict:
        """D(x) = ψ x₁ on the grid, the fakes at (θ, 0), and the (θ, ψ) plane in extras."""
        theta, psi = float(self.theta), float(self.psi)
        path = self._trajectory.points(until=self.iterations)  # (T, 2); training may be ahead
        if not len(path) or not np.array_equal(path[-1], (theta, psi)):
            path = np.concatenate([path, [[theta, psi]]])
        surface = psi * geometry.grid[:, 0]
        grad_theta = self.gradients(self.theta, self.psi)[0]
        count = len(geometry.latent)
        fake = np.tile([theta, 0.0], (count, 1))
        gradients = np.tile([float(grad_theta), 0.0], (count, 1))  # ∂L_G/∂x of each fake
        return {
            "real": frozen_array(np.zeros((count, 2))),  # p_data = δ0, whatever the target
            "real_labels": None,
            "discriminator_output": geometry.surface(surface),
            "discriminator_logit": geometry.surface(surface),
            "fake": frozen_array(fake),
            "fake_gradients": frozen_array(gradients),
            "manifold": frozen_array(np.zeros((0, 0, 2))),
            "extras": {"theta_psi": frozen_array([theta, psi]), "trajectory": frozen_array(path),
                       **self._field()},
        }

    def _field(self) -> dict[str, np.ndarray]:
        """The vector field arrays of the current game, computed once per game."""
        key = (self.loss_name, self.regularizer, self.r1, self.gp_weight, self.noise_std)
        cached = self._cache.get("field")  # (key, arrays), replaced whole: the view copy reads it
        if cached is None or cached[0] != key:
            axis = torch.linspace(-FIELD_EXTENT, FIELD_EXTENT, FIELD_SIDE, dtype=torch.float64)
            psi, theta = torch.meshgrid(axis, axis, indexing="ij")  # row = ψ, column = θ
            u, v = self.vector_field(theta, psi)
            arrays = {"field_theta": theta, "field_psi": psi, "field_u": u, "field_v": v}
            cached = (key, {k: frozen_array(a.numpy()) for k, a in arrays.items()})
            self._cache["field"] = cached
        return cached[1]

    def evaluate(self, target: Target, grid_reference, seed: int) -> dict[str, float]:
        """``theta``, ``psi``, ``distance`` |(θ, ψ)| to the equilibrium, and ``speed`` |v|."""
        u, v = self.vector_field(self.theta, self.psi)
        theta, psi = float(self.theta), float(self.psi)
        return {"theta": theta, "psi": psi, "distance": math.hypot(theta, psi),
                "speed": math.hypot(float(u), float(v))}
