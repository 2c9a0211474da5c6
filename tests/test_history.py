"""SnapshotHistory: every frame up to a budget, then evenly thinned, first and newest kept."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advplay.core.history import SnapshotHistory, snapshot_nbytes
from advplay.core.snapshot import Snapshot, frozen_array


def make_snapshot(step: int, surface: int = 4) -> Snapshot:
    """A small but complete snapshot; ``surface`` sets how many bytes it holds."""
    grid = frozen_array(np.full((surface, surface), step % 7))
    points = frozen_array(np.zeros((3, 2)))
    return Snapshot(
        step=step, bounds=(-1.0, 1.0, -1.0, 1.0), losses={"d": 1.0, "g": 0.5}, metrics={},
        discriminator_output=grid, discriminator_logit=grid, real=points, real_labels=None,
        fake=points, fake_gradients=points, manifold=frozen_array(np.zeros((1, 2, 2))),
        history_steps=frozen_array([step], np.int64), history_losses=frozen_array([[1.0, 0.5]]),
        metric_steps=frozen_array([], np.int64),
        metric_history={"js_grid": frozen_array([0.1, 0.2])})


def test_keeps_every_frame_within_budget():
    history = SnapshotHistory(budget_frames=10)
    for step in range(10):
        history.append(make_snapshot(step * 5))
    assert len(history) == 10
    assert history.steps().tolist() == list(range(0, 50, 5))
    assert history.stride == 1
    assert [snapshot.step for snapshot in history] == history.steps().tolist()
    assert history[-1].step == 45


def test_thinning_keeps_first_and_newest_evenly_spaced():
    history = SnapshotHistory(budget_frames=10)
    for step in range(37):
        history.append(make_snapshot(step))
    steps = history.steps()
    assert len(steps) <= 10
    assert steps[0] == 0 and steps[-1] == 36
    gaps = np.diff(steps[:-1])
    assert len(set(gaps.tolist())) == 1 and gaps[0] == history.stride > 1


def test_byte_budget_bounds_memory():
    one = snapshot_nbytes(make_snapshot(0, surface=32))
    assert one >= 2 * 32 * 32 * 4  # both surfaces counted
    history = SnapshotHistory(budget_frames=1000, budget_bytes=5 * one)
    for step in range(40):
        history.append(make_snapshot(step, surface=32))
        assert history.nbytes <= 5 * one
    assert history.nbytes == sum(snapshot_nbytes(s) for s in history)
    assert history.steps()[0] == 0 and history.steps()[-1] == 39


def test_same_step_replaces_newest_and_older_step_is_refused():
    history = SnapshotHistory(budget_frames=4)
    history.append(make_snapshot(0))
    replacement = make_snapshot(0)
    history.append(replacement)
    assert len(history) == 1 and history[0] is replacement
    for step in range(1, 20):
        history.append(make_snapshot(step))
    assert history[0] is replacement  # the replaced first frame is still the first
    with pytest.raises(ValueError, match="clear the history"):
        history.append(make_snapshot(3))
    history.clear()
    history.append(make_snapshot(3))
    assert history.steps().tolist() == [3]


def test_index_of_step_finds_the_nearest_frame():
    history = SnapshotHistory()
    for step in (0, 10, 20, 40):
        history.append(make_snapshot(step))
    assert [history.index_of_step(s) for s in (-5, 0, 4, 5, 6, 29, 31, 99)] == \
        [0, 0, 0, 0, 1, 2, 3, 3]
    with pytest.raises(IndexError):
        SnapshotHistory().index_of_step(0)


def test_budget_must_hold_two_frames():
    with pytest.raises(ValueError):
        SnapshotHistory(budget_frames=1)
    with pytest.raises(ValueError):
        SnapshotHistory(budget_bytes=0)


@settings(max_examples=150, deadline=None)
@given(budget=st.integers(2, 12), gaps=st.lists(st.integers(0, 3), min_size=1, max_size=80),
       sizes=st.lists(st.sampled_from([2, 4, 8]), min_size=80, max_size=80),
       byte_frames=st.integers(2, 20))
def test_thinning_property(budget, gaps, sizes, byte_frames):
    """Whatever arrives: everything is kept until a budget is reached; then within both
    budgets (unless only first and newest remain), the first and the newest snapshot are kept,
    steps increase, and the kept frames are a subsequence of the arrivals."""
    byte_budget = byte_frames * snapshot_nbytes(make_snapshot(0, surface=4))
    history = SnapshotHistory(budget_frames=budget, budget_bytes=byte_budget)
    step, first, arrived, ever_over = 0, None, [], False
    for gap, size in zip(gaps, sizes):
        step += gap
        snapshot = make_snapshot(step, surface=size)
        history.append(snapshot)
        if arrived and arrived[-1].step == step:
            arrived[-1] = snapshot
        else:
            arrived.append(snapshot)
        first = arrived[0]
        ever_over |= len(arrived) > budget or sum(map(snapshot_nbytes, arrived)) > byte_budget
        kept = list(history)
        assert kept[0] is first and kept[-1] is snapshot
        assert len(kept) <= budget
        assert history.nbytes <= byte_budget or len(kept) <= 2
        assert np.all(np.diff(history.steps()) > 0)
        positions = [next(i for i, a in enumerate(arrived) if a is k) for k in kept]
        assert positions == sorted(positions)
        if not ever_over:
            assert kept == arrived  # nothing is dropped before a budget is reached


def test_history_and_export_writers_import_without_qt():
    """The history is core (Qt-free); the writers and options need no Qt either, so the CLI
    checks --export before training without loading Qt."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent("""
        import importlib.abc, sys

        class NoQt(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {"PySide6", "shiboken6", "pyqtgraph"}:
                    raise ImportError(name + " is blocked for this test")

        sys.meta_path.insert(0, NoQt())
        import advplay.core.history, advplay.export, advplay.export.writers, advplay.cli
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
