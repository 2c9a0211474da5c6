"""Each loss, trained on a discriminator-only problem, approaches its known optimum.

p = N((-0.5, 0), I) plays the data and q = N((0.5, 0), I) the generator, so the optimal
discriminator of the cross-entropy and least-squares games is D*(x) = p/(p+q) = sigmoid(-x1),
the hinge optimum is sign(p - q) = -sign(x1), and the Wasserstein critic's gap E_p D - E_q D
is the distance between the means, 1.
"""

import math

import pytest
import torch

from advplay.core.losses import LOSSES, gradient_norm_penalty, wasserstein_gradient_penalty
from advplay.core.nets import mlp

SHIFT = torch.tensor([0.5, 0.0])


def train_discriminator(loss_name: str, steps: int = 600, gp_weight: float = 0.0):
    torch.manual_seed(0)
    noise = torch.Generator().manual_seed(1)
    network = mlp(2, 1, 32, 2, "softplus")
    optimizer = torch.optim.Adam(network.parameters(), lr=5e-3)
    loss = LOSSES[loss_name]
    for _ in range(steps):
        real = torch.randn(512, 2, generator=noise) - SHIFT
        fake = torch.randn(512, 2, generator=noise) + SHIFT
        value = loss.discriminator(network(real)[:, 0], network(fake)[:, 0])
        if gp_weight:
            mix = torch.rand(512, 1, generator=noise)
            value = value + gp_weight * wasserstein_gradient_penalty(
                lambda x: network(x)[:, 0], real, fake, mix)
        optimizer.zero_grad()
        value.backward()
        optimizer.step()
    return network


def probe_points():
    x1 = torch.linspace(-2, 2, 41)
    return torch.stack([x1, torch.zeros_like(x1)], dim=1)


@pytest.mark.parametrize("name", ["minimax", "nonsaturating", "least_squares"])
def test_discriminator_reaches_optimal_ratio(name):
    network = train_discriminator(name)
    points = probe_points()
    with torch.no_grad():
        output = LOSSES[name].output(network(points)[:, 0])
    optimal = torch.sigmoid(-points[:, 0])  # p / (p + q)
    assert (output - optimal).abs().max() < 0.08


def test_hinge_discriminator_reaches_sign_of_density_difference():
    network = train_discriminator("hinge")
    points = probe_points()
    with torch.no_grad():
        output = network(points)[:, 0]
    far = points[:, 0].abs() > 0.5
    assert torch.equal(torch.sign(output[far]), -torch.sign(points[far, 0]))
    assert (output[points[:, 0].abs() > 1.2].abs() - 1).abs().max() < 0.3


def test_wasserstein_critic_estimates_distance_between_means():
    network = train_discriminator("wasserstein", steps=800, gp_weight=10.0)
    noise = torch.Generator().manual_seed(7)
    with torch.no_grad():
        real = torch.randn(20000, 2, generator=noise) - SHIFT
        fake = torch.randn(20000, 2, generator=noise) + SHIFT
        gap = (network(real).mean() - network(fake).mean()).item()
    assert 0.85 < gap < 1.05  # W1 = 1; the penalty makes the estimate slightly low


@pytest.mark.parametrize("name", LOSSES.names())
def test_generator_loss_falls_as_fake_looks_more_real(name):
    loss = LOSSES[name]
    less_real, more_real = torch.full((8,), -1.0), torch.full((8,), 1.0)
    assert loss.generator(more_real) < loss.generator(less_real)


def test_minimax_and_nonsaturating_share_the_discriminator_and_differ_for_g():
    real, fake = torch.randn(16), torch.randn(16)
    minimax, nonsaturating = LOSSES["minimax"], LOSSES["nonsaturating"]
    assert torch.allclose(minimax.discriminator(real, fake), nonsaturating.discriminator(real, fake))
    # At D(G(z)) ~ 0 the saturating loss has almost no gradient; the non-saturating one has.
    logit = torch.full((1,), -8.0, requires_grad=True)
    (saturating_gradient,) = torch.autograd.grad(minimax.generator(logit), logit)
    (strong_gradient,) = torch.autograd.grad(nonsaturating.generator(logit), logit)
    assert abs(saturating_gradient.item()) < 1e-3 < abs(strong_gradient.item())


def test_gradient_norm_penalty_of_linear_function():
    weights = torch.tensor([3.0, 4.0])
    x = torch.randn(10, 2)
    penalty = gradient_norm_penalty(lambda points: points @ weights, x)
    assert math.isclose(penalty.item(), 0.5 * 25.0, rel_tol=1e-6)
    mix = torch.rand(10, 1)
    gp = wasserstein_gradient_penalty(lambda points: points @ weights, x, x + 1, mix)
    assert math.isclose(gp.item(), 16.0, rel_tol=1e-6)  # (|grad| - 1)^2 = (5 - 1)^2
