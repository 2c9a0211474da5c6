"""GAN losses as pure functions of discriminator outputs, and gradient penalties.

Each loss is registered by name with two functions of raw discriminator outputs (logits):
``discriminator(real, fake)`` and ``generator(fake)``, both returning a scalar to *minimise*,
and ``output(logit)``, what the discriminator surface shows as "D(x)".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor
from torch.nn import functional as F

from advplay.core.registry import Registry


@dataclass(frozen=True)
class GanLoss:
    """The two players' objectives of one GAN variant."""

    discriminator: Callable[[Tensor, Tensor], Tensor]
    generator: Callable[[Tensor], Tensor]
    output: Callable[[Tensor], Tensor]
    #: the Wasserstein critic needs a Lipschitz constraint (the gradient penalty)
    needs_gradient_penalty: bool = False
    #: whether ``output`` is a probability in [0, 1] (else an unbounded score)
    probability: bool = True
    #: the output level where D cannot tell real from fake, or None (a critic has none)
    decision_level: float | None = 0.5


LOSSES: Registry = Registry("loss")


def _identity(logit: Tensor) -> Tensor:
    return logit


def _cross_entropy_discriminator(real: Tensor, fake: Tensor) -> Tensor:
    # -E_p[log D(x)] - E_q[log(1 - D(x))] with D = sigmoid(logit), in a stable form.
    return F.softplus(-real).mean() + F.softplus(fake).mean()


LOSSES.register("minimax", "the original saturating game: G minimises log(1 - D(G(z))) (Goodfellow 2014)")(
    GanLoss(
        discriminator=_cross_entropy_discriminator,
        generator=lambda fake: -F.softplus(fake).mean(),  # log(1 - sigmoid(l)) = -softplus(l)
        output=torch.sigmoid,
    )
)

LOSSES.register("nonsaturating", "G maximises log D(G(z)) instead: strong gradients early (Goodfellow 2014)")(
    GanLoss(
        discriminator=_cross_entropy_discriminator,
        generator=lambda fake: F.softplus(-fake).mean(),  # -log sigmoid(l)
        output=torch.sigmoid,
    )
)

LOSSES.register("least_squares", "least-squares GAN with targets 0/1 (Mao et al. 2017)")(
    GanLoss(
        discriminator=lambda real, fake: 0.5 * ((real - 1).square().mean() + fake.square().mean()),
        generator=lambda fake: 0.5 * (fake - 1).square().mean(),
        output=_identity,
        probability=False,
    )
)

LOSSES.register("hinge", "hinge loss for D, -D(G(z)) for G (Lim & Ye 2017; Miyato et al. 2018)")(
    GanLoss(
        discriminator=lambda real, fake: F.relu(1 - real).mean() + F.relu(1 + fake).mean(),
        generator=lambda fake: -fake.mean(),
        output=_identity,
        probability=False,
        decision_level=0.0,
    )
)

LOSSES.register("wasserstein", "Wasserstein critic with gradient penalty, WGAN-GP (Gulrajani et al. 2017)")(
    GanLoss(
        discriminator=lambda real, fake: fake.mean() - real.mean(),
        generator=lambda fake: -fake.mean(),
        output=_identity,
        needs_gradient_penalty=True,
        probability=False,
        decision_level=None,
    )
)


def _input_gradient(discriminator: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """d D(x) / dx for each sample, kept in the graph so the penalty can be minimised."""
    x = x.detach().requires_grad_(True)
    (gradient,) = torch.autograd.grad(discriminator(x).sum(), x, create_graph=True)
    return gradient  # (B, 2)


def gradient_norm_penalty(discriminator, x: Tensor) -> Tensor:
    """R1 (on real x) or R2 (on fake x) penalty E||grad D(x)||^2 / 2 (Mescheder et al. 2018).

    Multiply by the weight gamma.
    """
    return 0.5 * _input_gradient(discriminator, x).square().sum(dim=1).mean()


def wasserstein_gradient_penalty(discriminator, real: Tensor, fake: Tensor, noise: Tensor) -> Tensor:
    """WGAN-GP: E[(||grad D(x_hat)|| - 1)^2] on random interpolates x_hat (Gulrajani et al. 2017).

    ``noise`` is a (B, 1) tensor of uniform [0, 1) mixing weights.
    """
    interpolates = noise * real + (1 - noise) * fake
    gradient = _input_gradient(discriminator, interpolates)
    return (gradient.norm(dim=1) - 1).square().mean()
