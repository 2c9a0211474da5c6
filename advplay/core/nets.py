"""Multilayer perceptrons, the only network shape a 2D toy problem needs.

Besides the plain :func:`mlp`, the GAN family can build the networks of the PacGAN and ALI
2D experiments (Lin et al. 2018; Dumoulin et al. 2017; authors' code ``fjxmlzn/PacGAN``,
``synthetic_data_experiments``): a generator with batch normalisation before each hidden
ReLU, and a discriminator of maxout layers (Goodfellow et al. 2013). See
:func:`generator_network` and :func:`discriminator_network`.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager

import torch
from torch import Tensor, nn

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


#: hidden-layer normalisations of the generator
NORMS = ("none", "batch")
#: weight of the newest batch in batch norm's running statistics: the PacGAN code keeps its
#: population statistics as 0.95 * old + 0.05 * batch
BATCH_NORM_MOMENTUM = 0.05


def mlp(in_features: int, out_features: int, width: int, depth: int, activation: str,
        norm: str = "none") -> nn.Sequential:
    """A fully connected network with ``depth`` hidden layers of ``width`` units.

    The last layer is linear: discriminators output a logit, generators a point. With
    ``norm = "batch"`` each hidden layer is Linear -> BatchNorm1d -> activation, as in the
    PacGAN/ALI generators (the batch norm's shift replaces the linear bias, so there is none).
    """
    if norm not in NORMS:
        raise ValueError(f"unknown norm {norm!r}; allowed: {', '.join(NORMS)}")
    layers: list[nn.Module] = []
    features = in_features
    for _ in range(depth):
        if norm == "batch":
            layers += [nn.Linear(features, width, bias=False),
                       nn.BatchNorm1d(width, momentum=BATCH_NORM_MOMENTUM)]
        else:
            layers.append(nn.Linear(features, width))
        layers.append(ACTIVATIONS[activation]())
        features = width
    layers.append(nn.Linear(features, out_features))
    return nn.Sequential(*layers)


class Maxout(nn.Module):
    """A maxout layer (Goodfellow et al. 2013): ``width`` units, each the maximum of
    ``pieces`` affine functions of the input."""

    def __init__(self, in_features: int, width: int, pieces: int):
        super().__init__()
        self.width, self.pieces = width, pieces
        self.linear = nn.Linear(in_features, width * pieces)

    def forward(self, x: Tensor) -> Tensor:
        pieces = self.linear(x).unflatten(-1, (self.width, self.pieces))  # (n, width, pieces)
        return pieces.amax(dim=-1)  # (n, width)


def maxout_mlp(in_features: int, out_features: int, width: int, depth: int,
               pieces: int) -> nn.Sequential:
    """``depth`` maxout layers of ``width`` units, then a linear output layer."""
    layers: list[nn.Module] = []
    features = in_features
    for _ in range(depth):
        layers.append(Maxout(features, width, pieces))
        features = width
    layers.append(nn.Linear(features, out_features))
    return nn.Sequential(*layers)


def generator_network(model, in_features: int, out_features: int = 2) -> nn.Sequential:
    """The generator a ``ModelConfig`` asks for: width, depth, activation, ``generator_norm``."""
    return mlp(in_features, out_features, model.width, model.depth, model.activation,
               norm=model.generator_norm)


def discriminator_network(model, in_features: int) -> nn.Sequential:
    """The discriminator a ``ModelConfig`` asks for: an MLP like the generator's, or maxout
    layers (``discriminator = "maxout"``, ``maxout_pieces``); ``discriminator_width`` and
    ``discriminator_depth`` size it where they are set (0 and -1 mean "as the generator")."""
    width = model.discriminator_width or model.width
    depth = model.depth if model.discriminator_depth < 0 else model.discriminator_depth
    if model.discriminator == "maxout":
        return maxout_mlp(in_features, 1, width, depth, model.maxout_pieces)
    return mlp(in_features, 1, width, depth, model.activation)


def has_batch_norm(network: nn.Module) -> bool:
    """Whether ``network`` holds a batch norm layer (its output then depends on the mode)."""
    return any(isinstance(layer, nn.BatchNorm1d) for layer in network.modules())


def rest_in_evaluation(*networks: nn.Module) -> list[nn.Module]:
    """Put ``networks`` in evaluation mode, their resting state; return those holding batch
    norm, the ones :func:`training_mode` must switch around each update."""
    return [network for network in networks if has_batch_norm(network.eval())]


@contextmanager
def training_mode(networks: list[nn.Module]):
    """Put ``networks`` in training mode for the block, and back in evaluation mode after.

    Networks with batch norm rest in evaluation mode: frames, metrics and samples see the
    generator with its running (population) statistics, the way the PacGAN code draws and
    scores it, and never change those statistics; training updates use batch statistics.
    """
    for network in networks:
        network.train()
    try:
        yield
    finally:
        for network in networks:
            network.eval()


@torch.no_grad()
def all_finite(tensors: Iterable[Tensor]) -> bool:
    """Whether every element of ``tensors`` is finite, in one host sync.

    One sum per tensor, accumulated in float64 where the device has it: a NaN or an infinity
    makes its sum non-finite (opposite infinities give NaN), and float32 values cannot
    overflow a float64 sum. About 4x cheaper than ``isfinite().all()`` per tensor, which
    matters when the worker checks after every few steps.
    """
    sums = [t.sum(dtype=torch.float32 if t.device.type == "mps" else torch.float64)
            for t in tensors]
    return bool(torch.stack(sums).isfinite().all()) if sums else True
