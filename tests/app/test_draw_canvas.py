"""The drawing canvas and its tools, driven by real mouse and key events (offscreen).

Mouse events go to ``canvas.viewport()``, the widget of a QGraphicsView that receives them,
through qtbot (QTest), which remembers the pressed button so moves carry it.
"""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import math  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PySide6 import QtCore  # noqa: E402

from advplay.app.draw_canvas import CLASS_COLORS, DrawCanvas, compose_rgba  # noqa: E402
from advplay.app.draw_tools import DrawTools  # noqa: E402
from advplay.core.drawing import Drawing  # noqa: E402

LEFT, RIGHT = QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.MouseButton.RightButton
NO_MODIFIER = QtCore.Qt.KeyboardModifier.NoModifier
RADIUS = 0.2


@pytest.fixture
def canvas(qtbot):
    canvas = DrawCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(600, 600)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.set_brush(RADIUS, 0.5)
    return canvas


@pytest.fixture
def tools(qtbot, canvas):
    tools = DrawTools(canvas)
    qtbot.addWidget(tools)
    tools.show()
    qtbot.waitExposed(tools)
    return tools


def pixel(canvas, x, y) -> QtCore.QPoint:
    """The viewport pixel showing data point (x, y)."""
    return canvas.mapFromScene(canvas.plot.vb.mapViewToScene(QtCore.QPointF(x, y)))


def drag(qtbot, canvas, polyline, button=LEFT, steps=4):
    """Press at the first point, move through the rest (``steps`` events per segment), release."""
    viewport = canvas.viewport()
    qtbot.mousePress(viewport, button, NO_MODIFIER, pixel(canvas, *polyline[0]))
    for start, end in zip(polyline[:-1], polyline[1:]):
        for fraction in np.linspace(0, 1, steps + 1)[1:]:
            x, y = np.asarray(start) + fraction * (np.asarray(end) - np.asarray(start))
            qtbot.mouseMove(viewport, pixel(canvas, x, y))
    qtbot.mouseRelease(viewport, button, NO_MODIFIER, pixel(canvas, *polyline[-1]))


def click(qtbot, canvas, x, y, button=LEFT):
    qtbot.mouseClick(canvas.viewport(), button, NO_MODIFIER, pixel(canvas, x, y))


def distance_to_polyline(points, polyline):
    starts, ends = polyline[:-1], polyline[1:]
    direction = ends - starts
    length2 = (direction ** 2).sum(axis=1)
    t = ((points[:, None] - starts[None]) * direction[None]).sum(axis=2) / length2
    nearest = starts[None] + np.clip(t, 0, 1)[..., None] * direction[None]
    return np.linalg.norm(points[:, None] - nearest, axis=2).min(axis=1)


def test_names_and_tooltips(canvas, tools):
    assert canvas.objectName() == "drawCanvas" and tools.objectName() == "drawTools"
    for label in range(8):
        button = tools.findChild(type(tools.undo_button), f"classButton{label}")
        assert button.toolTip() == f"Class {label} (key {label + 1})"
    assert all(button.toolTip() for button in tools.tool_buttons.values())
    assert tools.radius_spin.toolTip() and tools.strength_spin.toolTip()


def test_the_view_shows_the_bounds_and_does_not_pan(canvas):
    (x_min, x_max), (y_min, y_max) = canvas.plot.vb.viewRange()
    assert x_min <= -2 + 1e-6 and x_max >= 2 - 1e-6 and y_min <= -2 + 1e-6 and y_max >= 2 - 1e-6
    assert min(x_max - x_min, y_max - y_min) == pytest.approx(4.0)  # tight on one axis
    assert canvas.plot.vb.state["mouseEnabled"] == [False, False]


def test_a_left_drag_paints_a_stroke_within_the_brush_footprint(qtbot, canvas):
    polyline = np.array([[-1.5, -1.0], [0.0, 1.0], [1.5, -0.5]])
    drag(qtbot, canvas, polyline)
    drawing = canvas.drawing
    assert not drawing.in_stroke and drawing.can_undo
    points, labels = drawing.target().sample(20_000, np.random.default_rng(0))
    # a pixel of mouse position error is far below a cell here (600 px over 4 units)
    reach = RADIUS + math.hypot(*drawing.cell)
    assert (distance_to_polyline(points, polyline) <= reach).mean() >= 0.99
    # the stroke reaches both ends
    for end in polyline[[0, -1]]:
        assert np.linalg.norm(points - end, axis=1).min() < 0.1
    drawing.undo()
    assert drawing.is_empty()  # the whole drag was one undo step


def test_right_drag_erases_and_the_undo_button_restores(qtbot, canvas, tools):
    drag(qtbot, canvas, np.array([[-1.5, 0.0], [1.5, 0.0]]))
    painted = canvas.drawing.grid.copy()
    mass = canvas.drawing.total_mass()
    assert tools.undo_button.isEnabled()
    drag(qtbot, canvas, np.array([[0.0, -1.0], [0.0, 1.0]]), button=RIGHT)
    assert canvas.drawing.total_mass() < 0.95 * mass
    assert canvas.drawing.target().log_prob(np.array([[0.0, 0.0]]))[0] < \
        canvas.drawing.target().log_prob(np.array([[-1.0, 0.0]]))[0] - 2
    qtbot.mouseClick(tools.undo_button, LEFT)
    np.testing.assert_array_equal(canvas.drawing.grid, painted)
    assert tools.redo_button.isEnabled()
    qtbot.mouseClick(tools.redo_button, LEFT)
    assert canvas.drawing.total_mass() < 0.95 * mass


