"""The two autoencoders AVB is measured against: the VAE and the adversarial autoencoder.

**VAE** (``vae``; Kingma & Welling 2014). A Gaussian encoder q(z | x) = N(mu(x),
diag(s(x)^2)), reparameterised as z = mu(x) + s(x) * epsilon, and the Gaussian decoder of
``advplay.core.models.encoding``; one player ``"g"`` ascends the ELBO (lecture 23, "Variational
bounds")::

    ELBO(x) = E_{q(z|x)}[log p(x | z)] - KL(q(z | x) || p(z)),
    KL = 1/2 sum_j (mu_j^2 + s_j^2 - 1 - log s_j^2)          (p(z) = N(0, I), analytic)

The analytic KL needs the normal prior: a uniform ``latent_prior`` is refused. The reported
loss is the negative ELBO of the batch (one draw of epsilon per sample). The surface is the
rate KL(q(z | x) || p(z)) of each x, exact. Metrics: ``elbo`` (one fixed draw per sample of a
fixed real batch for the expectation, the KL exact), ``kl``, ``reconstruction_log_likelihood``,
``reconstruction_error``, ``decoder_std`` and the target's metrics on decoder samples.

**AAE** (``aae``; Makhzani et al. 2016). The encoder is the paper's "universal approximator
posterior", q(z | x) = E_eta[delta(z - E(x, eta))], an MLP of [x, eta] with eta ~ N(0, I) (the
last of its three choices of q(z | x); the encoder of AVB). The decoder is the Gaussian one,
and a discriminator D(z) in the latent space tells prior samples ("real") from codes ("fake")
with ``config.model.loss``. Each iteration has the paper's two phases:

1. reconstruction: E and the decoder minimise -log p(x | E(x, eta)), the squared error
   weighted by the learned decoder variance (player ``"g"``, whose loss is reported);
2. regularisation: D is updated (player ``"d"``), then E alone minimises
   ``loss.generator(D(E(x, eta)))`` so that the aggregate posterior q(z) matches p(z)
   (player ``"g"``).

Why not the deterministic E(x), the paper's first choice: on 2D mixtures of narrow modes it
squeezed each mode into a dot (Jensen-Shannon divergence ~0.5 nats between the codes and
p(z) on an 8 x 8 histogram after 3000 steps): the codes of one mode move together, so D's
gradient cannot spread them. With noise in the encoder the codes cover the prior (~0.1).
Measured on four clusters (std 0.05; width 64, depth 2, batch 128; seeds 0-5): with R1 of
gamma 0.1 on D the codes settle on N(0, I) by ~1500 steps (KL of a Gaussian fitted to them
to N(0, I) <= 0.04 nats; reconstruction error ~0.02); without a penalty one seed in six kept
cycling (fitted KL 0.2-0.9 nats through 3000 steps), the others matched as well.

The surface is D(z) averaged over the codes z of x (its logit, over four fixed eta): how
typical the codes of x look under the prior. Metrics: ``reconstruction_log_likelihood``
(there is no KL term, hence no ELBO), ``reconstruction_error``, ``decoder_std`` and the
target's metrics on decoder samples.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from advplay.core.config import Config
from advplay.core.errors import ConfigError
from advplay.core.losses import LOSSES
from advplay.core.models.base import MODELS, make_optimizer, set_hyperparameters
from advplay.core.models.encoding import (LOG_VARIANCE_LIMITS, DecoderModel, GaussianDecoder,
                                          critic_update, step_on)
from advplay.core.nets import mlp
from advplay.core.targets import Target


def gaussian_kl(mean: Tensor, log_variance: Tensor) -> Tensor:
    """KL(N(mean, diag(exp(log_variance))) || N(0, I)) per row, (n,), in closed form."""
    return 0.5 * (mean.square() + log_variance.exp() - 1 - log_variance).sum(dim=1)


@MODELS.register("vae", "variational autoencoder: Gaussian encoder, reparameterisation, "
                        "analytic KL (Kingma & Welling 2014)")
class VAE(DecoderModel):
    """Gaussian encoder q(z | x), Gaussian decoder p(x | z), trained on the ELBO.

    Parameters
    ----------
    config : the experiment; ``config.model`` sizes the MLPs; ``latent_prior`` must be normal
    device, noise, target : as every model

    Raises
    ------
    ConfigError
        For a uniform prior, against which a Gaussian posterior has no finite KL.
    """

    players = ("g",)
    networks = ("encoder", "decoder")

    def __init__(self, config: Config, device: torch.device, noise: torch.Generator,
                 target: Target | None = None):
        if config.model.latent_prior != "normal":
            raise ConfigError("model.latent_prior", config.model.latent_prior,
                              "the VAE's analytic KL needs the normal prior; choose normal, "
                              "or AVB or AAE, which work with any prior")
        super().__init__(config, device, noise, target)
        model, d = config.model, config.model.latent_dim
        self.encoder_noise_dim = d
        self.encoder = mlp(2, 2 * d, model.width, model.depth, model.activation).to(device)
        self.decoder = GaussianDecoder(d, model.width, model.depth, model.activation).to(device)
        self._params = list(self.encoder.parameters()) + list(self.decoder.parameters())
        self.opt_g = make_optimizer(self._params, config.train.lr_g, config.train)
        self.apply(config)

    def apply(self, config: Config) -> None:
        """Take the hyperparameters that may change while training."""
        self.g_steps = config.train.g_steps
        set_hyperparameters(self.opt_g, config.train.lr_g, config.train)

    def posterior(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """mu(x) and log s(x)^2, each (n, latent_dim)."""
        mean, log_variance = self.encoder(x).chunk(2, dim=1)
        return mean, log_variance.clamp(*LOG_VARIANCE_LIMITS)

    def encode(self, x: Tensor, epsilon: Tensor) -> Tensor:
        """z = mu(x) + s(x) * epsilon, (n, latent_dim): the reparameterisation."""
        mean, log_variance = self.posterior(x)
        return mean + (0.5 * log_variance).exp() * epsilon

    def kl(self, x: Tensor) -> Tensor:
        """KL(q(z | x) || N(0, I)) per sample, (n,), in closed form."""
        return gaussian_kl(*self.posterior(x))

    def elbo(self, x: Tensor, epsilon: Tensor) -> Tensor:
        """log p(x | z) - KL(q(z | x) || p(z)) per sample, (n,), for z = mu(x) + s(x) *
        epsilon (one draw of q per sample; epsilon (n, latent_dim)), the KL exact."""
        mean, log_variance = self.posterior(x)
        z = mean + (0.5 * log_variance).exp() * epsilon
        log_likelihood, _ = self.decoder.log_likelihood(x, z)
        return log_likelihood - gaussian_kl(mean, log_variance)

    def train_iteration(self, real_batch, batch_size: int, players=("g",)) -> tuple[Tensor]:
        """``g_steps`` ELBO ascents; the last negative ELBO, detached (NaN if not ``"g"``)."""
        if "g" not in players:
            return (torch.full((), math.nan, device=self.device),)
        for _ in range(self.g_steps):
            loss = self.update(real_batch(batch_size))
        return (loss,)

    def update(self, x: Tensor) -> Tensor:
        """One ascent of the ELBO of the batch x (n, 2), fresh epsilon from the training
        generator; the negative ELBO, detached. (AVB trains its VAE baseline with this.)"""
        return step_on(-self.elbo(x, self.epsilon(len(x))).mean(), self._params, self.opt_g)

    output_is_probability = False
    decision_level = None  # the rate has no level where anything is undecided

    @torch.no_grad()
    def surface(self, points: Tensor) -> tuple[Tensor, Tensor]:
        """The rate KL(q(z | x) || p(z)) at ``points`` (n, 2), as (output, logit)."""
        rate = self.kl(points)
        return rate, rate

    def kl_term(self, real: Tensor, codes: Tensor, epsilon: Tensor) -> Tensor:
        return self.kl(real)

    def code_metrics(self, real: Tensor, codes: Tensor, epsilon: Tensor) -> dict[str, Tensor]:
        metrics = super().code_metrics(real, codes, epsilon)
        metrics["kl"] = self.kl(real).mean()
        return metrics


@MODELS.register("aae", "adversarial autoencoder: reconstruction, and a latent discriminator "
                        "between codes and the prior (Makhzani et al. 2016)")
class AAE(DecoderModel):
    """Noisy encoder E(x, eta) (q(z | x) implicit), Gaussian decoder, latent discriminator D(z).

    Parameters
    ----------
    config : the experiment; ``config.model`` sizes the MLPs and picks the latent game's loss
    device, noise, target : as every model
    """

    players = ("d", "g")
    networks = ("encoder", "decoder", "discriminator")

    def __init__(self, config: Config, device: torch.device, noise: torch.Generator,
                 target: Target | None = None):
        super().__init__(config, device, noise, target)
        model, d = config.model, config.model.latent_dim
        self.encoder_noise_dim = d
        self.encoder = mlp(2 + d, d, model.width, model.depth, model.activation).to(device)
        self.decoder = GaussianDecoder(d, model.width, model.depth, model.activation).to(device)
        self.discriminator = mlp(d, 1, model.width, model.depth, model.activation).to(device)
        self._encoder_params = list(self.encoder.parameters())
        self._autoencoder_params = self._encoder_params + list(self.decoder.parameters())
        self._d_params = list(self.discriminator.parameters())
        train = config.train
        self.opt_ae = make_optimizer(self._autoencoder_params, train.lr_g, train)
        self.opt_d = make_optimizer(self._d_params, train.lr_d, train)
        self.opt_e = make_optimizer(self._encoder_params, train.lr_g, train)
        self.apply(config)

    def apply(self, config: Config) -> None:
        """Take the hyperparameters that may change while training."""
        self.loss = LOSSES[config.model.loss]
        self.r1, self.r2 = config.model.r1, config.model.r2
        self.gp_weight = config.model.gp_weight if self.loss.needs_gradient_penalty else 0.0
        self.d_steps, self.g_steps = config.train.d_steps, config.train.g_steps
        for optimizer, lr in ((self.opt_ae, config.train.lr_g), (self.opt_d, config.train.lr_d),
                              (self.opt_e, config.train.lr_g)):
            set_hyperparameters(optimizer, lr, config.train)

    def encode(self, x: Tensor, epsilon: Tensor) -> Tensor:
        """E(x, epsilon), (n, latent_dim): one draw of q(z | x) per row."""
        return self.encoder(torch.cat([x, epsilon], dim=1))

    def _critic(self, z: Tensor) -> Tensor:
        return self.discriminator(z).squeeze(1)

    def train_iteration(self, real_batch, batch_size: int, players=("d", "g")) -> tuple[Tensor, Tensor]:
        """Reconstruction phase (``"g"``), then regularisation: D (``"d"``), then E (``"g"``).

        Returns the last D loss and reconstruction loss, detached; NaN for a player left out.
        """
        loss_d = loss_g = None
        if "g" in players:
            for _ in range(self.g_steps):
                loss_g = self._reconstruction_update(real_batch(batch_size))
        if "d" in players:
            for _ in range(self.d_steps):
                loss_d = self._discriminator_update(real_batch(batch_size), batch_size)
        if "g" in players:
            for _ in range(self.g_steps):
                self._encoder_update(real_batch(batch_size))
        missing = torch.full((), math.nan, device=self.device)
        return (missing if loss_d is None else loss_d), (missing if loss_g is None else loss_g)

    def _reconstruction_update(self, x: Tensor) -> Tensor:
        log_likelihood, _ = self.decoder.log_likelihood(x, self.encode(x, self.epsilon(len(x))))
        return step_on(-log_likelihood.mean(), self._autoencoder_params, self.opt_ae)

    def _discriminator_update(self, x: Tensor, batch_size: int) -> Tensor:
        prior = self.sample_latent(batch_size)
        with torch.no_grad():
            codes = self.encode(x, self.epsilon(batch_size))
        return critic_update(self, prior, codes)  # prior samples are D's "real" side

    def _encoder_update(self, x: Tensor) -> Tensor:
        loss = self.loss.generator(self._critic(self.encode(x, self.epsilon(len(x)))))
        return step_on(loss, self._encoder_params, self.opt_e)

    @property
    def output_is_probability(self) -> bool:
        return self.loss.probability

    @property
    def decision_level(self) -> float | None:
        return self.loss.decision_level

    @torch.no_grad()
    def surface(self, points: Tensor) -> tuple[Tensor, Tensor]:
        """D's logit averaged over q(z | x) at ``points`` (n, 2), and its output."""
        logit = self.average_over_codes(points, lambda x, z: self._critic(z))
        return self.loss.output(logit), logit
