"""What every training method shares: the registry, the model protocol, optimisers.

A model is a class registered in ``MODELS`` and built as ``cls(config, device, noise, target)``
(``noise`` is the torch generator every random draw comes from, for determinism). The session
relies on these members:

``players``
    names of the players that take turns, e.g. ``("d", "g")``; losses are reported per player.
``networks``
    attribute names of the ``nn.Module`` s to copy for rendering frames in another thread.
``train_iteration(real_batch, batch_size, players) -> tuple of 0-d tensors``
    one iteration, one detached loss per player (NaN for a player left out of ``players``);
    ``real_batch(n)`` gives (n, 2) real points, ``real_batch.labelled(n)`` points and labels.
``apply(config)``
    take the hyperparameters that may change on the fly.
``frame(geometry) -> dict``
    the model's snapshot fields: ``discriminator_output``/``discriminator_logit`` (H, W) via
    ``geometry.surface``, ``fake``, ``fake_gradients``, ``manifold``, optionally ``fake_labels``
    and ``extras`` (see ``advplay.core.views.ViewGeometry`` for the fixed grid and noise);
    a model whose data are not the target's (the Dirac-GAN's point masses) may also return
    ``real`` and ``real_labels``, which replace the geometry's.
``evaluate(target, grid_reference, seed) -> dict[str, float]``
    the metrics recorded every ``metrics_every`` steps.
``sample_latent(n, noise=None)``, ``latent_dim``, ``latent_extent()``, ``generate(z)``
    the latent prior and the sampler (the CLI writes ``generate`` samples to samples.npy).
``output_is_probability``, ``decision_level``, ``parameters_finite()``
    how to draw the surface, and the divergence check.
``set_target(target)`` (optional)
    a drawing was edited while training.
"""

from __future__ import annotations

import copy
from typing import Iterable

import numpy as np
import torch

from advplay.core.config import TrainConfig
from advplay.core.registry import Registry

MODELS: Registry = Registry("model")


def make_optimizer(parameters: Iterable[torch.nn.Parameter], lr: float,
                   train: TrainConfig) -> torch.optim.Optimizer:
    """The configured optimiser, in its fastest implementation for the parameters' device.

    Adam uses the fused kernel (one kernel for all parameters instead of ~10 ops each; 15-20%
    faster per GAN step on CPU here), falling back to ``foreach`` where fused is unsupported.
    ``beta1`` doubles as the momentum of SGD and RMSprop, ``beta2`` as RMSprop's alpha.
    """
    parameters = list(parameters)
    name = train.optimizer
    if name == "adam":
        try:
            return torch.optim.Adam(parameters, lr=lr, betas=(train.beta1, train.beta2), fused=True)
        except (RuntimeError, TypeError):  # fused unsupported for this device or dtype
            return torch.optim.Adam(parameters, lr=lr, betas=(train.beta1, train.beta2), foreach=True)
    if name == "sgd":
        return torch.optim.SGD(parameters, lr=lr, momentum=train.beta1, foreach=True)
    if name == "rmsprop":
        return torch.optim.RMSprop(parameters, lr=lr, alpha=train.beta2, momentum=train.beta1,
                                   foreach=True)
    raise ValueError(f"unknown optimizer {name!r}")


def set_hyperparameters(optimizer: torch.optim.Optimizer, lr: float, train: TrainConfig) -> None:
    """Change learning rate and betas in place, keeping the optimiser's state."""
    for group in optimizer.param_groups:
        group["lr"] = lr
        if "betas" in group:
            group["betas"] = (train.beta1, train.beta2)
        if "momentum" in group:
            group["momentum"] = train.beta1
        if "alpha" in group:
            group["alpha"] = train.beta2


def view_copy(model):
    """A shallow copy of ``model`` with its own copies of the networks named in ``model.networks``.

    Frames can then be rendered from the copy in another thread while the original trains.
    """
    clone = copy.copy(model)
    for name in model.networks:
        setattr(clone, name, copy.deepcopy(getattr(model, name)))
    return clone


@torch.no_grad()
def sync_view(model, clone) -> None:
    """Bring ``clone`` (from :func:`view_copy`) up to date: weights and buffers (batch norm's
    running statistics) copied, settings shared."""
    for mine, theirs in _view_pairs(model, clone):
        mine.copy_(theirs)
    for name, value in vars(model).items():
        if name not in model.networks:
            setattr(clone, name, value)


