"""Training schedules of the GAN family: learning-rate decay and a moving average of G.

* :func:`lr_factor` -- the multiplier of both base learning rates at an iteration:
  ``constant`` (1), or a decay from 1 to ``final`` (``train.lr_final``, default 0) that is
  ``cosine`` (final + (1 - final) (1 + cos(pi t)) / 2) or ``linear`` (1 - (1 - final) t).
  The decay runs over the last part of the run: t = (iteration / ``train.steps`` - start) /
  (1 - start) clamped to [0, 1], with ``start`` = ``train.lr_decay_start`` (default 0: the
  whole run). Before it the rate is constant; after ``train.steps`` it stays at ``final``.
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


def lr_factor(schedule: str, iteration: int, total: int, start: float = 0.0,
              final: float = 0.0) -> float:
    """The learning-rate multiplier at ``iteration`` (0-based) of a run of ``total`` iterations
    whose decay to ``final`` begins at the fraction ``start`` of the run."""
    if schedule == "constant" or total <= 0:
        return 1.0
    progress = iteration / total
    if start >= 1.0:  # no decay inside the run: a step to ``final`` at its end
        t = 1.0 if progress >= 1.0 else 0.0
    else:
        t = min(max((progress - start) / (1.0 - start), 0.0), 1.0)
    if schedule == "cosine":
        return final + (1.0 - final) * 0.5 * (1.0 + math.cos(math.pi * t))
    if schedule == "linear":
        return 1.0 - (1.0 - final) * t
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
