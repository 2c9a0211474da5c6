"""Helpers shared by the tests of the latent-variable models (VAE, AVB)."""

import math

import numpy as np
import torch
from torch.distributions import Normal


@torch.no_grad()
def log_marginal_likelihood(model, x: torch.Tensor, extent: float = 5.0,
                            n: int = 301) -> torch.Tensor:
    """log p_theta(x) = log of the integral of p(x | z) N(z; 0, I) over z, (len(x),), by a
    Riemann sum on an n x n grid over [-extent, extent]^2 (2D latent space only)."""
    axis = torch.linspace(-extent, extent, n)
    z = torch.stack(torch.meshgrid(axis, axis, indexing="xy"), dim=-1).reshape(-1, 2)
    log_cell = 2 * math.log(float(axis[1] - axis[0]))
    log_prior = Normal(0.0, 1.0).log_prob(z).sum(dim=1)
    mean, std = model.decoder(z), model.decoder.std()
    return torch.stack([torch.logsumexp(Normal(mean, std).log_prob(point).sum(dim=1) + log_prior,
                                        dim=0) + log_cell for point in x])


def late_median(session, name: str, count: int) -> float:
    """The median of the last ``count`` evaluations of a metric (adversarial estimates swing)."""
    return float(np.median(session.metric_history.series(name)[-count:]))
