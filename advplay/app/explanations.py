"""One or two lines per method: its objective as the lecture writes it, and what to look at.

Shown in the window's explanation panel (``explanationPanel``) above the views. The formulas
follow ``shared/reference/lecture-gans.md`` (Perdikaris, ENM53 lecture 23) and the papers.
"""

from __future__ import annotations

import html

#: model registry name -> (objective, what the views show)
EXPLANATIONS: dict[str, tuple[str, str]] = {
    "gan": (
        "min<sub>G</sub> max<sub>D</sub> E<sub>p(x)</sub>[log D(x)] + "
        "E<sub>p(z)</sub>[log(1 − D(G(z)))]",
        "The heat map is D(x); arrows show where each generated point is pushed. "
        "The loss menu swaps the game (non-saturating, least squares, hinge, Wasserstein).",
    ),
    "cgan": (
        "min<sub>G</sub> max<sub>D</sub> E<sub>p(x,y)</sub>[log D(x|y)] + "
        "E<sub>p(z),p(y)</sub>[log(1 − D(G(z|y)|y))]",
        "Both players see the class y (Mirza &amp; Osindero 2014): samples are coloured by "
        "the class they were drawn for.",
    ),
    "ali": (
        "min<sub>G,E</sub> max<sub>D</sub> E<sub>p(x)</sub>[log D(x, E(x))] + "
        "E<sub>p(z)</sub>[log(1 − D(G(z), z))]",
        "D judges (x, z) pairs, so G and E learn to invert each other (ALI / BiGAN). "
        "The latent view shows E(x) of real points against the prior.",
    ),
    "ratio": (
        "r(x) = p(x)/q(x) = S(x)/(1 − S(x)): train a classifier S between p and q, "
        "then log r(x) = logit S(x)",
        "The density ratio trick. The ratio view compares the estimated log r with the "
        "true one where both densities are known; KL(p‖q) = E<sub>p</sub>[log r].",
    ),
    "avb": (
        "max<sub>θ,φ</sub> E<sub>p<sub>D</sub>(x)</sub>E<sub>ε</sub>[−T(x, z<sub>φ</sub>(x, ε)) + "
        "log p<sub>θ</sub>(x | z<sub>φ</sub>(x, ε))], with T trained to tell q<sub>φ</sub>(z|x) "
        "from p(z)",
        "Adversarial variational Bayes (Algorithm 1): the adversary T stands in for the KL "
        "term, so the posterior can be any implicit distribution.",
    ),
    "aae": (
        "min reconstruction error ‖x − G(E(x))‖² while a latent discriminator "
        "makes q(z) = E<sub>p(x)</sub>[q(z|x)] match p(z)",
        "Adversarial autoencoder (Makhzani et al. 2016): the adversarial game is played in "
        "the latent space, shown in the latent view.",
    ),
    "vae": (
        "max E<sub>q(z|x)</sub>[log p(x|z)] − KL(q(z|x) ‖ p(z)), Gaussian q",
        "The variational autoencoder: the baseline that AVB generalises.",
    ),
    "dirac": (
        "p<sub>data</sub> = δ<sub>0</sub>, G = δ<sub>θ</sub>, D(x) = ψx: "
        "L(θ, ψ) = f(ψθ) + f(0)",
        "The Dirac-GAN (Mescheder et al. 2018): the whole game is a point in the (θ, ψ) "
        "plane. Unregularised steps circle (alternating) or spiral out (simultaneous); the "
        "non-saturating loss drifts inward slowly; R1 (γ = 0.3) converges to (0, 0).",
    ),
}


def explanation_html(model: str) -> str:
    """Rich text for the explanation panel: the objective, then one line on the views."""
    if model not in EXPLANATIONS:
        return f"<b>{html.escape(model)}</b>"
    objective, note = EXPLANATIONS[model]
    return f"<b>{html.escape(model)}</b>&nbsp;&nbsp;{objective}<br><small>{note}</small>"
