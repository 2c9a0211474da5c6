"""Training schedules of the GAN family: learning-rate decay and a moving average of G.

* :func:`lr_factor` -- the multiplier of both base learning rates at an iteration:
  ``constant`` (1), ``cosine`` (1/2 (1 + cos(pi t))) or ``linear`` (1 - t), with
  t = iteration / ``train.steps`` clamped to [0, 1]; after ``train.steps`` iterations the rate
  stays at its final value (0 for cosine and linear).
* :func:`averaged_copy` / :func:`ema_update` -- an exponential moving average of the
  generator's weights, G_ema <- decay G_ema + (1 - decay) G after every generator update
  (Yazici et al. 2019, "The unusual effectiveness of averaging in GAN training"). Buffers
  (batch norm's running statistics) are copied, not averaged.
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn

SCHEDULES = ("constant", "cosine", "linear")


def lr_factor(schedule: str, iteration: int, total: int) -> float:
    """The learning-rate multiplier at ``iteration`` (0-based) of a run of ``total`` iterations."""
    if schedule == "constant" or total <= 0:
        return 1.0
    t = min(max(iteration / total, 0.0), 1.0)
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * t))
    if schedule == "linear":
        return 1.0 - t
    raise ValueError(f"unknown learning-rate schedule {schedule!r}")


def averaged_copy(network: nn.Module) -> nn.Module:
    """A frozen copy of ``network`` to hold its moving average (starts equal to it)."""
    average = copy.deepcopy(network).eval()
    average.requires_grad_(False)
    return average


@torch.no_grad()
def ema_update(average: nn.Module, network: nn.Module, decay: float) -> None:
    """``average`` <- decay * ``average`` + (1 - decay) * ``network``, parameter by parameter."""
    torch._foreach_lerp_(list(average.parameters()), list(network.parameters()), 1.0 - decay)
    for mine, theirs in zip(average.buffers(), network.buffers()):
        mine.copy_(theirs)
