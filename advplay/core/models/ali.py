"""Adversarially learned inference / bidirectional GAN (Dumoulin et al. 2017; Donahue et al. 2017).

An encoder E: x -> z, a generator G: z -> x and a discriminator D on (x, z) pairs play the
lecture's game (ENM53 lecture 23, "Adversarially learned inference")::

    min_{G,E} max_D  E_{p(x)}[log D(x, E(x))] + E_{p(z)}[log(1 - D(G(z), z))]

D tells encoder pairs (x, E(x)) from generator pairs (G(z), z); at the optimum the two joint
distributions agree, so E and G invert each other (Donahue et al. 2017).

* The encoder is Gaussian, as in ALI (Dumoulin et al. 2017): an MLP gives mu(x) and
  log s(x)^2 and z = mu(x) + s(x) * epsilon (reparameterised, so gradients reach E through
  D). On small mixtures BiGAN's deterministic E(x) squeezed each mode into a dot far from
  covering p(z) -- the z-marginals never matched -- while the Gaussian codes spread over the
  prior as the game demands; its reconstructions are stochastic, sometimes in a neighbouring
  mode (ALI's reconstructions are known not to be always faithful; Dumoulin et al.).
* The adversarial part uses ``config.model.loss`` (``advplay.core.losses``). D minimises
  ``loss.discriminator(D(x, E(x)), D(G(z), z))`` (encoder pairs are D's "real" side). G and
  E minimise ``loss.generator(D(G(z), z)) + loss.generator(2c - D(x, E(x)))``: the generator
  side as in a GAN, and the encoder side mirrored about the logit c where D cannot tell the
  two apart (0 for the cross-entropy losses, whose level D = 1/2 is logit 0; the decision
  level otherwise; 0 for the critic). Every registered D loss is symmetric under
  ``(real, fake) -> (2c - fake, 2c - real)``, so the mirror is exactly the generator's loss
  for the role swapped: minimax gives the lecture's objective, non-saturating (the default)
  BiGAN's "inverted labels" trick, least squares the target 0 for encoder pairs.
* R1/R2 and WGAN-GP act on D's (x, z) input, as a GAN's act on x.
* G and D follow the GAN's architecture options (``generator_norm``, ``discriminator``,
  maxout as in the PacGAN/ALI 2D experiments; ``advplay.core.nets``); E is always an MLP.
* Players: ``"d"`` updates D (``d_steps`` times), ``"g"`` updates G and E together
  (``g_steps`` times), on fresh real and prior batches.

Frame. D lives on pairs, so no data-space surface D(x) exists; the surface shows D(x, E(x)),
how real the encoder's own pair for x looks: 1/2 (the decision level) where E and G agree.
``fake`` are G(z) of the view's fixed prior batch; the arrow on G(z) is minus the gradient
of the generator's loss in x with z held fixed; the manifold is G of the latent grid. Extras
as every encoder model (``advplay.core.models.encoding``): codes E(x) of the real samples
(one draw each), their labels, the prior batch, reconstructions G(E(x)), and 200 draws of
q(z | x) for four chosen samples. The surface averages D over four fixed draws of epsilon.

Metrics: the GAN's target metrics on 2500 G(z) of a fixed latent batch, and
``reconstruction_error`` = mean ||x - G(E(x))||^2 on a fixed real batch (one fixed draw of
epsilon per sample). Measured on 4 Gaussians (std 0.05, radius 1): all modes from ~1500
steps; the pairing of E and G keeps drifting, so the error swings between ~0.05 and ~0.5
from evaluation to evaluation (untrained: ~1.1).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from advplay.core.config import Config
from advplay.core.losses import LOSSES
from advplay.core.models.base import MODELS, make_optimizer, set_hyperparameters
from advplay.core.models.encoding import (LOG_VARIANCE_LIMITS, EncoderModel,
                                          critic_update, step_on)
from advplay.core.nets import (discriminator_network, generator_network, mlp,
                                rest_in_evaluation, training_mode)
from advplay.core.snapshot import frozen_array
from advplay.core.targets import Target
from advplay.core.views import ARROW_SAMPLES


def mirror_level(loss) -> float:
    """The logit c about which D's loss is symmetric between its real and fake sides."""
    return 0.0 if loss.probability or loss.decision_level is None else loss.decision_level


@MODELS.register("ali", "ALI / BiGAN: encoder E, generator G, discriminator on (x, z) pairs "
                        "(Dumoulin et al. 2017; Donahue et al. 2017)")
