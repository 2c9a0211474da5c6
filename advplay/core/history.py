"""A bounded timeline of training snapshots: every frame up to a budget, then thinned evenly.

The app keeps the snapshots it draws so that a timeline slider can go back in time and an
export can animate the run. Memory stays bounded by a frame count and a byte budget: while
both hold, every snapshot is kept; past either, every other kept snapshot is dropped (the
spacing doubles), so the survivors stay evenly spread over the run and the first and the
newest snapshot always survive.
"""

from __future__ import annotations

from typing import Iterator, Mapping

import numpy as np

from advplay.core.snapshot import Snapshot

#: default budgets: a 128x128 snapshot with its histories is ~0.2 MB, so a full history of
#: the default size holds ~1000 frames in ~200 MB at most
DEFAULT_FRAMES = 1000
DEFAULT_BYTES = 256 * 2**20


def snapshot_nbytes(snapshot: Snapshot) -> int:
    """Bytes held by the NumPy arrays of ``snapshot`` (fields, metric histories and extras)."""
    total = 0
    for value in vars(snapshot).values():
        if isinstance(value, np.ndarray):
            total += value.nbytes
        elif isinstance(value, Mapping):
            total += sum(v.nbytes for v in value.values() if isinstance(v, np.ndarray))
    return total


class SnapshotHistory:
    """Snapshots of one run in order of arrival, bounded by ``budget_frames`` and ``budget_bytes``.

    A snapshot is kept when it arrives; snapshots are indexed by arrival (``append_index``),
    and after thinning only those whose index is a multiple of the current ``stride`` remain,
    plus always the newest. Each thinning doubles the stride, which halves what is kept and
    keeps the survivors evenly spaced. The first snapshot (index 0) is a multiple of every
    stride, so it is never dropped; the newest is kept for being newest. Only when the first
    and newest alone exceed ``budget_bytes`` is that budget exceeded.

    A snapshot whose step equals the newest one's replaces it (e.g. a frame re-rendered after
    a settings change), so steps strictly increase. Call :meth:`clear` when a new run starts.

    Parameters
    ----------
    budget_frames : most snapshots kept (at least 2)
    budget_bytes : most bytes of arrays kept (see :func:`snapshot_nbytes`)
    """

    def __init__(self, budget_frames: int = DEFAULT_FRAMES, budget_bytes: int = DEFAULT_BYTES):
        if budget_frames < 2:
            raise ValueError("budget_frames must be at least 2 (the first and the newest frame)")
        if budget_bytes <= 0:
            raise ValueError("budget_bytes must be positive")
        self.budget_frames = int(budget_frames)
        self.budget_bytes = int(budget_bytes)
        self.clear()

    def clear(self) -> None:
        """Forget every snapshot and start again with stride 1."""
        self._entries: list[tuple[int, Snapshot, int]] = []  # (append index, snapshot, bytes)
        self._appended = 0
        self._stride = 1
        self._nbytes = 0

    # ------------------------------------------------------------------ adding

    def append(self, snapshot: Snapshot) -> None:
        """Keep ``snapshot`` as the newest frame; thin the history if a budget is exceeded.

        Raises ValueError if its step is older than the newest one's: a new run needs
        :meth:`clear` first.
        """
        index = self._appended
        if self._entries:
            last_index, last, _ = self._entries[-1]
            if snapshot.step < last.step:
                raise ValueError(f"snapshot step {snapshot.step} is older than the newest "
                                 f"({last.step}); clear the history when a new run starts")
            if snapshot.step == last.step:
                index = last_index  # the same step again: take its place in the spacing
                self._nbytes -= self._entries.pop()[2]
            elif last_index % self._stride:
                self._nbytes -= self._entries.pop()[2]  # it was kept only for being newest
        if index == self._appended:
            self._appended += 1
        size = snapshot_nbytes(snapshot)
        self._entries.append((index, snapshot, size))
        self._nbytes += size
        while self._over_budget():
            self._thin()

    def _over_budget(self) -> bool:
        if len(self._entries) <= 2:
            return False  # the first and the newest are always kept
        return len(self._entries) > self.budget_frames or self._nbytes > self.budget_bytes

    def _thin(self) -> None:
        """Double the stride: keep the multiples of it, and the newest."""
        self._stride *= 2
        newest = self._entries[-1]
        self._entries = [e for e in self._entries[:-1] if e[0] % self._stride == 0] + [newest]
        self._nbytes = sum(e[2] for e in self._entries)

    # ------------------------------------------------------------------ reading

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, index: int) -> Snapshot:
        return self._entries[index][1]

    def __iter__(self) -> Iterator[Snapshot]:
        return (entry[1] for entry in self._entries)

    @property
    def nbytes(self) -> int:
        """Bytes of arrays held by the kept snapshots."""
        return self._nbytes

    @property
    def stride(self) -> int:
        """How many arrivals apart the kept snapshots are (1 until the first thinning)."""
        return self._stride

    def steps(self) -> np.ndarray:
        """The training step of each kept snapshot (int64, strictly increasing)."""
        return np.array([entry[1].step for entry in self._entries], dtype=np.int64)

    def index_of_step(self, step: int) -> int:
        """Index of the kept snapshot nearest to ``step`` (the earlier one on a tie)."""
        steps = self.steps()
        if not len(steps):
            raise IndexError("the history is empty")
        return nearest_index(steps, step)


def nearest_index(steps: np.ndarray, step: int) -> int:
    """Index of the value of ``steps`` (increasing, not empty) nearest to ``step``, the earlier
    one on a tie."""
    after = int(np.searchsorted(steps, step))
    if after == 0:
        return 0
    if after == len(steps):
        return len(steps) - 1
    return after if steps[after] - step < step - steps[after - 1] else after - 1