def _view_pairs(model, clone) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(clone's tensor, model's tensor) for every parameter and buffer of the networks, found
    once per set of networks: walking the modules cost more than copying the weights, on
    every live frame."""
    networks = tuple((name, getattr(model, name)) for name in model.networks)
    cached = clone.__dict__.get("_view_pairs_of")
    if cached is not None and cached[0] == networks:  # modules compare by identity
        return cached[1]
    pairs = []
    for name, network in networks:
        view = getattr(clone, name)
        pairs += zip([*view.parameters(), *view.buffers()],
                     [*network.parameters(), *network.buffers()], strict=True)
    clone._view_pairs_of = (networks, pairs)
    return pairs


def model_state(model) -> dict[str, object]:
    """Every network, optimiser and tensor the model holds, as state dicts and tensors.

    Keys are ``"module:<attribute>"``, ``"optimizer:<attribute>"`` and ``"tensor:<attribute>"``,
    so any model following the protocol saves without code of its own; a model with other
    state adds ``extra_state()`` / ``load_extra_state(state)`` (plain values and tensors).
    """
    state: dict[str, object] = {}
    for name, value in vars(model).items():
        if isinstance(value, torch.nn.Module):
            state[f"module:{name}"] = value.state_dict()
        elif isinstance(value, torch.optim.Optimizer):
            state[f"optimizer:{name}"] = value.state_dict()
        elif isinstance(value, torch.Tensor):
            state[f"tensor:{name}"] = value.detach().clone()
    if hasattr(model, "extra_state"):
        state["extra"] = model.extra_state()
    return copy.deepcopy(state)  # state dicts hold the live tensors: training would change them


def load_model_state(model, state: dict[str, object]) -> None:
    """Restore what :func:`model_state` saved; KeyError/RuntimeError/ValueError on a mismatch."""
    for key, value in state.items():
        if key == "extra":
            model.load_extra_state(value)
            continue
        kind, _, name = key.partition(":")
        current = getattr(model, name)
        if kind in ("module", "optimizer"):
            current.load_state_dict(value)
        elif kind == "tensor":
            with torch.no_grad():
                current.copy_(value)
        else:
            raise KeyError(key)


class TensorData:
    """A tensor's values as a NumPy array: pickled by value (a tensor sent through
    ``multiprocessing`` would move its storage to shared memory instead)."""

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray):
        self.array = array

    def __getstate__(self):
        return self.array

    def __setstate__(self, array):
        self.array = array


def frame_state(model) -> dict[str, object]:
    """What drawing a frame reads of ``model``'s training state, as NumPy copies: every
    network's parameters and buffers (in order), tensor attributes and ``extra_state()``; not
    the optimisers. A model built from the same config and target draws the same frame after
    :func:`load_frame_state` (the render process's replica). Walks no state dicts and copies
    each network's tensors once (the small extra state is deep-copied): it runs on every live
    frame (~0.2 ms for the default GAN; ~0.6 ms with the frame's fields, pickled, 0.3 MB)."""
    networks, tensors = {}, {}
    for name, value in vars(model).items():
        if isinstance(value, torch.nn.Module):
            networks[name] = [TensorData(_numpy_copy(t)) for t in _network_tensors(value)]
        elif isinstance(value, torch.Tensor):
            tensors[name] = TensorData(_numpy_copy(value))
    extra = model.extra_state() if hasattr(model, "extra_state") else None
    return {"networks": networks, "tensors": tensors,
            "extra": _map_tensors(copy.deepcopy(extra), lambda t: TensorData(_numpy_copy(t)))}


@torch.no_grad()
def load_frame_state(model, state: dict[str, object]) -> None:
    """Take the state :func:`frame_state` made of a model of the same config; ValueError when
    a network's tensors do not match."""
    for name, arrays in state["networks"].items():
        for mine, data in zip(_network_tensors(getattr(model, name)), arrays, strict=True):
            mine.copy_(torch.from_numpy(data.array))
    for name, data in state["tensors"].items():
        current = getattr(model, name, None)
        if isinstance(current, torch.Tensor) and current.shape == data.array.shape:
            current.copy_(torch.from_numpy(data.array))
        else:  # made lazily (a cache) or replaced whole in training: take it as it is
            setattr(model, name, torch.from_numpy(data.array.copy()))
    if state["extra"] is not None:
        model.load_extra_state(_map_tensors(state["extra"], None))


def _network_tensors(network: torch.nn.Module) -> list[torch.Tensor]:
    return [*network.parameters(), *network.buffers()]


def _numpy_copy(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().cpu().numpy().copy()


def _map_tensors(value, to_data):
    """``value`` with its tensors passed through ``to_data``, or, for ``to_data=None``, its
    :class:`TensorData` back as tensors (dicts, lists and tuples walked; the rest kept)."""
    if to_data is not None and isinstance(value, torch.Tensor):
        return to_data(value)
    if to_data is None and isinstance(value, TensorData):
        return torch.from_numpy(value.array)
    if isinstance(value, dict):
        return {key: _map_tensors(item, to_data) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_map_tensors(item, to_data) for item in value)
    return value
