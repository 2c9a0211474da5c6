"""Frames of two runs trained side by side (the app's View > Compare), paired by step.

Each run keeps its own snapshot history; the two workers train at their own speed, so their
frames arrive at different steps. :func:`align_by_step` pairs every frame of the left run
with the right run's frame nearest in step, over the steps both runs have reached, and the
frame renderer draws a :class:`ComparedFrame` as two data views side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from advplay.core.history import nearest_index

#: the export layout that shows both runs of a comparison (not a choice for one run)
COMPARE_PANELS = "data+compare"
COMPARE_LABEL = "Both runs side by side"


@dataclass(frozen=True)
class ComparedFrame:
    """One frame of a comparison: the left run's snapshot and the right run's nearest one."""

    left: object
    right: object

    @property
    def step(self) -> int:
        """The frame's step: the left run's (the right one is the nearest it has)."""
        return self.left.step


def align_by_step(left: Sequence, right: Sequence) -> list[ComparedFrame]:
    """Pair each snapshot of ``left`` with the snapshot of ``right`` nearest in step.

    Only the steps both runs have reached are kept: left frames past the right run's last
    step are dropped (a slower right run would otherwise be frozen in them), so the result
    is a prefix of ``left``, one pair per left frame. Both sequences are in step order.
    """
    if not len(left) or not len(right):
        return []
    right_steps = np.array([snapshot.step for snapshot in right], dtype=np.int64)
    pairs = []
    for snapshot in left:
        if snapshot.step > right_steps[-1] and pairs:
            break
        pairs.append(ComparedFrame(snapshot, right[nearest_index(right_steps, snapshot.step)]))
    return pairs
