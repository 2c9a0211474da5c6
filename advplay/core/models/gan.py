"""Generative adversarial networks with MLP players (Goodfellow et al. 2014, Algorithm 1).

Each iteration takes ``d_steps`` discriminator updates, then ``g_steps`` generator updates::

    D:  minimise  loss.discriminator(D(x_real), D(G(z)))   [+ penalties]
    G:  minimise  loss.generator(D(G(z)))

The loss is looked up by name (``advplay.core.losses``): minimax, non-saturating, least
squares, hinge, Wasserstein with gradient penalty; optional R1/R2 penalties (Mescheder et al.
2018). The loop avoids host syncs and redundant work, see ``_discriminator_update``.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from advplay.core.config import Config
from advplay.core.losses import LOSSES, wasserstein_gradient_penalty
from advplay.core.models.base import MODELS, make_optimizer, set_hyperparameters
from advplay.core.metrics import MODE_METRIC_SAMPLES, target_metrics
from advplay.core.nets import mlp
from advplay.core.snapshot import frozen_array
from advplay.core.targets import Target


@MODELS.register("gan", "GAN with MLP generator and discriminator; several losses and penalties")
class GAN:
    """Generator G: z -> x and discriminator D: x -> logit, trained adversarially.

    Parameters
    ----------
    config : the experiment; ``config.model`` sizes the networks, ``config.train`` the updates
    device : where the networks live
    noise : the torch random generator every latent and penalty draw comes from (determinism)
    """

    players = ("d", "g")
    networks = ("generator", "discriminator")

    def __init__(self, config: Config, device: torch.device, noise: torch.Generator,
                 target: Target | None = None):
        model = config.model
        self.device = device
        self.noise = noise
        self.latent_dim = model.latent_dim
        self.latent_prior = model.latent_prior
        self.generator = mlp(model.latent_dim, 2, model.width, model.depth, model.activation).to(device)
        self.discriminator = mlp(2, 1, model.width, model.depth, model.activation).to(device)
        self._g_params = list(self.generator.parameters())
        self._d_params = list(self.discriminator.parameters())
        self.opt_d = make_optimizer(self._d_params, config.train.lr_d, config.train)
        self.opt_g = make_optimizer(self._g_params, config.train.lr_g, config.train)
        self.apply(config)

    def apply(self, config: Config) -> None:
        """Take the hyperparameters that may change while training."""
        self.loss = LOSSES[config.model.loss]
        self.r1, self.r2 = config.model.r1, config.model.r2
        self.gp_weight = config.model.gp_weight if self.loss.needs_gradient_penalty else 0.0
        self.d_steps, self.g_steps = config.train.d_steps, config.train.g_steps
        set_hyperparameters(self.opt_d, config.train.lr_d, config.train)
        set_hyperparameters(self.opt_g, config.train.lr_g, config.train)

    # ----------------------------------------------------------------- sampling

    def sample_latent(self, n: int, noise: torch.Generator | None = None) -> Tensor:
        """n draws from the latent prior, shape (n, latent_dim)."""
        noise = self.noise if noise is None else noise
        shape = (n, self.latent_dim)
        if self.latent_prior == "uniform":
            return torch.rand(shape, generator=noise, device=self.device).mul_(2).sub_(1)
        return torch.randn(shape, generator=noise, device=self.device)

    def latent_extent(self) -> float:
        """Half-width of the latent region shown by the manifold view."""
        return 1.0 if self.latent_prior == "uniform" else 2.5

    # ----------------------------------------------------------------- training

    def train_iteration(self, real_batch, batch_size: int, players=("d", "g")) -> tuple[Tensor, Tensor]:
        """One iteration: the discriminator's then the generator's updates.

        ``real_batch(n)`` returns n fresh real samples on the device. Returns the last
        (discriminator, generator) losses as detached 0-d tensors (no host sync); a player
        left out of ``players`` does not move and reports NaN.
        """
        loss_d = loss_g = None
        if "d" in players:
            for _ in range(self.d_steps):
                loss_d = self._discriminator_update(real_batch(batch_size), batch_size)
        if "g" in players:
            for _ in range(self.g_steps):
                loss_g = self._generator_update(batch_size)
        if loss_d is None or loss_g is None:  # a one-player step: the other reports NaN
            missing = torch.full((), math.nan, device=self.device)
            return (missing if loss_d is None else loss_d), (missing if loss_g is None else loss_g)
        return loss_d, loss_g

    def _discriminator_update(self, real: Tensor, batch_size: int) -> Tensor:
        with torch.no_grad():  # G is not updated here: keep no graph for it
            fake = self.generator(self.sample_latent(batch_size))  # (B, 2)
        # One forward pass over real and fake together halves the per-layer op count.
        inputs = torch.cat([real, fake])  # (2B, 2)
        penalised = self.r1 > 0 or self.r2 > 0
        if penalised:
            inputs.requires_grad_(True)
        logits = self.discriminator(inputs).squeeze(1)  # (2B,)
        loss = self.loss.discriminator(logits[:batch_size], logits[batch_size:])
        total = loss + self._penalties(inputs, logits, real, fake, batch_size, penalised)
        gradients = torch.autograd.grad(total, self._d_params)
        for parameter, gradient in zip(self._d_params, gradients):
            parameter.grad = gradient
        self.opt_d.step()
        return loss.detach()

    def _penalties(self, inputs, logits, real, fake, batch_size, penalised) -> Tensor | float:
        penalty = 0.0
        if penalised:
            # Rows are independent, so d(sum of logits)/d(inputs) is each sample's own gradient.
            (gradient,) = torch.autograd.grad(logits.sum(), inputs, create_graph=True)
            squared_norm = gradient.square().sum(dim=1)  # (2B,)
            penalty = penalty + 0.5 * self.r1 * squared_norm[:batch_size].mean()
            penalty = penalty + 0.5 * self.r2 * squared_norm[batch_size:].mean()
        if self.gp_weight > 0:
            mix = torch.rand((batch_size, 1), generator=self.noise, device=self.device)
            penalty = penalty + self.gp_weight * wasserstein_gradient_penalty(
                self._discriminator_logit, real, fake, mix)
        return penalty

    def _generator_update(self, batch_size: int) -> Tensor:
        fake = self.generator(self.sample_latent(batch_size))
        loss = self.loss.generator(self.discriminator(fake).squeeze(1))
        # Gradients for G's parameters only: D's weight gradients are never computed.
        gradients = torch.autograd.grad(loss, self._g_params)
        for parameter, gradient in zip(self._g_params, gradients):
            parameter.grad = gradient
        self.opt_g.step()
        return loss.detach()

    # ----------------------------------------------------------------- views

    @property
    def output_is_probability(self) -> bool:
        return self.loss.probability

    @property
    def decision_level(self) -> float | None:
        return self.loss.decision_level

    def frame(self, geometry) -> dict:
        """The snapshot arrays of this model: D on the grid, fakes, their gradients, manifold."""
        output, logit = self.discriminator_surface(geometry.grid)
        fake, gradients = self.fake_gradients(geometry.latent)
        manifold = self.generate(geometry.manifold_latent).reshape(*geometry.manifold_shape, 2)
        return {
            "discriminator_output": geometry.surface(output),
            "discriminator_logit": geometry.surface(logit),
            "fake": frozen_array(fake.cpu().numpy()),
            "fake_gradients": frozen_array(gradients.cpu().numpy()),
            "manifold": frozen_array(manifold.cpu().numpy()),
        }

    def evaluate(self, target: Target, grid_reference, seed: int) -> dict[str, float]:
        """The target's metrics on 2500 generator samples of a fixed latent batch."""
        if getattr(self, "_metric_seed", None) != seed:
            noise = torch.Generator(device=self.device).manual_seed(seed + 2)
            self._metric_latent = self.sample_latent(MODE_METRIC_SAMPLES, noise)
            self._metric_seed = seed
        samples = self.generate(self._metric_latent).cpu().numpy()
        return target_metrics(samples, target, grid_reference)

    def _discriminator_logit(self, x: Tensor) -> Tensor:
        return self.discriminator(x).squeeze(1)

    @torch.no_grad()
    def discriminator_surface(self, points: Tensor) -> tuple[Tensor, Tensor]:
        """(output, logit) of D at ``points`` (n, 2); output as the loss defines D(x)."""
        logit = self._discriminator_logit(points)
        return self.loss.output(logit), logit

    @torch.no_grad()
    def generate(self, z: Tensor) -> Tensor:
        return self.generator(z)

    def fake_gradients(self, z: Tensor) -> tuple[Tensor, Tensor]:
        """Fake samples G(z) and the gradient of each one's generator loss w.r.t. itself.

        The loss is per sample (the batch mean times n), so arrows do not shrink with n.
        """
        with torch.no_grad():
            fake = self.generator(z)
        fake.requires_grad_(True)
        loss = self.loss.generator(self._discriminator_logit(fake)) * len(z)
        (gradient,) = torch.autograd.grad(loss, fake)
        return fake.detach(), gradient

    def parameters_finite(self) -> bool:
        """Whether every parameter of both players is finite (one host sync)."""
        flags = [torch.isfinite(p).all() for p in self._g_params + self._d_params]
        return bool(torch.stack(flags).all())
