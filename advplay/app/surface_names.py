"""What the data view's layers are called, per method: colour-bar and legend labels.

Most methods show a discriminator D(x), but not all: ALI's D judges pairs, the ratio
estimator shows log r(x), the VAE and AVB show the rate of each x (nats its code spends), the
adversarial autoencoder its latent discriminator on the codes of x. Nor does every method have
every layer: the ratio estimator has no generator (its "generated" points are samples of the
reference q), and the autoencoders no data-space adversary to push their samples.
"""

from __future__ import annotations

from typing import NamedTuple

#: legend labels of the generator's layers in a GAN
SAMPLES, ARROWS, MANIFOLD = "generated", "\u2212\u2207 G loss", "G(latent grid)"


class SurfaceNames(NamedTuple):
    output: str  # colour-bar label of the output surface
    logit: str  # colour-bar label of the raw surface
    quantity: str  # name in the legend's "quantity = level" boundary entry
    no_boundary: str  # legend entry when the surface has no decision level
    samples: str = SAMPLES  # legend entry of the model's samples
    arrows: str | None = ARROWS  # legend entry of the arrows; None: the method has none
    manifold: str | None = MANIFOLD  # legend entry of the latent grid's image; None: none


GAN = SurfaceNames("D(x)", "D logit", "D", "no boundary (critic)")
SURFACE_NAMES = {
    "ali": SurfaceNames("D(x, E(x))", "D(x, E(x)) logit", "D", "no boundary (critic)"),
    "ratio": SurfaceNames("log r(x)", "log r(x)", "log r", "no boundary",
                          samples="samples of q", arrows=None, manifold=None),
    "vae": SurfaceNames("rate (nats)", "rate (nats)", "rate", "no boundary (rate)",
                        arrows=None),
    "avb": SurfaceNames("rate, E T (nats)", "rate, E T (nats)", "rate", "no boundary (rate)",
                        arrows=None),
    "aae": SurfaceNames("D(codes of x)", "D(codes of x) logit", "D", "no boundary (critic)",
                        arrows=None),
    "dirac": GAN._replace(manifold=None),
}


def surface_names(model: str) -> SurfaceNames:
    """The labels of ``model``'s layers (a GAN's D(x) for methods not listed)."""
    return SURFACE_NAMES.get(model, GAN)
