"""The drawing model: brush strokes, eraser, blobs, classes, undo/redo, save/load (no Qt)."""

import math

import numpy as np
import pytest

from advplay.core.drawing import MAX_UNDO, Drawing
from advplay.core.drawn import DEFAULT_BOUNDS, MAX_CLASSES
from advplay.core.errors import ConfigError

RADIUS = 0.2


def distance_to_polyline(points: np.ndarray, polyline: np.ndarray) -> np.ndarray:
    """Distance of each point (n, 2) to the nearest segment of a polyline (m, 2)."""
    starts, ends = polyline[:-1], polyline[1:]  # (m-1, 2)
    direction = ends - starts
    length2 = np.maximum((direction ** 2).sum(axis=1), 1e-12)
    t = ((points[:, None, :] - starts[None]) * direction[None]).sum(axis=2) / length2
    nearest = starts[None] + np.clip(t, 0, 1)[..., None] * direction[None]  # (n, m-1, 2)
    return np.linalg.norm(points[:, None, :] - nearest, axis=2).min(axis=1)


def stroke(drawing, polyline, label=0, radius=RADIUS, strength=1.0):
    drawing.begin_stroke()
    for x, y in polyline:
        drawing.paint(x, y, radius, strength, label)
    drawing.end_stroke()


def cell_diagonal(drawing):
    return math.hypot(*drawing.cell)


def test_a_stroke_samples_lie_within_the_brush_footprint():
    drawing = Drawing()
    # few, far-apart points: the stroke must be joined between them, not dotted
    polyline = np.array([[-1.5, -1.0], [0.0, 1.2], [1.4, -0.5]])
    stroke(drawing, polyline)
    points, labels = drawing.target().sample(20_000, np.random.default_rng(0))
    assert labels is None
    inside = distance_to_polyline(points, polyline) <= RADIUS + cell_diagonal(drawing)
    assert inside.mean() >= 0.99
    # continuous: every stretch of the stroke holds ink
    along = np.linspace(0, 1, 50)[:, None]
    for start, end in zip(polyline[:-1], polyline[1:]):
        probe = start + along * (end - start)
        assert np.all(np.isfinite(drawing.target().log_prob(probe)))


def test_stroke_ink_does_not_depend_on_how_many_mouse_events_arrive():
    coarse, fine = Drawing(), Drawing()
    stroke(coarse, [(-1.0, 0.0), (1.0, 0.0)])
    stroke(fine, np.stack([np.linspace(-1, 1, 400), np.zeros(400)], axis=1))
    assert fine.total_mass() == pytest.approx(coarse.total_mass(), rel=0.1)


def test_erase_removes_mass_and_undo_restores_it_exactly():
    drawing = Drawing()
    stroke(drawing, [(-1.0, 0.0), (1.0, 0.0)])
    painted = drawing.grid.copy()
    drawing.begin_stroke()
    drawing.erase(0.0, 0.0, 0.5, 1.0)
    drawing.end_stroke()
    assert drawing.total_mass() < 0.8 * np.sum(painted) * np.prod(drawing.cell)
    assert drawing.grid[0, 64, 64] < 0.01 * painted[0, 64, 64]  # full strength clears the centre
    assert np.all(drawing.grid >= 0)
    erased = drawing.grid.copy()
    assert drawing.undo()
    np.testing.assert_array_equal(drawing.grid, painted)
    assert drawing.can_redo
    assert drawing.redo()
    np.testing.assert_array_equal(drawing.grid, erased)
    assert not drawing.can_redo


def test_undo_steps_through_strokes_and_a_new_stroke_drops_redo():
    drawing = Drawing()
    assert not drawing.can_undo and not drawing.undo()
    stroke(drawing, [(-1.0, 0.0)])
    first = drawing.grid.copy()
    stroke(drawing, [(1.0, 0.0)])
    drawing.undo()
    np.testing.assert_array_equal(drawing.grid, first)
    drawing.undo()
    assert drawing.is_empty() and not drawing.can_undo
    drawing.redo()
    stroke(drawing, [(0.0, 1.0)])
    assert not drawing.can_redo