def test_clear_button_clears_and_undo_brings_the_drawing_back(qtbot, canvas, tools):
    assert not tools.clear_button.isEnabled()
    drag(qtbot, canvas, np.array([[-1.0, -1.0], [1.0, 1.0]]))
    painted = canvas.drawing.grid.copy()
    qtbot.mouseClick(tools.clear_button, LEFT)
    assert canvas.drawing.is_empty() and not tools.clear_button.isEnabled()
    assert not canvas.image.image.any()  # the picture follows
    qtbot.mouseClick(tools.undo_button, LEFT)
    np.testing.assert_array_equal(canvas.drawing.grid, painted)
    assert canvas.image.image[..., 3].max() == 255


def test_class_buttons_choose_the_label(qtbot, canvas, tools):
    drag(qtbot, canvas, np.array([[-1.5, -1.0], [-1.0, 1.0]]))
    qtbot.mouseClick(tools.class_buttons[2], LEFT)
    assert canvas.label == 2 and tools.class_buttons[2].isChecked()
    assert not tools.class_buttons[0].isChecked()
    drag(qtbot, canvas, np.array([[1.0, -1.0], [1.5, 1.0]]))
    target = canvas.drawing.target()
    assert target.n_classes == 3
    points, labels = target.sample(5_000, np.random.default_rng(1))
    np.testing.assert_array_equal(labels == 2, points[:, 0] > 0)
    assert set(np.unique(labels)) == {0, 2}


def test_points_tool_adds_one_blob_per_click(qtbot, canvas, tools):
    qtbot.mouseClick(tools.tool_buttons["points"], LEFT)
    assert canvas.tool == "points"
    clicks = [(-1.0, 1.0), (1.0, 1.0), (0.0, -1.0)]
    masses = []
    for x, y in clicks:
        click(qtbot, canvas, x, y)
        masses.append(canvas.drawing.total_mass())
    assert np.allclose(np.diff([0.0] + masses), masses[0])  # equal blobs, one each
    points, _ = canvas.drawing.target().sample(3_000, np.random.default_rng(2))
    nearest = np.linalg.norm(points[:, None] - np.array(clicks)[None], axis=2)
    assert nearest.min(axis=1).max() < RADIUS  # every sample near a click
    assert np.bincount(nearest.argmin(axis=1), minlength=3).min() > 800
    canvas.undo()
    assert canvas.drawing.total_mass() == pytest.approx(masses[1])


def test_drawing_changed_fires_after_strokes_undo_and_clear_and_is_rate_limited(qtbot, canvas):
    emitted = []
    canvas.drawing_changed.connect(lambda: emitted.append(canvas.drawing.in_stroke))
    started = time.monotonic()
    drag(qtbot, canvas, np.array([[-1.5, 0.0], [1.5, 0.0]]), steps=60)
    elapsed = time.monotonic() - started
    assert emitted and emitted[-1] is False  # the last one after the stroke ended
    assert len(emitted) <= 2 + 10 * elapsed  # 60 moves, at most 10 live updates a second
    for action in (canvas.undo, canvas.redo, canvas.clear):
        with qtbot.waitSignal(canvas.drawing_changed, timeout=100):
            action()
    assert canvas.drawing.is_empty()
    assert canvas.plot in canvas.ci.items  # clear() empties the drawing, not the layout
    with qtbot.waitSignal(canvas.drawing_changed, timeout=100):
        canvas.set_drawing(Drawing())


def test_brush_cursor_follows_the_mouse(qtbot, canvas):
    qtbot.mouseMove(canvas.viewport(), pixel(canvas, 0.5, -0.5))
    assert canvas.cursor.isVisible()
    rect = canvas.cursor.rect()
    assert rect.center().x() == pytest.approx(0.5, abs=0.02)
    assert rect.center().y() == pytest.approx(-0.5, abs=0.02)
    assert rect.width() == pytest.approx(2 * RADIUS)
    assert canvas.drawing.is_empty()  # moving without a button paints nothing


def test_keyboard_shortcuts_pick_tool_class_and_radius(qtbot, canvas, tools):
    canvas.activateWindow()
    canvas.setFocus()
    qtbot.keyClick(canvas, "e")
    assert canvas.tool == "eraser" and tools.tool_buttons["eraser"].isChecked()
    qtbot.keyClick(canvas, "4")
    assert canvas.label == 3 and tools.class_buttons[3].isChecked()
    radius = canvas.brush[0]
    qtbot.keyClick(canvas, "]")
    assert canvas.brush[0] > radius
    qtbot.keyClick(canvas, "[")
    qtbot.keyClick(canvas, "[")
    assert canvas.brush[0] < radius


def test_compose_rgba_colours_each_class():
    density = np.zeros((3, 4, 4))
    density[0, 0, 0], density[2, 3, 3], density[1, 1, 1] = 2.0, 0.5, 0.0
    rgba = compose_rgba(density)
    assert rgba.shape == (4, 4, 4) and rgba.dtype == np.uint8
    assert tuple(rgba[0, 0, :3]) == CLASS_COLORS[0] and rgba[0, 0, 3] == 255
    assert tuple(rgba[3, 3, :3]) == CLASS_COLORS[2] and 0 < rgba[3, 3, 3] < 255
    assert rgba[1, 1, 3] == 0
    assert not compose_rgba(np.zeros((1, 4, 4))).any()


def test_typing_a_radius_does_not_trigger_class_shortcuts(qtbot, canvas, tools):
    tools.activateWindow()
    tools.radius_spin.setFocus()
    tools.radius_spin.selectAll()
    qtbot.keyClicks(tools.radius_spin, "0.4")
    assert canvas.label == 0
    assert canvas.brush[0] == pytest.approx(0.4)
