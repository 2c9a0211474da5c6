"""The training loop as an object: ``step(k)``, ``apply(changes)``, ``snapshot()``.

A session knows nothing of Qt or processes: the worker drives one in a child process, the CLI
drives one in a loop, tests drive one directly. The same config and seed on CPU give the same
snapshots, step for step.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from advplay.core.config import ON_THE_FLY, Config
from advplay.core.device import resolve_device
from advplay.core.errors import ConfigError, TrainingDiverged
from advplay.core.metrics import GridReference, MetricHistory
from advplay.core.models import MODELS
from advplay.core.models.base import (frame_state, load_frame_state, load_model_state,
                                      model_state, sync_view, view_copy)
from advplay.core.snapshot import Snapshot, frozen_array
from advplay.core.targets import Target, make_target
from advplay.core.views import SURFACE_RESOLUTION, ViewGeometry, checked_extras

#: iterations between finiteness checks (each check is one host sync)
CHECK_EVERY = 50
#: loss records kept; older ones are thinned evenly
LOSS_HISTORY = 2000


class RealStream:
    """Fresh real samples on the device, drawn from the target in large chunks.

    Sampling 64k points in one NumPy call and slicing them costs far less per step than a
    call and a host-to-device copy per batch; every sample is still used once. Calling the
    stream gives points; :meth:`labelled` gives points and their class labels.
    """

    def __init__(self, target: Target, rng: np.random.Generator, device: torch.device,
                 chunk: int = 1 << 16):
        self.target, self.rng, self.device, self.chunk = target, rng, device, chunk
        self._pool = torch.empty((0, 2), device=device)
        self._labels: torch.Tensor | None = None
        self._position = 0

    def __call__(self, n: int) -> torch.Tensor:
        return self.labelled(n)[0]  # (n, 2)

    def state(self) -> dict:
        """Where the stream stands, in plain values: restoring it redraws the same pool."""
        if not len(self._pool):
            return {"rng": self.rng.bit_generator.state, "pool": None}
        return {"rng": self.rng.bit_generator.state, "pool": self._pool_state,
                "pool_size": self._pool_size, "position": self._position}

    def restore(self, state: dict) -> None:
        """Continue exactly where :meth:`state` was taken (same target, same samples)."""
        if state["pool"] is not None:
            self.rng.bit_generator.state = state["pool"]
            self._position = len(self._pool) + 1  # force a fresh pool on the next call
            self.labelled(state["pool_size"])
            self._position = int(state["position"])
        self.rng.bit_generator.state = state["rng"]

    def labelled(self, n: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``n`` points (n, 2) and their int64 labels (n,), or None for an unlabelled target."""
        if self._position + n > len(self._pool):
            self._pool_state = self.rng.bit_generator.state  # to redraw this pool on restore
            self._pool_size = max(self.chunk, n)
            points, labels = self.target.sample(self._pool_size, self.rng)
            self._pool = torch.as_tensor(points, dtype=torch.float32).to(self.device)
            self._labels = None if labels is None else torch.as_tensor(labels).to(self.device)
            self._position = 0
        window = slice(self._position, self._position + n)
        self._position += n
        return self._pool[window], None if self._labels is None else self._labels[window]


