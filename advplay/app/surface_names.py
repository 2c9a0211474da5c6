"""What the data view's surface is called, per method: its colour-bar and legend labels.

Most methods show a discriminator D(x), but not all: ALI's D judges pairs, the ratio
estimator shows log r(x), the VAE and AVB show the rate of each x (nats its code spends), the
adversarial autoencoder its latent discriminator on the codes of x.
"""

from __future__ import annotations

from typing import NamedTuple


class SurfaceNames(NamedTuple):
    output: str  # colour-bar label of the output surface
    logit: str  # colour-bar label of the raw surface
    quantity: str  # name in the legend's "quantity = level" boundary entry
    no_boundary: str  # legend entry when the surface has no decision level


GAN = SurfaceNames("D(x)", "D logit", "D", "no boundary (critic)")
SURFACE_NAMES = {
    "ali": SurfaceNames("D(x, E(x))", "D(x, E(x)) logit", "D", "no boundary (critic)"),
    "ratio": SurfaceNames("log r(x)", "log r(x)", "log r", "no boundary"),
    "vae": SurfaceNames("rate (nats)", "rate (nats)", "rate", "no boundary (rate)"),
    "avb": SurfaceNames("rate, E T (nats)", "rate, E T (nats)", "rate", "no boundary (rate)"),
    "aae": SurfaceNames("D(codes of x)", "D(codes of x) logit", "D", "no boundary (critic)"),
}


def surface_names(model: str) -> SurfaceNames:
    """The labels of ``model``'s surface (a GAN's D(x) for methods not listed)."""
    return SURFACE_NAMES.get(model, GAN)
