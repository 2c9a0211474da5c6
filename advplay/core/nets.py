"""Multilayer perceptrons, the only network shape a 2D toy problem needs."""

from __future__ import annotations

from torch import nn

from advplay.core.registry import Registry

ACTIVATIONS: Registry = Registry("activation")
ACTIVATIONS.register("relu", "rectified linear unit")(nn.ReLU)
ACTIVATIONS.register("leaky_relu", "leaky ReLU, slope 0.2 (the DCGAN choice)")(
    lambda: nn.LeakyReLU(0.2)
)
ACTIVATIONS.register("tanh", "hyperbolic tangent")(nn.Tanh)
ACTIVATIONS.register("elu", "exponential linear unit")(nn.ELU)
ACTIVATIONS.register("silu", "sigmoid-weighted linear unit (swish)")(nn.SiLU)
ACTIVATIONS.register("softplus", "smooth ReLU; twice differentiable, kind to R1 penalties")(
    nn.Softplus
)


def mlp(in_features: int, out_features: int, width: int, depth: int, activation: str) -> nn.Sequential:
    """A fully connected network with ``depth`` hidden layers of ``width`` units.

    The last layer is linear: discriminators output a logit, generators a point.
    """
    layers: list[nn.Module] = []
    features = in_features
    for _ in range(depth):
        layers += [nn.Linear(features, width), ACTIVATIONS[activation]()]
        features = width
    layers.append(nn.Linear(features, out_features))
    return nn.Sequential(*layers)