class Session:
    """Trains ``config`` step by step and reports snapshots.

    Parameters
    ----------
    config : the experiment (validated)
    target : an already built target (e.g. a drawing); by default built from ``config.target``
    """

    def __init__(self, config: Config, target: Target | None = None,
                 surface_resolution: int = SURFACE_RESOLUTION):
        self.config = config
        self.device = resolve_device(config.train.device)
        self.target = target if target is not None else make_target(
            config.target.name, **config.target.params)
        seed = config.train.seed
        self.step_count = 0
        self.failed: TrainingDiverged | None = None
        self._noise = torch.Generator(device=self.device).manual_seed(seed)
        with torch.random.fork_rng(devices=[]):  # network init from the seed, globals untouched
            torch.manual_seed(seed)
            self.model = MODELS[config.model.name](config, self.device, self._noise, self.target)
        self._real = RealStream(self.target, np.random.default_rng(seed), self.device)
        self._view = ViewGeometry(self.target, self.model, self.device, seed, surface_resolution)
        self._view_model = view_copy(self.model)
        self._grid_reference = GridReference(self.target) if self.target.has_density else None
        self.losses = MetricHistory(LOSS_HISTORY)
        self.metric_history = MetricHistory(1000)
        self.latest_losses = {player: math.nan for player in self.model.players}
        self.latest_metrics: dict[str, float] = {}
        self._record_metrics()
        self._last_snapshot = self.snapshot()

    # ----------------------------------------------------------------- training

    def step(self, k: int = 1, players: tuple[str, ...] | None = None) -> None:
        """Train ``k`` iterations; ``players`` (e.g. ``("d",)``) limits who moves.

        Raises TrainingDiverged naming the first step whose losses or parameters were not
        finite; the session then refuses to train and ``snapshot()`` returns the last good one.
        """
        if self.failed is not None:
            raise self.failed
        players = tuple(players or self.model.players)
        every = self.config.train.metrics_every
        done = 0
        while done < k:
            chunk = min(k - done, CHECK_EVERY, every - self.step_count % every)
            pending = [self.model.train_iteration(self._real, self.config.train.batch_size, players)
                       for _ in range(chunk)]
            self._commit(pending, players)
            done += chunk
            if self.step_count % every == 0:
                self._record_metrics()

    def _commit(self, pending: list[tuple[torch.Tensor, ...]], players: tuple[str, ...]) -> None:
        """Bring a chunk's losses to the host once, check them, record them."""
        values = torch.stack([loss for losses in pending for loss in losses]).view(len(pending), -1)
        values = values.cpu().numpy().astype(np.float64)  # (chunk, n_players)
        moved = [i for i, player in enumerate(self.model.players) if player in players]
        bad_rows = np.flatnonzero(~np.isfinite(values[:, moved]).all(axis=1))
        if len(bad_rows):
            self._fail(self.step_count + int(bad_rows[0]) + 1, "the losses")
        if not self.model.parameters_finite():
            self._fail(self.step_count + len(pending), "the network parameters")
        for row in values:
            self.step_count += 1
            self.losses.append(self.step_count, dict(zip(self.model.players, row)))
        self.latest_losses = dict(zip(self.model.players, values[-1]))

    def _fail(self, step: int, what: str) -> None:
        self.failed = TrainingDiverged(step, what)
        self._last_snapshot = self._last_snapshot.with_error(str(self.failed))
        raise self.failed

    def _record_metrics(self) -> None:
        self.latest_metrics = self.model.evaluate(self.target, self._grid_reference,
                                                  self.config.train.seed)
        self.metric_history.append(self.step_count, self.latest_metrics)

    def set_target(self, target: Target) -> None:
        """Train toward ``target`` from the next step on: a drawing edited while training."""
        if hasattr(self.model, "set_target"):  # first: a conditional model may refuse it
            self.model.set_target(target)
        self.target = target
        self._real = RealStream(target, self._real.rng, self.device)
        self._view.set_target(target, self.config.train.seed)
        self._grid_reference = GridReference(target) if target.has_density else None
        self._record_metrics()

    def apply(self, changes: dict[str, Any]) -> Config:
        """Change hyperparameters on the fly, e.g. ``{"train.lr_d": 1e-4}``.

        Keys outside ``ON_THE_FLY`` need a new session and raise ConfigError.
        """
        for key, value in changes.items():
            if key not in ON_THE_FLY:
                raise ConfigError(key, value, "cannot change while training; reset with the new value")
        self.config = self.config.replace(changes)
        self.model.apply(self.config)
        return self.config

    # ----------------------------------------------------------------- output

    def skip_extras(self, names) -> None:
        """Leave the optional extras ``names`` (of ``advplay.core.views.OPTIONAL_EXTRAS``) out
        of frames from now on; an empty set computes them all again (the default)."""
        self._view.skipped = checked_extras(names)

    def samples(self, n: int, seed: int | None = None) -> np.ndarray:
        """``n`` generator samples as float32 (n, 2)."""
        seed = self.config.train.seed + 3 if seed is None else seed
        noise = torch.Generator(device=self.device).manual_seed(seed)
        return self.model.generate(self.model.sample_latent(n, noise)).cpu().numpy().astype(np.float32)

    def capture(self) -> "Capture":
        """Copy what a frame needs (cheap: weights and a few arrays) for :meth:`Capture.render`.

        Rendering may then run in another thread while training goes on. There is one view copy
        of the model: render a capture before taking the next one.
        """
        sync_view(self.model, self._view_model)
        return Capture(geometry=self._view, model=self._view_model, fields=self.frame_fields())

    def frame_fields(self) -> dict:
        """A snapshot's fields that come from training, not from the model's pictures."""
        players = self.model.players
        return dict(
            step=self.step_count,
            bounds=tuple(float(b) for b in self.target.bounds),
            losses=self.latest_losses,
            metrics=self.latest_metrics,
            history_steps=frozen_array(self.losses.steps(), np.int64),
            history_losses=frozen_array(
                np.stack([self.losses.series(p) for p in players], axis=1)
                if len(self.losses) else np.zeros((0, len(players)))),
            metric_steps=frozen_array(self.metric_history.steps(), np.int64),
            metric_history={name: frozen_array(self.metric_history.series(name))
                            for name in self.metric_history.names()},
            output_is_probability=self.model.output_is_probability,
            decision_level=self.model.decision_level,
            device=str(self.device),
            model=self.config.model.name,
        )

    def frame_state(self) -> dict:
        """The model's state as a replica needs it to draw this frame (:meth:`render_frame`):
        weights and tensors as NumPy, no optimisers."""
        return frame_state(self.model)

    def render_frame(self, state: dict, fields: dict) -> Snapshot:
        """The snapshot of another session built from the same config and target, from its
        :meth:`frame_state` and :meth:`frame_fields`: this session's model takes the state
        (the render process keeps such a replica)."""
        load_frame_state(self.model, state)
        return Capture(self._view, self.model, fields).render()

    def snapshot(self) -> Snapshot:
        """The current picture; after a divergence, the last good one with the error attached."""
        if self.failed is None:
            self._last_snapshot = self.capture().render()
        return self._last_snapshot

    def state(self) -> dict:
        """Everything needed to continue this run exactly: weights, optimisers, random streams,
        step and histories (tensors and plain values; see ``advplay.core.experiment``)."""
        return {
            "step": self.step_count,
            "model": model_state(self.model),
            "noise": self._noise.get_state(),
            "real": self._real.state(),
            "losses": self.losses.to_dict(),
            "metrics": self.metric_history.to_dict(),
            "latest_losses": {k: float(v) for k, v in self.latest_losses.items()},
            "latest_metrics": dict(self.latest_metrics),
        }

    def load_state(self, state: dict) -> None:
        """Continue from :meth:`state` of a session built with the same config and target."""
        load_model_state(self.model, state["model"])
        self._noise.set_state(state["noise"])
        self._real.restore(state["real"])
        self.step_count = int(state["step"])
        self.losses = MetricHistory.from_dict(state["losses"], LOSS_HISTORY)
        self.metric_history = MetricHistory.from_dict(state["metrics"], 1000)
        self.latest_losses = {k: float(v) for k, v in state["latest_losses"].items()}
        self.latest_metrics = {k: float(v) for k, v in state["latest_metrics"].items()}
        self.failed = None
        self._last_snapshot = self.snapshot()

    def remember(self, snapshot: Snapshot) -> None:
        """Keep ``snapshot`` (rendered from a capture elsewhere) as the last good picture."""
        if self.failed is None:
            self._last_snapshot = snapshot


class Capture:
    """The inputs of one frame, detached from training; :meth:`render` makes the Snapshot."""

    def __init__(self, geometry: ViewGeometry, model, fields: dict):
        self.geometry, self.model, self.fields = geometry, model, fields

    def render(self) -> Snapshot:
        return Snapshot(**self.fields, **self.geometry.compute(self.model))
