"""Adversarial variational Bayes (Mescheder, Nowozin & Geiger 2017, Algorithm 1).

A variational autoencoder whose posterior q_phi(z | x) is *implicit*: the encoder is a
network of the data and of noise, z = z_phi(x, epsilon), epsilon ~ N(0, I), so q can take any
shape but has no density. The KL term of the ELBO needs log q(z | x) - log p(z), which an
adversary T_psi(x, z) learns by the density-ratio trick (lecture 23; eq. 3.3): trained with
the logistic loss to tell pairs (x, z ~ q(z | x)) from (x, z ~ p(z)), its optimum is
T*(x, z) = log q(z | x) - log p(z). The encoder and decoder then maximise (eq. 3.7)::

    E_{p_D(x)} E_epsilon [ -T_psi(x, z_phi(x, epsilon)) + log p_theta(x | z_phi(x, epsilon)) ]

Algorithm 1 of the lecture, per iteration and minibatch (here the players alternate:
``d_steps`` updates of T, then ``g_steps`` of the encoder and decoder, on fresh batches)::

    theta-gradient (decoder):  grad_theta log p_theta(x | z_phi(x, epsilon))
    phi-gradient (encoder):    grad_phi [-T_psi(x, z_phi(x, epsilon)) + log p_theta(x | z_phi(x, epsilon))]
    psi-gradient (adversary):  grad_psi [log sigma(T(x, z_phi(x, epsilon))) + log(1 - sigma(T(x, z)))]

* Encoder: an MLP of [x, epsilon], epsilon of ``latent_dim`` standard normal coordinates.
* Decoder: p_theta(x | z) = N(g(z), diag(sigma^2)) with a learned sigma in [0.01, 1]
  (``advplay.core.models.encoding.GaussianDecoder``).
* Adversary: an MLP of [x, z]. T is held fixed in the encoder update: only the encoder's and
  decoder's weight gradients are computed there.
* Players: ``"d"`` is T (logistic loss reported), ``"g"`` the encoder and decoder (the
  negative ELBO surrogate E[T - log p(x | z)] reported). Learning rates ``lr_d``, ``lr_g``.

Frame: decoder samples as ``fake`` (see ``DecoderModel``). The surface is the rate, the KL
term of each x as T estimates it: E_epsilon T(x, z_phi(x, epsilon)), averaged over four fixed
epsilon shared by all grid points (so the surface is smooth) -- how many nats the code of x
spends. Extras as every encoder model, with 200 posterior draws for each of four chosen
samples: the paper's toy picture of one posterior per data point, each apart from the others.

Metrics: ``elbo`` = E[log p(x | z) - T(x, z)] on a fixed real batch (the lecture's estimate,
T standing in for the KL: an estimate, not a guaranteed bound -- where T falls short of
log q - log p it can overshoot log p(x)), ``kl_estimate`` = E[T(x, z)],
``reconstruction_log_likelihood``, ``reconstruction_error``, ``decoder_std``, the target's
metrics on decoder samples, and ``elbo_vae`` (below).

VAE baseline (the paper's comparison of AVB with a VAE's Gaussian encoder, in one run). With
the normal prior the model holds a ``advplay.core.models.autoencoders.VAE`` in
``self.baseline`` and trains it beside itself:

* the same MLP sizes, latent space and prior; the initial weights of a ``vae`` run with the
  same seed; its own optimiser (the configured one, at ``lr_g``, changed on the fly with it);
* one ELBO ascent on each real batch the encoder and decoder get (``g_steps`` per iteration,
  the same batches), so it moves with player ``"g"`` and only then;
* its own encoder noise, from a generator seeded from the run's seed: AVB draws exactly what
  it would without the baseline;
* ``elbo_vae``: its ELBO (the KL exact) on the same fixed real batch, with the same fixed
  standard normal draws (its reparameterisation noise, AVB's encoder noise) as ``elbo``,
  recorded at every evaluation.

Its networks, optimiser and generator are part of the model's state (``extra_state``), so
saved runs continue exactly; non-finite baseline weights stop training as AVB's own do. Cost:
one VAE update per encoder update, the least a baseline on the same batches can take -- about
half as much again per iteration on one CPU thread (width 64, depth 2, batch 128: 1.1 -> 1.7
ms); evaluations add one forward pass. With the uniform prior there is no baseline (the VAE's
analytic KL needs the normal prior) and no ``elbo_vae``.

Measured on four clusters (std 0.05; width 64, depth 2, batch 128; 2000 steps; seeds 0-5),
T at three times the encoder's learning rate (``lr_d`` = 3e-3; the authors' toy example ran
T five times faster, twice per step): ``elbo`` 0.8 to 1.2 nats against ``elbo_vae`` -0.24 to 0.0
(exact E_p[log p(x)]: 1.76), and the models' own log-likelihoods (by quadrature over z) 1.0-1.3
against 0.8-0.9 -- AVB's implicit posteriors fit better, as in the paper. With ``lr_d`` =
``lr_g`` (the defaults) T lags and the encoder learns to exploit it: ``elbo`` still reads 0.3
to 0.7, above the VAE's, but the model's log-likelihood is -2.8 to 0.0, below the VAE's (seeds
0-3) -- the estimate overshoots. On a single Gaussian (narrow posteriors of 2-4 nats whose
peak moves continuously with x) ``elbo`` swings by about a nat between evaluations and the
model stays 0.1-1.8 nats under the VAE, the more so the slower T; the paper's adaptive
contrast (T compares q(z | x) with a Gaussian of q's own moments instead of p(z)) is the
remedy, and is not implemented here.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.nn import functional as F

from advplay.core.config import Config
from advplay.core.models.autoencoders import VAE
from advplay.core.models.base import (MODELS, load_model_state, make_optimizer, model_state,
                                      set_hyperparameters)
from advplay.core.models.encoding import DecoderModel, GaussianDecoder, step_on
from advplay.core.nets import mlp
from advplay.core.targets import Target


@MODELS.register("avb", "adversarial variational Bayes: implicit posterior z(x, noise), "
                        "adversary T(x, z) for the KL term (Mescheder et al. 2017)")
class AVB(DecoderModel):
    """Encoder z_phi(x, epsilon), Gaussian decoder p_theta(x | z), adversary T_psi(x, z).

    Parameters
    ----------
    config : the experiment; ``config.model`` sizes the three MLPs and the latent space
    device : where the networks live
    noise : the torch generator every training draw comes from (determinism)
    target : the distribution to learn
    """

    players = ("d", "g")
    networks = ("encoder", "decoder", "adversary")

    def __init__(self, config: Config, device: torch.device, noise: torch.Generator,
                 target: Target | None = None):
        super().__init__(config, device, noise, target)
        model, d = config.model, config.model.latent_dim
        self.encoder_noise_dim = d
        self.encoder = mlp(2 + d, d, model.width, model.depth, model.activation).to(device)
        self.decoder = GaussianDecoder(d, model.width, model.depth, model.activation).to(device)
        self.adversary = mlp(2 + d, 1, model.width, model.depth, model.activation).to(device)
        self._d_params = list(self.adversary.parameters())
        self._g_params = list(self.encoder.parameters()) + list(self.decoder.parameters())
        self.opt_d = make_optimizer(self._d_params, config.train.lr_d, config.train)
        self.opt_g = make_optimizer(self._g_params, config.train.lr_g, config.train)
        self.baseline: VAE | None = None
        if self.latent_prior == "normal":
            self._baseline_noise = torch.Generator(device=device).manual_seed(
                self.fixed.seed_for("vae-baseline"))
            with torch.random.fork_rng(devices=[]):  # the weights of a vae run with this seed
                torch.manual_seed(config.train.seed)
                self.baseline = VAE(config, device, self._baseline_noise, target)
        self.apply(config)

    def apply(self, config: Config) -> None:
        """Take the hyperparameters that may change while training."""
        self.d_steps, self.g_steps = config.train.d_steps, config.train.g_steps
        set_hyperparameters(self.opt_d, config.train.lr_d, config.train)
        set_hyperparameters(self.opt_g, config.train.lr_g, config.train)
        if self.baseline is not None:
            self.baseline.apply(config)

    def set_target(self, target: Target) -> None:
        super().set_target(target)
        if self.baseline is not None:
            self.baseline.set_target(target)

    # ----------------------------------------------------------------- the VAE baseline

    def parameters_finite(self) -> bool:
        """Whether every weight, the baseline's included, is finite."""
        return super().parameters_finite() and (self.baseline is None
                                                or self.baseline.parameters_finite())

    def extra_state(self) -> dict:
        """The baseline's networks, optimiser and noise generator (empty without one)."""
        if self.baseline is None:
            return {}
        return {"baseline": model_state(self.baseline),
                "baseline_noise": self._baseline_noise.get_state()}

    def load_extra_state(self, state: dict) -> None:
        """Restore :meth:`extra_state`; KeyError when a baseline is expected but not saved."""
        if self.baseline is None:
            if state:
                raise KeyError("this AVB has no VAE baseline (uniform prior), the state has one")
            return
        load_model_state(self.baseline, state["baseline"])
        self._baseline_noise.set_state(state["baseline_noise"])

    # ----------------------------------------------------------------- networks

    def encode(self, x: Tensor, epsilon: Tensor) -> Tensor:
        """z_phi(x, epsilon), (n, latent_dim): one draw of the implicit posterior per row."""
        return self.encoder(torch.cat([x, epsilon], dim=1))

    def log_ratio(self, x: Tensor, z: Tensor) -> Tensor:
        """T_psi(x, z), (n,): at the optimum log q(z | x) - log p(z)."""
        return self.adversary(torch.cat([x, z], dim=1)).squeeze(1)

    # ----------------------------------------------------------------- training

    def train_iteration(self, real_batch, batch_size: int, players=("d", "g")) -> tuple[Tensor, Tensor]:
        """``d_steps`` updates of T, then ``g_steps`` of encoder and decoder; the (d, g)
        losses, detached, NaN for a player left out of ``players`` (no host sync)."""
        loss_d = loss_g = None
        if "d" in players:
            for _ in range(self.d_steps):
                loss_d = self._adversary_update(real_batch(batch_size), batch_size)
        if "g" in players:
            for _ in range(self.g_steps):
                loss_g = self._autoencoder_update(real_batch(batch_size), batch_size)
        missing = torch.full((), math.nan, device=self.device)
        return (missing if loss_d is None else loss_d), (missing if loss_g is None else loss_g)

    def _adversary_update(self, x: Tensor, batch_size: int) -> Tensor:
        """Algorithm 1, line 8: the logistic loss of T between (x, z_q) and (x, z_p)."""
        with torch.no_grad():
            posterior = self.encode(x, self.epsilon(batch_size))
        prior = self.sample_latent(batch_size)
        logits = self.log_ratio(torch.cat([x, x]), torch.cat([posterior, prior]))  # (2B,)
        loss = F.softplus(-logits[:batch_size]).mean() + F.softplus(logits[batch_size:]).mean()
        return step_on(loss, self._d_params, self.opt_d)

    def _autoencoder_update(self, x: Tensor, batch_size: int) -> Tensor:
        """Algorithm 1, lines 6-7: ascend E[-T(x, z) + log p(x | z)] in theta and phi."""
        z = self.encode(x, self.epsilon(batch_size))
        log_likelihood, _ = self.decoder.log_likelihood(x, z)
        loss = (self.log_ratio(x, z) - log_likelihood).mean()  # the negative ELBO surrogate
        loss = step_on(loss, self._g_params, self.opt_g)
        if self.baseline is not None:
            self.baseline.update(x)  # the same batch, the baseline's own noise and optimiser
        return loss

    # ----------------------------------------------------------------- views and metrics

    output_is_probability = False
    decision_level = None  # the rate has no level where anything is undecided

    @torch.no_grad()
    def surface(self, points: Tensor) -> tuple[Tensor, Tensor]:
        """The rate E_epsilon T(x, z(x, epsilon)) at ``points`` (n, 2), as (output, logit)."""
        rate = self.average_over_codes(points, self.log_ratio)
        return rate, rate

    def kl_term(self, real: Tensor, codes: Tensor, epsilon: Tensor) -> Tensor:
        """T(x, z) per sample: the adversary's estimate of log q(z | x) - log p(z)."""
        return self.log_ratio(real, codes)

    def code_metrics(self, real: Tensor, codes: Tensor, epsilon: Tensor) -> dict[str, Tensor]:
        metrics = super().code_metrics(real, codes, epsilon)
        metrics["kl_estimate"] = self.kl_term(real, codes, epsilon).mean()
        if self.baseline is not None:
            metrics["elbo_vae"] = self.baseline.elbo(real, epsilon).mean()
        return metrics