def test_history_is_bounded():
    drawing = Drawing()
    for index in range(MAX_UNDO + 10):
        stroke(drawing, [(-1.5 + index * 0.05, 0.0)])
    undone = 0
    while drawing.undo():
        undone += 1
    assert undone == MAX_UNDO


def test_classes_give_labels_by_side():
    drawing = Drawing()
    stroke(drawing, [(-1.5, -1.0), (-1.0, 1.0)], label=0)
    stroke(drawing, [(1.0, -1.0), (1.5, 1.0)], label=2)
    assert drawing.used_classes() == [0, 2]
    assert drawing.density.shape == (3, 128, 128)
    target = drawing.target()
    assert target.n_classes == 3
    points, labels = target.sample(5_000, np.random.default_rng(1))
    assert set(np.unique(labels)) == {0, 2}
    np.testing.assert_array_equal(labels == 2, points[:, 0] > 0)


def test_points_tool_adds_one_blob_of_the_given_mass():
    drawing = Drawing()
    drawing.add_blob(0.5, -0.5, 0.1, 2.0, label=1)
    assert drawing.total_mass() == pytest.approx(2.0)
    assert drawing.used_classes() == [1]
    points, labels = drawing.target().sample(2_000, np.random.default_rng(2))
    assert np.all(labels == 1)
    assert np.abs(points.mean(axis=0) - [0.5, -0.5]).max() < 0.02
    assert drawing.can_undo  # a lone call is its own undo step
    drawing.undo()
    assert drawing.is_empty()


def test_clear_is_undoable():
    drawing = Drawing()
    stroke(drawing, [(-1.0, 0.0), (1.0, 1.0)], label=3)
    painted = drawing.grid.copy()
    drawing.clear()
    assert drawing.is_empty()
    drawing.undo()
    np.testing.assert_array_equal(drawing.grid, painted)
    drawing.redo()
    assert drawing.is_empty()


def test_set_density_replaces_grid_and_bounds_undoably():
    drawing = Drawing()
    stroke(drawing, [(0.0, 0.0)])
    painted = drawing.grid.copy()
    density = np.random.default_rng(3).random((2, 64, 64))
    drawing.set_density(density, (0.0, 1.0, 0.0, 1.0))
    assert drawing.shape == (64, 64) and drawing.bounds == (0.0, 1.0, 0.0, 1.0)
    np.testing.assert_array_equal(drawing.density, density)
    drawing.undo()
    assert drawing.bounds == DEFAULT_BOUNDS
    np.testing.assert_array_equal(drawing.grid, painted)
    with pytest.raises(ConfigError):
        drawing.set_density(-density, DEFAULT_BOUNDS)


def test_save_then_load_gives_the_same_drawing(tmp_path):
    drawing = Drawing(bounds=(-3.0, 3.0, -1.0, 5.0))
    stroke(drawing, [(-2.0, 0.0), (2.0, 4.0)], label=0)
    drawing.add_blob(1.0, 1.0, 0.2, 1.0, label=4)
    path = tmp_path / "drawing.npz"
    drawing.save(path)
    loaded = Drawing.load(path)
    assert loaded.bounds == drawing.bounds
    # the file stores float32
    np.testing.assert_array_equal(loaded.density, drawing.density.astype(np.float32))
    assert loaded.density.shape == (5, 128, 128)
    assert not loaded.can_undo


def test_empty_drawing_has_no_target():
    drawing = Drawing()
    assert drawing.is_empty() and drawing.used_classes() == []
    assert drawing.density.shape == (1, 128, 128)
    with pytest.raises(ConfigError, match="paint"):
        drawing.target()


def test_bad_label_is_refused():
    with pytest.raises(ValueError):
        Drawing().paint(0.0, 0.0, RADIUS, 1.0, MAX_CLASSES)
