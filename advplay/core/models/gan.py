"""Generative adversarial networks with MLP players (Goodfellow et al. 2014, Algorithm 1).

Each iteration takes ``d_steps`` discriminator updates, then ``g_steps`` generator updates::

    D:  minimise  loss.discriminator(D(x_real), D(G(z)))   [+ penalties]
    G:  minimise  loss.generator(D(G(z)))

The loss is looked up by name (``advplay.core.losses``): minimax, non-saturating, least
squares, hinge, Wasserstein with gradient penalty; optional R1/R2 penalties (Mescheder et al.
2018). The loop avoids host syncs and redundant work, see ``_discriminator_update``.

**Packing** (PacGAN, Lin et al. 2018). With ``config.model.pack = m > 1`` the discriminator
judges m samples at once: its input layer takes the 2m coordinates of m samples side by side,
all real or all fake, and the game is played on these packs (the generator is unchanged). As
in the authors' code (``fjxmlzn/PacGAN``, 2D experiments) a minibatch holds ``batch_size``
packs, so every update draws ``m * batch_size`` real and fake samples; the packs are
consecutive groups of m. ``pack = 1`` is the plain GAN, computed exactly as without packing.
With packing,

* R1/R2 penalise ``||grad D||^2`` over the whole packed input (all 2m coordinates) and
  WGAN-GP interpolates whole packs with one mixing weight per pack: both read D as the
  function on R^{2m} that it is;
* the surface shows ``D(x, x, ..., x)``: m copies of the grid point;
* the arrow on a fake is the gradient of the generator loss with respect to that fake when it
  is packed with its m - 1 cyclic neighbours in the fixed view batch, averaged over the m
  slots it can take -- the push each sample gets in training, where its pack-mates are other
  fakes, made deterministic.

**Architectures.** ``model.generator_norm = "batch"`` puts batch norm before each hidden
activation of G and ``model.discriminator = "maxout"`` builds D from maxout units, as in the
PacGAN/ALI 2D experiments (``advplay.core.nets``). A batch-normalised G trains on batch
statistics and is drawn, scored and sampled with its running statistics (evaluation mode),
as the PacGAN code does; views and metrics then never change the running statistics.

**Schedules** (``advplay.core.schedules``). ``train.lr_schedule`` decays both learning rates
(cosine or linear) from the fraction ``train.lr_decay_start`` of ``train.steps`` iterations
down to the factor ``train.lr_final``; ``train.ema > 0`` keeps a moving average
of G's weights, updated after every iteration that moves G, and that average is what views,
metrics and samples draw from (``sampler``); training itself always uses G.

**Latent codes** (MGAN-style, Hoang et al. 2018). With ``model.latent_codes = K > 0`` the prior
is cut into K equal-probability slabs along z_1 and G also receives the one-hot of z's slab:
K generators, picked with probability 1/K, that differ only in their first layer's bias (MGAN's
share all but the first layer; its classifier that pushes them apart is not used here). G may
then jump between slabs instead of spreading mass in the gaps between modes.

Frame extras: ``optimal_discriminator`` (H, W), D*(x) = p(x) / (p(x) + q_G(x)) for the current
generator where the target density is known (see ``advplay.core.optimal``), unless the view
geometry skips it: then ``skipped_extras`` names it (the app computes D* only while its tab
shows; it is about a fifth of a live frame's cost, K times that for a conditional GAN).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from advplay.core.config import Config
from advplay.core.losses import LOSSES, wasserstein_gradient_penalty
from advplay.core.models.base import MODELS, make_optimizer, set_hyperparameters
from advplay.core.metrics import MODE_METRIC_SAMPLES, target_metrics
from advplay.core.nets import (all_finite, discriminator_network, generator_network,
                                rest_in_evaluation, training_mode)
from advplay.core.optimal import density_known, optimal_discriminator
from advplay.core.schedules import averaged_copy, ema_update, lr_factor
from advplay.core.snapshot import frozen_array
from advplay.core.targets import Target
from advplay.core.views import ARROW_SAMPLES, OPTIMAL_KEY, grid_axes


def skipped_optimal(model, geometry, label: int | None = None) -> bool:
    """Whether the frame leaves D* out on request though ``model`` could compute it (against
    the density of class ``label`` when given): the snapshot then lists it as skipped."""
    return OPTIMAL_KEY in geometry.skipped and density_known(model.target, label)


@MODELS.register("gan", "GAN with MLP generator and discriminator; several losses and penalties")
class GAN:
    """Generator G: z -> x and discriminator D: x -> logit, trained adversarially.

    Parameters
    ----------
    config : the experiment; ``config.model`` sizes the networks, ``config.train`` the updates
    device : where the networks live
    noise : the torch random generator every latent and penalty draw comes from (determinism)
    target : the distribution to learn; kept for the optimal-discriminator overlay

    Subclasses that condition both players on a label (``cgan``) set ``condition_size``, the
    width of what they append to each network input, and override :meth:`_generate`,
    :meth:`_critic`, :meth:`_real_packs` and :meth:`_fake_labels`; labels then travel with
    the samples through the same update code (``None`` here).
    """

    players = ("d", "g")
    networks = ("generator", "discriminator")
    #: features appended to z and to each packed sample (one-hot labels of a conditional GAN)
    condition_size = 0

    def __init__(self, config: Config, device: torch.device, noise: torch.Generator,
                 target: Target | None = None):
        model = config.model
        self.device = device
        self.noise = noise
        self.target = target
        self.pack = model.pack
        self.latent_dim = model.latent_dim
        self.latent_prior = model.latent_prior
        extra = self.condition_size
        self.codes = model.latent_codes
        self.generator = generator_network(model, model.latent_dim + self.codes + extra).to(device)
        self.discriminator = discriminator_network(model, (2 + extra) * self.pack).to(device)
        self._mode_switched = rest_in_evaluation(self.generator, self.discriminator)
        self._g_params = list(self.generator.parameters())
        self._d_params = list(self.discriminator.parameters())
        self.opt_d = make_optimizer(self._d_params, config.train.lr_d, config.train)
        self.opt_g = make_optimizer(self._g_params, config.train.lr_g, config.train)
        self.iteration = 0  # iterations trained: the learning-rate schedule's clock
        self.generator_ema = averaged_copy(self.generator) if config.train.ema > 0 else None
        if self.generator_ema is not None:  # frames render from copies of it too
            self.networks = (*type(self).networks, "generator_ema")
        self.apply(config)

    def apply(self, config: Config) -> None:
        """Take the hyperparameters that may change while training."""
        self.loss = LOSSES[config.model.loss]
        self.r1, self.r2 = config.model.r1, config.model.r2
        self.gp_weight = config.model.gp_weight if self.loss.needs_gradient_penalty else 0.0
        self.d_steps, self.g_steps = config.train.d_steps, config.train.g_steps
        set_hyperparameters(self.opt_d, config.train.lr_d, config.train)
        set_hyperparameters(self.opt_g, config.train.lr_g, config.train)
        self.lr_d, self.lr_g, self.ema = config.train.lr_d, config.train.lr_g, config.train.ema
        self.lr_schedule, self.total_steps = config.train.lr_schedule, config.train.steps
        self.lr_decay_start, self.lr_final = config.train.lr_decay_start, config.train.lr_final
        self._schedule_rates()

    def _schedule_rates(self) -> None:
        """Set both optimisers' learning rates for the current iteration of the schedule."""
        factor = lr_factor(self.lr_schedule, self.iteration, self.total_steps,
                           self.lr_decay_start, self.lr_final)
        for optimizer, rate in ((self.opt_d, self.lr_d), (self.opt_g, self.lr_g)):
            for group in optimizer.param_groups:
                group["lr"] = rate * factor

    def extra_state(self) -> dict:
        """The schedule's clock (the EMA generator is saved with the other networks)."""
        return {"iteration": self.iteration}

    def load_extra_state(self, state: dict) -> None:
        self.iteration = int(state["iteration"])
        self._schedule_rates()

    @property
    def sampler(self) -> torch.nn.Module:
        """The generator that views, metrics and samples use: G's moving average if kept."""
        return self.generator if self.generator_ema is None else self.generator_ema

    def set_target(self, target: Target) -> None:
        """Train toward ``target`` from now on (a drawing was edited): the overlay follows it."""
        self.target = target

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

    def _generate(self, z: Tensor, labels: Tensor | None, network=None) -> Tensor:
        """G(z), shape (n, 2), by ``network`` (default: the trained G); ``labels`` (n,) are
        for conditional subclasses."""
        return (self.generator if network is None else network)(self._with_code(z))

    def _with_code(self, z: Tensor) -> Tensor:
        """z (n, d) with the one-hot (n, K) of its slab appended when ``latent_codes`` K > 0: the
        prior cut into K equal-probability slabs along z_1, so G may jump between them."""
        if not self.codes:
            return z
        mass = (z[:, 0] + 1) / 2 if self.latent_prior == "uniform" else torch.special.ndtr(z[:, 0])
        slab = (mass * self.codes).long().clamp_(0, self.codes - 1)
        return torch.cat([z, torch.nn.functional.one_hot(slab, self.codes).to(z.dtype)], dim=1)

    def _critic(self, packed: Tensor, labels: Tensor | None) -> Tensor:
        """D's logits (n,) for packs (n, 2m) of samples side by side; ``labels`` (n, m) or None."""
        return self.discriminator(packed).squeeze(1)

    # ----------------------------------------------------------------- training

    def train_iteration(self, real_batch, batch_size: int, players=("d", "g")) -> tuple[Tensor, Tensor]:
        """One iteration: the discriminator's then the generator's updates.

        ``real_batch(n)`` returns n fresh real samples on the device. Returns the last
        (discriminator, generator) losses as detached 0-d tensors (no host sync); a player
        left out of ``players`` does not move and reports NaN.
        """
        loss_d = loss_g = None
        if self.lr_schedule != "constant":
            self._schedule_rates()
        with training_mode(self._mode_switched):
            if "d" in players:
                for _ in range(self.d_steps):
                    loss_d = self._discriminator_update(
                        *self._real_packs(real_batch, batch_size), batch_size)
            if "g" in players:
                for _ in range(self.g_steps):
                    loss_g = self._generator_update(batch_size)
        if self.generator_ema is not None and "g" in players:
            ema_update(self.generator_ema, self.generator, self.ema)
        self.iteration += 1
        if loss_d is None or loss_g is None:  # a one-player step: the other reports NaN
            missing = torch.full((), math.nan, device=self.device)
            return (missing if loss_d is None else loss_d), (missing if loss_g is None else loss_g)
        return loss_d, loss_g

    def _real_packs(self, real_batch, batch_size: int) -> tuple[Tensor, Tensor | None]:
        """``batch_size`` packs (B, 2m) of m consecutive real samples, and their labels (None)."""
        return real_batch(batch_size * self.pack).reshape(batch_size, 2 * self.pack), None

    def _fake_labels(self, batch_size: int) -> Tensor | None:
        """Labels (B, m) for the generator's packs; an unconditional GAN has none."""
        return None

    def _fake_packs(self, batch_size: int, labels: Tensor | None) -> Tensor:
        """``batch_size`` packs (B, 2m) of fresh generator samples (of ``labels`` when given)."""
        z = self.sample_latent(batch_size * self.pack)  # (B*m, latent_dim)
        flat_labels = None if labels is None else labels.reshape(-1)
        return self._generate(z, flat_labels).reshape(batch_size, 2 * self.pack)

    def _discriminator_update(self, real: Tensor, labels: Tensor | None, batch_size: int) -> Tensor:
        with torch.no_grad():  # G is not updated here: keep no graph for it
            fake = self._fake_packs(batch_size, labels)  # (B, 2m), labelled like the reals
        # One forward pass over real and fake together halves the per-layer op count.
        inputs = torch.cat([real, fake])  # (2B, 2m)
        both_labels = None if labels is None else torch.cat([labels, labels])  # (2B, m)
        penalised = self.r1 > 0 or self.r2 > 0
        if penalised:
            inputs.requires_grad_(True)
        logits = self._critic(inputs, both_labels)  # (2B,)
        loss = self.loss.discriminator(logits[:batch_size], logits[batch_size:])
        total = loss + self._penalties(inputs, logits, real, fake, labels, batch_size, penalised)
        gradients = torch.autograd.grad(total, self._d_params)
        for parameter, gradient in zip(self._d_params, gradients):
            parameter.grad = gradient
        self.opt_d.step()
        return loss.detach()

    def _penalties(self, inputs, logits, real, fake, labels, batch_size,
                   penalised) -> Tensor | float:
        penalty = 0.0
        if penalised:
            # Packs are independent, so d(sum of logits)/d(inputs) is each pack's own gradient;
            # with labels, only the sample coordinates are inputs (the one-hot is appended inside).
            (gradient,) = torch.autograd.grad(logits.sum(), inputs, create_graph=True)
            squared_norm = gradient.square().sum(dim=1)  # (2B,)
            penalty = penalty + 0.5 * self.r1 * squared_norm[:batch_size].mean()
            penalty = penalty + 0.5 * self.r2 * squared_norm[batch_size:].mean()
        if self.gp_weight > 0:
            mix = torch.rand((batch_size, 1), generator=self.noise, device=self.device)
            penalty = penalty + self.gp_weight * wasserstein_gradient_penalty(
                lambda packed: self._critic(packed, labels), real, fake, mix)
        return penalty

    def _generator_update(self, batch_size: int) -> Tensor:
        labels = self._fake_labels(batch_size)
        fake = self._fake_packs(batch_size, labels)  # (B, 2m)
        loss = self.loss.generator(self._critic(fake, labels))
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
        """The snapshot arrays of this model: D on the grid, fakes, their gradients, manifold,
        and the optimal discriminator in ``extras`` where the target density is known."""
        output, logit = self.discriminator_surface(geometry.grid)
        fake, gradients = self.fake_gradients(geometry.latent, arrows=ARROW_SAMPLES)
        manifold = self.generate(geometry.manifold_latent).reshape(*geometry.manifold_shape, 2)
        fields = {
            "discriminator_output": geometry.surface(output),
            "discriminator_logit": geometry.surface(logit),
            "fake": frozen_array(fake.cpu().numpy()),
            "fake_gradients": frozen_array(gradients.cpu().numpy()),
            "manifold": frozen_array(manifold.cpu().numpy()),
        }
        if skipped_optimal(self, geometry):
            fields["skipped_extras"] = (OPTIMAL_KEY,)
            return fields
        optimal = self.optimal_surface(geometry, fields["fake"])
        if optimal is not None:
            fields["extras"] = {OPTIMAL_KEY: frozen_array(optimal)}
        return fields

    def optimal_surface(self, geometry, fake, label: int | None = None):
        """D*(x) (H, W) on the view grid against ``fake`` (n, 2) samples, or None without a
        known target density; ``label`` compares with the class-conditional density."""
        if not density_known(self.target, label):
            return None
        xs, ys = grid_axes(geometry.bounds, geometry.resolution)
        return optimal_discriminator(self.target, fake, xs, ys, label)

    def _metric_latent_for(self, seed: int) -> Tensor:
        """The fixed latent batch of the metrics (drawn once per seed)."""
        if getattr(self, "_metric_seed", None) != seed:
            noise = torch.Generator(device=self.device).manual_seed(seed + 2)
            self._metric_latent = self.sample_latent(MODE_METRIC_SAMPLES, noise)
            self._metric_seed = seed
        return self._metric_latent

    def evaluate(self, target: Target, grid_reference, seed: int) -> dict[str, float]:
        """The target's metrics on 2500 generator samples of a fixed latent batch."""
        samples = self.generate(self._metric_latent_for(seed)).cpu().numpy()
        return target_metrics(samples, target, grid_reference)

    @torch.no_grad()
    def discriminator_surface(self, points: Tensor,
                              label: int | None = None) -> tuple[Tensor, Tensor]:
        """(output, logit) of D at ``points`` (n, 2); output as the loss defines D(x).

        A packed discriminator is shown as D(x, x, ..., x), m copies of each point.
        """
        packed = points.repeat(1, self.pack) if self.pack > 1 else points  # (n, 2m)
        labels = None if label is None else torch.full(
            (len(points), self.pack), label, dtype=torch.int64, device=points.device)
        logit = self._critic(packed, labels)
        return self.loss.output(logit), logit

    @torch.no_grad()
    def generate(self, z: Tensor) -> Tensor:
        return self._generate(z, None, self.sampler)

    def fake_gradients(self, z: Tensor, labels: Tensor | None = None,
                       arrows: int | None = None) -> tuple[Tensor, Tensor]:
        """Fake samples G(z) (n, 2) and the gradient of each one's generator loss w.r.t.
        itself, for the first ``arrows`` of them (all by default): (k, 2).

        The loss is per sample (the batch mean times k), so arrows do not shrink with k. With
        packing each fake is packed with its m - 1 cyclic neighbours among the k; summing the
        loss over the k cyclic packs and dividing by m averages each fake's gradient over its
        m slots.
        """
        with torch.no_grad():
            fake = self._generate(z, labels, self.sampler)  # (n, 2)
        count = len(z) if arrows is None else min(arrows, len(z))
        head = fake[:count].detach().requires_grad_(True)
        packed, pack_labels = self._cyclic_packs(head, None if labels is None else labels[:count])
        loss = self.loss.generator(self._critic(packed, pack_labels)) * (count / self.pack)
        (gradient,) = torch.autograd.grad(loss, head)
        return fake, gradient

    def _cyclic_packs(self, samples: Tensor, labels: Tensor | None):
        """Pack i = samples i, i+1, ..., i+m-1 (mod n): (n, 2m), and labels (n, m) or None."""
        if self.pack == 1:
            return samples, None if labels is None else labels[:, None]
        shifts = range(self.pack)
        packed = torch.cat([samples.roll(-shift, 0) for shift in shifts], dim=1)
        if labels is None:
            return packed, None
        return packed, torch.stack([labels.roll(-shift, 0) for shift in shifts], dim=1)

    def parameters_finite(self) -> bool:
        """Whether every parameter of both players is finite (one host sync)."""
        return all_finite(self._g_params + self._d_params)
