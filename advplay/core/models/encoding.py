"""What the models with an encoder share (ALI, AVB, VAE, AAE).

* the latent prior p(z) (``model.latent_prior``: standard normal or uniform on [-1, 1]^d);
* :class:`FixedNoise`, the seeded draws behind every view and metric, so consecutive frames
  differ only because the networks moved;
* :class:`GaussianDecoder`, p(x | z) = N(g(z), diag(sigma^2)) with a learned sigma;
* :class:`EncoderModel`, the frame fields and metrics of a latent-variable model, in terms of
  three methods each model implements: ``encode(x, epsilon)``, ``decode(z)`` and
  ``encoder_noise_dim``.

Frame extras of every such model (read by ``advplay.app.latent_view``)::

    latent_real        (N, 2)    codes z ~ q(z | x) of the view's real samples (first two
                                 latent dimensions; a 1D latent space gets a zero column)
    latent_labels      (N,)      their classes; only for a labelled target
    latent_prior       (N, 2)    the view's fixed prior batch (the z behind ``fake``)
    reconstructions    (N, 2)    g(z) for the codes in ``latent_real``: x -> z -> x
    posterior_inputs   (K, 2)    K = 4 chosen real samples (see :func:`chosen_inputs`)
    posterior_samples  (K, S, 2) S draws of q(z | x) for each chosen x (S = 1 when the
                                 encoder is deterministic: its posterior is a point mass)

Metrics of every such model: the target's metrics (modes captured, ...) on generated samples
of a fixed latent batch, and ``reconstruction_error`` E||x - g(z)||^2, z ~ q(z | x), on a
fixed batch of real samples (one fixed draw of the encoder's noise per sample).
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import torch
from torch import Tensor, nn

from advplay.core.losses import wasserstein_gradient_penalty
from advplay.core.metrics import MODE_METRIC_SAMPLES, target_metrics
from advplay.core.nets import all_finite, mlp
from advplay.core.snapshot import frozen_array
from advplay.core.targets import Target

#: real samples whose posterior the latent view shows, and draws of q(z | x) for each
POSTERIOR_INPUTS = 4
POSTERIOR_SAMPLES = 200
#: real samples of the fixed batch behind the reconstruction and ELBO metrics
EVALUATION_SAMPLES = 2000
#: the decoder's standard deviation starts here and stays within these limits: the floor
#: keeps log p(x | z) bounded when the codes pin x down exactly (2D data, 2D codes)
DECODER_STD_INITIAL, DECODER_STD_MIN, DECODER_STD_MAX = 0.1, 0.01, 1.0
LOG_TWO_PI = math.log(2 * math.pi)
#: log s^2 of Gaussian encoders (ALI, VAE) is kept in this range (s from about 0.002 to 20)
LOG_VARIANCE_LIMITS = (-12.0, 6.0)
#: fixed encoder-noise draws averaged by surfaces of q(z | x) (each is one pass over the grid)
SURFACE_DRAWS = 4


def sample_prior(prior: str, n: int, dim: int, noise: torch.Generator,
                 device: torch.device) -> Tensor:
    """n draws (n, dim) of p(z): ``"uniform"`` on [-1, 1]^dim, else standard normal."""
    if prior == "uniform":
        return torch.rand((n, dim), generator=noise, device=device).mul_(2).sub_(1)
    return torch.randn((n, dim), generator=noise, device=device)


def plane(codes: Tensor) -> np.ndarray:
    """The first two columns of ``codes`` (n, d) as a read-only (n, 2) array; d = 1 gets a
    zero second column, so every latent view is a plane."""
    if codes.shape[1] == 1:
        codes = torch.cat([codes, torch.zeros_like(codes)], dim=1)
    return frozen_array(codes[:, :2].cpu().numpy())


def chosen_inputs(real_labels: np.ndarray | None, k: int = POSTERIOR_INPUTS) -> np.ndarray:
    """Indices (k,) of the real samples whose posteriors are shown.

    The first sample of each of the first k classes (in class order), as in the AVB paper's
    toy example of one posterior per data point (Mescheder et al. 2017); with fewer
    classes, or none, the earliest samples not yet chosen fill the rest.
    """
    chosen: list[int] = []
    if real_labels is not None:
        classes, first = np.unique(np.asarray(real_labels), return_index=True)
        chosen = [int(i) for i in first[np.argsort(classes)][:k]]
    rest = [i for i in range(k + len(chosen)) if i not in chosen]
    return np.array(chosen + rest[:k - len(chosen)], dtype=np.int64)


class FixedNoise:
    """Standard normal draws fixed per purpose and shape, seeded from the run's seed.

    ``normal("view-real", (1000, 2))`` returns the same tensor every call: frames and metrics
    use these, never the training generator, so rendering (in another thread, on the view
    copy that shares this object) cannot change the training noise. Stable across processes:
    the purpose is hashed with CRC-32, not Python's salted ``hash``.
    """

    def __init__(self, seed: int, device: torch.device):
        self.seed, self.device = int(seed), device
        self._cache: dict[tuple, Tensor] = {}

    def seed_for(self, purpose: str) -> int:
        """A seed (63 bits) derived from (run seed, purpose)."""
        state = np.random.SeedSequence([self.seed, zlib.crc32(purpose.encode())])
        return int(state.generate_state(1, np.uint64)[0] >> 1)

    def generator(self, purpose: str) -> torch.Generator:
        """A fresh CPU generator seeded from (run seed, purpose)."""
        return torch.Generator().manual_seed(self.seed_for(purpose))

    def normal(self, purpose: str, shape: tuple[int, ...]) -> Tensor:
        key = (purpose, tuple(shape))
        if key not in self._cache:
            draw = torch.randn(shape, generator=self.generator(purpose))
            self._cache[key] = draw.to(self.device)
        return self._cache[key]


def adversarial_penalty(critic, real: Tensor, fake: Tensor, logits: Tensor | None,
                        inputs: Tensor | None, r1: float, r2: float, gp_weight: float,
                        noise: torch.Generator) -> Tensor | float:
    """R1/R2 (Mescheder et al. 2018) and WGAN-GP (Gulrajani et al. 2017) penalties of a critic.

    ``inputs`` (2B, k) are real rows then fake rows, made with ``requires_grad`` and passed
    through the critic to give ``logits`` (2B,), when R1 or R2 is on (else None); ``real``
    and ``fake`` (B, k) are interpolated for the gradient penalty.
    """
    penalty: Tensor | float = 0.0
    if inputs is not None:
        (gradient,) = torch.autograd.grad(logits.sum(), inputs, create_graph=True)
        squared_norm = gradient.square().sum(dim=1)  # (2B,)
        half = len(real)
        penalty = 0.5 * r1 * squared_norm[:half].mean() + 0.5 * r2 * squared_norm[half:].mean()
    if gp_weight > 0:
        mix = torch.rand((len(real), 1), generator=noise, device=real.device)
        penalty = penalty + gp_weight * wasserstein_gradient_penalty(critic, real, fake, mix)
    return penalty


def critic_update(model, real: Tensor, fake: Tensor) -> Tensor:
    """One step of ``model._critic`` telling ``real`` rows from ``fake`` rows with
    ``model.loss``, R1/R2 and WGAN-GP as the model's settings say; the detached loss.

    ``model`` has ``_critic``, ``_d_params``, ``opt_d``, ``loss``, ``r1``, ``r2``,
    ``gp_weight`` and ``noise`` (ALI on (x, z) pairs, the AAE on codes)."""
    inputs = torch.cat([real, fake])  # (2B, k): one pass for both sides
    penalised = model.r1 > 0 or model.r2 > 0
    if penalised:
        inputs.requires_grad_(True)
    logits = model._critic(inputs)
    loss = model.loss.discriminator(logits[:len(real)], logits[len(real):])
    penalty = adversarial_penalty(model._critic, real, fake, logits,
                                  inputs if penalised else None, model.r1, model.r2,
                                  model.gp_weight, model.noise)
    step_on(loss + penalty, model._d_params, model.opt_d)
    return loss.detach()


def step_on(loss: Tensor, parameters: list, optimizer: torch.optim.Optimizer) -> Tensor:
    """One optimiser step on ``loss`` for ``parameters`` only (no other weight gradients are
    computed: the adversary of an encoder update is held fixed, as eq. 3.7 of AVB asks)."""
    gradients = torch.autograd.grad(loss, parameters)
    for parameter, gradient in zip(parameters, gradients):
        parameter.grad = gradient
    optimizer.step()
    return loss.detach()


class GaussianDecoder(nn.Module):
    """p(x | z) = N(g(z), diag(sigma^2)): an MLP mean and a learned sigma per coordinate.

    sigma is kept in [:data:`DECODER_STD_MIN`, :data:`DECODER_STD_MAX`].
    """

    def __init__(self, latent_dim: int, width: int, depth: int, activation: str):
        super().__init__()
        self.mean = mlp(latent_dim, 2, width, depth, activation)
        self.log_std = nn.Parameter(torch.full((2,), math.log(DECODER_STD_INITIAL)))

    def forward(self, z: Tensor) -> Tensor:
        """The mean g(z), (n, 2)."""
        return self.mean(z)

    def std(self) -> Tensor:
        """sigma, (2,)."""
        return self.log_std.clamp(math.log(DECODER_STD_MIN), math.log(DECODER_STD_MAX)).exp()

    def log_likelihood(self, x: Tensor, z: Tensor) -> tuple[Tensor, Tensor]:
        """(log p(x | z) per sample (n,), the mean g(z) (n, 2))."""
        mean = self.mean(z)
        log_std = self.std().log()
        standardised = (x - mean) / log_std.exp()
        log_p = -0.5 * standardised.square().sum(dim=1) - log_std.sum() - LOG_TWO_PI
        return log_p, mean


class EncoderModel:
    """The shared half of a latent-variable model: prior, fixed noise, frames and metrics.

    Subclasses build their networks, list them in ``networks``, and implement
    ``encode(x, epsilon)`` (epsilon: (n, ``encoder_noise_dim``) standard normal draws),
    ``decode(z)`` (the decoder's or generator's mean) and ``_frame_core(geometry)`` (the
    data-view fields: surface, fakes, arrows, manifold).
    """

    #: width of the encoder's noise input epsilon (0: a deterministic encoder)
    encoder_noise_dim = 0

    def __init__(self, config, device: torch.device, noise: torch.Generator,
                 target: Target | None = None):
        model = config.model
        self.device, self.noise, self.target = device, noise, target
        self.latent_dim, self.latent_prior = model.latent_dim, model.latent_prior
        self.fixed = FixedNoise(config.train.seed, device)
        self._real_cache: dict = {}  # shared with the view copy: the fixed real batch

    def set_target(self, target: Target) -> None:
        """Train toward an edited drawing from now on."""
        self.target = target

    # ----------------------------------------------------------------- the prior

    def sample_latent(self, n: int, noise: torch.Generator | None = None) -> Tensor:
        """n draws (n, latent_dim) of p(z)."""
        noise = self.noise if noise is None else noise
        return sample_prior(self.latent_prior, n, self.latent_dim, noise, self.device)

    def latent_extent(self) -> float:
        """Half-width of the latent region shown by the manifold view."""
        return 1.0 if self.latent_prior == "uniform" else 2.5

    def epsilon(self, n: int) -> Tensor:
        """Fresh encoder noise (n, encoder_noise_dim) from the training generator."""
        return torch.randn((n, self.encoder_noise_dim), generator=self.noise, device=self.device)

    def parameters_finite(self) -> bool:
        """Whether every parameter of every network is finite (one host sync)."""
        return all_finite(p for name in self.networks for p in getattr(self, name).parameters())

    # ----------------------------------------------------------------- frames

    def average_over_codes(self, points: Tensor, function) -> Tensor:
        """E_epsilon function(x, z(x, epsilon)) at ``points`` (n, 2), (n,): the mean over
        :data:`SURFACE_DRAWS` fixed draws of epsilon, each shared by all points, so that a
        surface made of it is smooth in x."""
        draws = self.fixed.normal("surface", (SURFACE_DRAWS, self.encoder_noise_dim))
        total = torch.zeros(len(points), device=self.device)
        for epsilon in draws:
            total += function(points, self.encode(points, epsilon.expand(len(points), -1)))
        return total / SURFACE_DRAWS


    def frame(self, geometry) -> dict:
        """The data-view fields of the model plus the latent extras (see the module)."""
        fields = self._frame_core(geometry)
        fields["extras"] = {**fields.get("extras", {}), **self.latent_extras(geometry)}
        return fields

    @torch.no_grad()
    def latent_extras(self, geometry) -> dict[str, np.ndarray]:
        """``latent_real``, ``latent_labels``, ``latent_prior``, ``reconstructions``,
        ``posterior_inputs`` and ``posterior_samples`` (see the module)."""
        real = torch.from_numpy(np.array(geometry.real, dtype=np.float32)).to(self.device)
        codes = self.encode(real, self.fixed.normal("view-real", (len(real),
                                                                  self.encoder_noise_dim)))
        extras = {"latent_real": plane(codes), "latent_prior": plane(geometry.latent),
                  "reconstructions": frozen_array(self.decode(codes).cpu().numpy())}
        if geometry.real_labels is not None:
            extras["latent_labels"] = frozen_array(geometry.real_labels, np.int64)
        chosen = real[torch.as_tensor(chosen_inputs(geometry.real_labels), device=self.device)]
        draws = POSTERIOR_SAMPLES if self.encoder_noise_dim else 1
        repeated = chosen.repeat_interleave(draws, dim=0)  # (K*S, 2)
        posterior = self.encode(repeated, self.fixed.normal(
            "view-posterior", (len(repeated), self.encoder_noise_dim)))
        extras["posterior_inputs"] = frozen_array(chosen.cpu().numpy())
        extras["posterior_samples"] = frozen_array(plane(posterior).reshape(len(chosen), draws, 2))
        return extras

    # ----------------------------------------------------------------- metrics

    def fixed_real(self, target: Target, seed: int) -> Tensor:
        """:data:`EVALUATION_SAMPLES` real samples (n, 2), the same at every evaluation."""
        cached = self._real_cache.get("real")
        if cached is None or cached[0] is not target or cached[1] != seed:
            points = target.sample(EVALUATION_SAMPLES, np.random.default_rng([seed, 5]))[0]
            tensor = torch.as_tensor(points, dtype=torch.float32).to(self.device)
            cached = self._real_cache["real"] = (target, seed, tensor)
        return cached[2]

    @torch.no_grad()
    def evaluate(self, target: Target, grid_reference, seed: int) -> dict[str, float]:
        """The target's metrics on generated samples of a fixed latent batch, and the
        metrics of :meth:`code_metrics` on a fixed real batch."""
        latent = sample_prior(self.latent_prior, MODE_METRIC_SAMPLES, self.latent_dim,
                              self.fixed.generator("metric-latent"), torch.device("cpu"))
        samples = self.generate(latent.to(self.device)).cpu().numpy()
        metrics = target_metrics(samples, target, grid_reference)
        real = self.fixed_real(target, seed)
        epsilon = self.fixed.normal("metrics", (len(real), self.encoder_noise_dim))
        codes = self.encode(real, epsilon)
        metrics.update({name: float(value) for name, value
                        in self.code_metrics(real, codes, epsilon).items()})
        return metrics

    def code_metrics(self, real: Tensor, codes: Tensor, epsilon: Tensor) -> dict[str, Tensor]:
        """``reconstruction_error`` E||x - g(z)||^2 for real samples (n, 2) and their codes."""
        return {"reconstruction_error": (real - self.decode(codes)).square().sum(dim=1).mean()}


class DecoderModel(EncoderModel):
    """An encoder model whose generator is a :class:`GaussianDecoder` in ``self.decoder``
    (AVB, VAE, AAE): samples are draws of p(x | z), z ~ p(z).

    Frame: ``fake`` are decoder samples g(z) + sigma * eta for the view's fixed prior batch
    and a fixed eta; there is no data-space adversary, so ``fake_gradients`` are zeros; the
    manifold is g of the latent grid; the surface is the subclass's :meth:`surface`.
    Metrics add ``reconstruction_log_likelihood`` E_q[log p(x | z)] and ``decoder_std``
    (the mean of sigma) to the reconstruction error; a subclass with a KL term returns it
    from :meth:`kl_term` and gets ``elbo`` = E_q[log p(x | z)] - KL as well.
    """

    def decode(self, z: Tensor) -> Tensor:
        """The decoder's mean g(z), (n, 2)."""
        return self.decoder(z)

    @torch.no_grad()
    def generate(self, z: Tensor) -> Tensor:
        """Samples x ~ p(x | z), (n, 2): the i-th of n gets the i-th of n fixed draws eta,
        so the same z always gives the same x (views, metrics and samples.npy agree)."""
        eta = self.fixed.normal("observation", (len(z), 2))
        return self.decoder(z) + self.decoder.std() * eta

    @torch.no_grad()
    def _frame_core(self, geometry) -> dict:
        output, logit = self.surface(geometry.grid)
        fake = self.generate(geometry.latent).cpu().numpy()
        manifold = self.decoder(geometry.manifold_latent).reshape(*geometry.manifold_shape, 2)
        return {
            "discriminator_output": geometry.surface(output),
            "discriminator_logit": geometry.surface(logit),
            "fake": frozen_array(fake),
            "fake_gradients": frozen_array(np.zeros_like(fake)),
            "manifold": frozen_array(manifold.cpu().numpy()),
        }

    def kl_term(self, real: Tensor, codes: Tensor, epsilon: Tensor) -> Tensor | None:
        """Per-sample KL(q(z | x) || p(z)) (or its estimate), (n,), or None without one."""
        return None

    def code_metrics(self, real: Tensor, codes: Tensor, epsilon: Tensor) -> dict[str, Tensor]:
        log_likelihood, mean = self.decoder.log_likelihood(real, codes)
        metrics = {"reconstruction_error": (real - mean).square().sum(dim=1).mean(),
                   "reconstruction_log_likelihood": log_likelihood.mean(),
                   "decoder_std": self.decoder.std().mean()}
        kl = self.kl_term(real, codes, epsilon)
        if kl is not None:
            metrics["elbo"] = (log_likelihood - kl).mean()
        return metrics