class ALI(EncoderModel):
    """Gaussian encoder q(z | x), generator G: z -> x and discriminator D: (x, z) -> logit.

    Parameters
    ----------
    config : the experiment; ``config.model`` sizes the three MLPs and picks the loss
    device : where the networks live
    noise : the torch generator every training draw comes from (determinism)
    target : the distribution to learn
    """

    players = ("d", "g")
    networks = ("encoder", "generator", "discriminator")

    def __init__(self, config: Config, device: torch.device, noise: torch.Generator,
                 target: Target | None = None):
        super().__init__(config, device, noise, target)
        model, d = config.model, config.model.latent_dim
        self.encoder_noise_dim = d
        self.encoder = mlp(2, 2 * d, model.width, model.depth, model.activation).to(device)
        self.generator = generator_network(model, d).to(device)
        self.discriminator = discriminator_network(model, 2 + d).to(device)
        self._mode_switched = rest_in_evaluation(self.generator, self.discriminator)
        self._d_params = list(self.discriminator.parameters())
        self._g_params = list(self.generator.parameters()) + list(self.encoder.parameters())
        self.opt_d = make_optimizer(self._d_params, config.train.lr_d, config.train)
        self.opt_g = make_optimizer(self._g_params, config.train.lr_g, config.train)
        self.apply(config)

    def apply(self, config: Config) -> None:
        """Take the hyperparameters that may change while training."""
        self.loss = LOSSES[config.model.loss]
        self.mirror = 2.0 * mirror_level(self.loss)
        self.r1, self.r2 = config.model.r1, config.model.r2
        self.gp_weight = config.model.gp_weight if self.loss.needs_gradient_penalty else 0.0
        self.d_steps, self.g_steps = config.train.d_steps, config.train.g_steps
        set_hyperparameters(self.opt_d, config.train.lr_d, config.train)
        set_hyperparameters(self.opt_g, config.train.lr_g, config.train)

    # ----------------------------------------------------------------- the three networks

    def encode(self, x: Tensor, epsilon: Tensor) -> Tensor:
        """z = mu(x) + s(x) * epsilon, (n, latent_dim): one draw of q(z | x) per row."""
        mean, log_variance = self.encoder(x).chunk(2, dim=1)
        return mean + (0.5 * log_variance.clamp(*LOG_VARIANCE_LIMITS)).exp() * epsilon

    def decode(self, z: Tensor) -> Tensor:
        """G(z), (n, 2)."""
        return self.generator(z)

    @torch.no_grad()
    def generate(self, z: Tensor) -> Tensor:
        return self.generator(z)

    def _critic(self, pairs: Tensor) -> Tensor:
        """D's logits (n,) for pairs (n, 2 + latent_dim) = [x, z]."""
        return self.discriminator(pairs).squeeze(1)

    # ----------------------------------------------------------------- training

    def train_iteration(self, real_batch, batch_size: int, players=("d", "g")) -> tuple[Tensor, Tensor]:
        """``d_steps`` updates of D, then ``g_steps`` of G and E; (d, g) losses, detached,
        NaN for a player left out of ``players`` (no host sync)."""
        loss_d = loss_g = None
        with training_mode(self._mode_switched):
            if "d" in players:
                for _ in range(self.d_steps):
                    loss_d = self._discriminator_update(real_batch(batch_size), batch_size)
            if "g" in players:
                for _ in range(self.g_steps):
                    loss_g = self._generator_update(real_batch(batch_size), batch_size)
        missing = torch.full((), math.nan, device=self.device)
        return (missing if loss_d is None else loss_d), (missing if loss_g is None else loss_g)

    def _pairs(self, real: Tensor, batch_size: int) -> tuple[Tensor, Tensor]:
        """Encoder pairs [x, E(x)] and generator pairs [G(z), z], each (B, 2 + latent_dim)."""
        z = self.sample_latent(batch_size)
        encoded = torch.cat([real, self.encode(real, self.epsilon(len(real)))], dim=1)
        generated = torch.cat([self.generator(z), z], dim=1)
        return encoded, generated

    def _discriminator_update(self, real: Tensor, batch_size: int) -> Tensor:
        with torch.no_grad():  # E and G do not move here: keep no graph for them
            encoded, generated = self._pairs(real, batch_size)
        return critic_update(self, encoded, generated)

    def _generator_update(self, real: Tensor, batch_size: int) -> Tensor:
        encoded, generated = self._pairs(real, batch_size)
        logits = self._critic(torch.cat([encoded, generated]))
        loss = self.generator_objective(logits[:batch_size], logits[batch_size:])
        return step_on(loss, self._g_params, self.opt_g)

    def generator_objective(self, encoded: Tensor, generated: Tensor) -> Tensor:
        """G and E's loss from D's logits on encoder pairs (B,) and generator pairs (B,): the
        generator's loss on its pairs plus its mirror on the encoder's (see the module)."""
        return self.loss.generator(generated) + self.loss.generator(self.mirror - encoded)

    # ----------------------------------------------------------------- views

    @property
    def output_is_probability(self) -> bool:
        return self.loss.probability

    @property
    def decision_level(self) -> float | None:
        return self.loss.decision_level

    def _frame_core(self, geometry) -> dict:
        """D(x, E(x)) on the grid, G(z) with their arrows, and G of the latent grid."""
        output, logit = self.pair_surface(geometry.grid)
        fake, gradients = self.fake_gradients(geometry.latent, arrows=ARROW_SAMPLES)
        manifold = self.generate(geometry.manifold_latent).reshape(*geometry.manifold_shape, 2)
        return {
            "discriminator_output": geometry.surface(output),
            "discriminator_logit": geometry.surface(logit),
            "fake": frozen_array(fake.cpu().numpy()),
            "fake_gradients": frozen_array(gradients.cpu().numpy()),
            "manifold": frozen_array(manifold.cpu().numpy()),
        }

    @torch.no_grad()
    def pair_surface(self, points: Tensor) -> tuple[Tensor, Tensor]:
        """(output, logit) of D(x, E(x)) at ``points`` (n, 2), each (n,); the logit is
        averaged over the codes of x."""
        logit = self.average_over_codes(points, lambda x, z: self._critic(torch.cat([x, z], 1)))
        return self.loss.output(logit), logit

    def fake_gradients(self, z: Tensor, arrows: int | None = None) -> tuple[Tensor, Tensor]:
        """G(z) (n, 2) and the gradient of each sample's generator loss in x, z held fixed,
        for the first ``arrows`` samples (all by default): (k, 2).

        The loss is per sample (the batch mean times k), so arrows do not shrink with k.
        """
        with torch.no_grad():
            fake = self.generator(z)
        count = len(z) if arrows is None else min(arrows, len(z))
        head = fake[:count].detach().requires_grad_(True)
        loss = self.loss.generator(self._critic(torch.cat([head, z[:count]], dim=1))) * count
        (gradient,) = torch.autograd.grad(loss, head)
        return fake, gradient
