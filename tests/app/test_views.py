"""Widget tests of the data view and the curves view, drawn from real and hand-made snapshots."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import dataclasses  # noqa: E402

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
import pytest  # noqa: E402
from PySide6 import QtCore  # noqa: E402

from advplay.app.curves_view import MAX_CURVE_POINTS, CurvesView, moving_average, round_up  # noqa: E402,E501
from advplay.app.data_view import ARROW_FRACTION, LAYERS, MAX_ARROWS, DataView  # noqa: E402
from advplay.app.layer_geometry import (  # noqa: E402
    ARROW_CAP, contour_segments, contour_segments_by_level, polyline_connect, rgba_lut,
    surface_rgba, surface_style,
)
from advplay.core.config import Config  # noqa: E402
from advplay.core.session import Session  # noqa: E402


@pytest.fixture(scope="module")
def snapshot():
    """A real snapshot of the default experiment (8-Gaussian ring) after 20 steps."""
    session = Session(Config())
    session.step(20)
    return session.snapshot()


@pytest.fixture
def data_view(qtbot):
    view = DataView()
    qtbot.addWidget(view)
    return view


@pytest.fixture
def curves_view(qtbot):
    view = CurvesView()
    qtbot.addWidget(view)
    return view


def replaced(snapshot, **changes):
    """A copy of ``snapshot`` with some fields changed (arrays made read-only like the core's)."""
    for value in changes.values():
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
    return dataclasses.replace(snapshot, **changes)


# ---------------------------------------------------------------------------- data view


def test_views_have_the_object_names_automation_relies_on(data_view, curves_view):
    assert data_view.objectName() == "dataView"
    assert curves_view.objectName() == "curvesView"


def test_surface_image_is_the_snapshot_surface_and_the_toggle_switches_it(data_view, snapshot):
    data_view.show_snapshot(snapshot)
    np.testing.assert_array_equal(data_view.surface_values, snapshot.discriminator_output)
    assert data_view.surface_image.image.shape == (*snapshot.discriminator_output.shape, 4)
    assert data_view.color_bar.levels() == (0.0, 1.0)  # a sigmoid D: probabilities

    data_view.set_surface("logit")
    assert data_view.surface == "logit"
    np.testing.assert_array_equal(data_view.surface_values, snapshot.discriminator_logit)
    low, high = data_view.color_bar.levels()
    assert low == -high and high > 0  # centred at logit 0
    with pytest.raises(ValueError, match="output, logit"):
        data_view.set_surface("probability")


def test_surface_covers_the_bounds_without_flip_or_transpose(data_view, snapshot, qtbot):
    """A hot block in the top-left cells (high rows = high y, low columns = low x) must be
    painted in the top-left of the plot, and nowhere else."""
    bounds = (-3.0, 1.0, 0.0, 2.0)  # unequal sides, so a transpose would show too
    surface = np.zeros((16, 32), dtype=np.float32)  # (H, W): row = y, column = x
    surface[12:, :8] = 1.0
    logit = np.where(surface > 0.5, 5.0, -5.0).astype(np.float32)
    picture = replaced(snapshot, bounds=bounds, discriminator_output=surface,
                       discriminator_logit=logit)
    for name in LAYERS:
        data_view.set_layer_visible(name, name == "surface")
    data_view.resize(500, 400)
    data_view.show()
    qtbot.waitExposed(data_view)
    data_view.show_snapshot(picture)

    image = data_view.surface_image
    rect = image.mapRectToView(image.boundingRect())
    assert (rect.left(), rect.right(), rect.top(), rect.bottom()) == pytest.approx(
        (-3.0, 1.0, 0.0, 2.0))
    corner = image.mapToView(QtCore.QPointF(0.5, 12.5))  # centre of cell (column 0, row 12)
    assert (corner.x(), corner.y()) == pytest.approx((-3.0 + 0.5 * 4 / 32, 0.0 + 12.5 * 2 / 16))
    assert data_view.surface_values[12, 0] == 1.0 and data_view.surface_values[0, 31] == 0.0

    frame = data_view.grab().toImage()

    def colour_at(x, y):
        scene = data_view.plot.vb.mapViewToScene(QtCore.QPointF(x, y))
        pixel = data_view.mapFromScene(scene)
        colour = frame.pixelColor(pixel.x(), pixel.y())
        return colour.red(), colour.blue()

    red, blue = colour_at(-2.5, 1.75)  # inside the hot block: the "real" (red) end
    assert red > 2 * blue
    for x, y in ((0.5, 1.75), (-2.5, 0.25), (0.5, 0.25)):  # the other three corners
        red, blue = colour_at(x, y)
        assert blue > 2 * red, (x, y)


def test_surface_colours_follow_the_colour_map_and_levels_and_skip_non_finite_values():
    colormap = pg.ColorMap([0.0, 1.0], [(0, 0, 255), (255, 0, 0)])
    lut = rgba_lut(colormap)
    assert lut.shape == (257, 4) and tuple(lut[-1]) == (0, 0, 0, 0)
    values = np.array([[-1.0, 0.0, 0.5], [1.0, 2.0, np.nan], [np.inf, -np.inf, 0.999]])
    rgba = surface_rgba(values, (0.0, 1.0), lut)
    assert rgba.shape == (3, 3, 4) and rgba.dtype == np.uint8
    np.testing.assert_array_equal(rgba[0, 0], lut[0])  # below the range: the low end
    np.testing.assert_array_equal(rgba[0, 1], lut[0])
    np.testing.assert_array_equal(rgba[0, 2], lut[128])  # the middle colour
    np.testing.assert_array_equal(rgba[1, 0], lut[255])  # the top of the range...
    np.testing.assert_array_equal(rgba[1, 1], lut[255])  # ...and beyond it
    assert rgba[1, 2, 3] == rgba[2, 0, 3] == rgba[2, 1, 3] == 0  # NaN, inf: transparent
    assert rgba[2, 2, 0] > 250 and rgba[2, 2, 3] == 255


def test_a_new_surface_colour_map_recolours_the_surface_and_the_bar(data_view, snapshot):
    data_view.show_snapshot(snapshot)
    grey = pg.ColorMap([0.0, 1.0], [(0, 0, 0), (255, 255, 255)])
    data_view.set_surface_colormap(grey)
    rgba = data_view.surface_image.image
    assert (rgba[..., 0] == rgba[..., 1]).all() and (rgba[..., 1] == rgba[..., 2]).all()
    assert data_view.color_bar.colorMap() is grey


def test_scatters_hold_the_real_and_generated_points(data_view, snapshot):
    data_view.show_snapshot(snapshot)
    x, y = data_view.fake_scatter.getData()
    np.testing.assert_allclose(np.stack([x, y], axis=1), snapshot.fake)
    x, y = data_view.real_scatter.getData()
    np.testing.assert_allclose(np.stack([x, y], axis=1), snapshot.real)
    # real samples are tinted by class: the item holds their labels, one colour group each
    np.testing.assert_array_equal(data_view.real_scatter.labels, snapshot.real_labels)
    assert len(data_view.real_scatter.group_colors()) == len(np.unique(snapshot.real_labels))


def test_one_class_can_be_shown_alone(data_view, snapshot):
    labels = np.arange(len(snapshot.fake)) % 3
    data_view.show_snapshot(replaced(snapshot, fake_labels=labels))
    assert set(data_view.fake_scatter.labels.tolist()) == {0, 1, 2}
    data_view.set_visible_class(1)
    x, y = data_view.fake_scatter.getData()
    np.testing.assert_allclose(np.stack([x, y], axis=1), snapshot.fake[labels == 1])
    assert set(data_view.real_scatter.labels.tolist()) == {1}
    data_view.set_visible_class(None)
    assert len(data_view.fake_scatter.getData()[0]) == len(snapshot.fake)


def test_non_finite_samples_are_left_out_not_drawn(data_view, snapshot):
    fake = np.array(snapshot.fake)
    fake[:5] = np.nan
    data_view.show_snapshot(replaced(snapshot, fake=fake))
    x, _ = data_view.fake_scatter.getData()
    assert len(x) == len(fake) - 5
    segments = np.stack(data_view.gradient_lines.getData(), axis=1)
    assert np.isfinite(segments).all()


def test_gradient_arrows_point_where_the_generator_moves(data_view, snapshot):
    data_view.show_snapshot(snapshot)
    segments = np.stack(data_view.gradient_lines.getData(), axis=1)
    count = min(MAX_ARROWS, len(snapshot.fake))
    assert len(segments) == 3 * 2 * count  # shaft + two head barbs, two ends each
    tails, tips = segments[0:2 * count:2], segments[1:2 * count:2]
    np.testing.assert_allclose(tails, snapshot.fake[:count], rtol=1e-6)
    drawn = tips - tails
    descent = -snapshot.fake_gradients[:count].astype(np.float64)
    moving = np.linalg.norm(descent, axis=1) > 0
    cosine = np.sum(drawn * descent, axis=1)[moving] / (
        np.linalg.norm(drawn, axis=1) * np.linalg.norm(descent, axis=1))[moving]
    assert cosine.min() > 0.999
    x_min, x_max, y_min, y_max = snapshot.bounds
    longest = ARROW_CAP * ARROW_FRACTION * max(x_max - x_min, y_max - y_min)
    assert np.linalg.norm(drawn, axis=1).max() <= longest * (1 + 1e-6)


def test_manifold_is_one_item_of_separate_polylines(data_view, snapshot):
    data_view.show_snapshot(snapshot)
    lines, points, _ = snapshot.manifold.shape
    x, y = data_view.manifold_lines.getData()
    np.testing.assert_allclose(np.stack([x, y], axis=1), snapshot.manifold.reshape(-1, 2))
    connect = data_view.manifold_lines.opts["connect"]
    np.testing.assert_array_equal(connect, polyline_connect(lines, points))
    assert np.count_nonzero(~connect) == lines


def test_layer_toggles_hide_and_show_items_and_redraw_on_show(data_view, snapshot):
    data_view.show_snapshot(snapshot)
    toggled = []
    data_view.layer_toggled.connect(lambda name, visible: toggled.append((name, visible)))
    for name in LAYERS:
        data_view.set_layer_visible(name, False)
        assert not data_view.layer_visible(name)
        data_view.set_layer_visible(name, True)
        assert data_view.layer_visible(name)
    assert ("fake", False) in toggled and ("fake", True) in toggled
    data_view.set_layer_visible("surface", False)
    assert not data_view.surface_image.isVisible() and not data_view.color_bar.isVisible()
    data_view.set_layer_visible("surface", True)
    assert data_view.color_bar.isVisible()

    data_view.set_layer_visible("fake", False)
    moved = replaced(snapshot, fake=np.array(snapshot.fake) + 1.0)
    data_view.show_snapshot(moved)
    x, _ = data_view.fake_scatter.getData()
    np.testing.assert_allclose(x, snapshot.fake[:, 0])  # hidden: not redrawn
    data_view.set_layer_visible("fake", True)
    x, _ = data_view.fake_scatter.getData()
    np.testing.assert_allclose(x, moved.fake[:, 0])  # shown again: the latest snapshot
    with pytest.raises(ValueError, match="surface"):
        data_view.set_layer_visible("heatmap", True)


def test_target_density_layer_is_optional_and_normalised(data_view, snapshot):
    assert not data_view.layer_visible("density")  # hidden until asked for
    log_density = np.full((8, 10), -np.inf)
    log_density[2:5, 3:7] = np.linspace(-3.0, 2.0, 12).reshape(3, 4)
    data_view.set_layer_visible("density", True)
    data_view.set_target_density(log_density, (-1.0, 4.0, 0.0, 2.0))
    image = data_view.density_image.image
    assert image.shape == (8, 10) and image.max() == pytest.approx(1.0) and image.min() == 0.0
    assert image[4, 6] == pytest.approx(1.0)  # the peak stays where it was: no transpose
    rect = data_view.density_image.mapRectToView(data_view.density_image.boundingRect())
    assert (rect.left(), rect.right(), rect.top(), rect.bottom()) == pytest.approx(
        (-1.0, 4.0, 0.0, 2.0))
    data_view.set_target_density(np.zeros((32, 16)), (-1.0, 4.0, 0.0, 2.0))  # a finer grid
    rect = data_view.density_image.mapRectToView(data_view.density_image.boundingRect())
    assert (rect.left(), rect.right(), rect.top(), rect.bottom()) == pytest.approx(
        (-1.0, 4.0, 0.0, 2.0))
    data_view.set_target_density(None, (-1.0, 4.0, 0.0, 2.0))
    assert data_view.density_image.image is None


def test_signed_surfaces_get_a_colour_range_centred_at_zero(data_view, snapshot):
    critic = np.linspace(-7.0, 3.0, 128 * 128, dtype=np.float32).reshape(128, 128)
    # an identity-output loss (hinge here): output == logit, boundary at 0
    data_view.show_snapshot(replaced(snapshot, discriminator_output=critic,
                                     discriminator_logit=critic.copy(),
                                     output_is_probability=False, decision_level=0.0))
    low, high = data_view.color_bar.levels()
    assert low == -high and high >= np.quantile(np.abs(critic), 0.75)
    segments = np.stack(data_view.boundary_line.getData(), axis=1)
    assert len(segments) > 0  # the 0 level is highlighted


def test_contour_segments_follow_the_level():
    xs, ys = np.linspace(-2, 2, 101), np.linspace(-2, 2, 81)
    grid_x, grid_y = np.meshgrid(xs, ys)
    segments = contour_segments(grid_x**2 + grid_y**2, xs, ys, 1.0)
    radius = np.hypot(segments[:, 0], segments[:, 1])
    assert len(segments) % 2 == 0 and np.abs(radius - 1).max() < 1e-3
    saddle = grid_x * grid_y
    saddle[40, 50] = np.nan  # skipped, not propagated
    assert np.isfinite(contour_segments(saddle, xs, ys, 0.01)).all()
    assert len(contour_segments(np.zeros((5, 5)), xs[:5], ys[:5], 1.0)) == 0


def test_contour_segments_of_several_levels_are_each_levels_segments():
    xs, ys = np.linspace(-2, 2, 41), np.linspace(-2, 2, 31)
    grid_x, grid_y = np.meshgrid(xs, ys)

    def as_set(segments):
        return {tuple(np.round(pair.ravel(), 9)) for pair in segments.reshape(-1, 2, 2)}

    for values in (grid_x**2 + grid_y**2, grid_x * grid_y):  # the second has saddles at 0
        levels = [-0.5, 0.0, 0.25, 1.0]
        together = contour_segments(values, xs, ys, levels)
        apart = np.concatenate([contour_segments(values, xs, ys, level) for level in levels])
        assert len(together) == len(apart) > 0 and as_set(together) == as_set(apart)
    assert contour_segments(grid_x, xs, ys, []).shape == (0, 2)


def test_contours_by_level_are_each_levels_segments_in_level_order():
    xs, ys = np.linspace(-2, 2, 41), np.linspace(-2, 2, 31)
    grid_x, grid_y = np.meshgrid(xs, ys)
    levels = [-0.5, 0.0, 0.25, 9.0, 1.0]  # 9 is above every value: no segments
    for values in (grid_x**2 + grid_y**2, grid_x * grid_y):
        by_level = contour_segments_by_level(values, xs, ys, levels)
        assert len(by_level) == len(levels) and len(by_level[3]) == 0
        for level, segments in zip(levels, by_level):
            np.testing.assert_array_equal(np.sort(segments, axis=0),
                                          np.sort(contour_segments(values, xs, ys, level), axis=0))


def test_surface_style_for_probabilities_and_scores():
    logit = np.linspace(-4, 4, 64, dtype=np.float32).reshape(8, 8)
    probability = 1 / (1 + np.exp(-logit))
    assert surface_style(probability, True, 0.5)["levels"] == (0.0, 1.0)
    assert surface_style(probability, True, 0.5)["boundary"] == 0.5
    style = surface_style(logit, False, 0.0)
    assert style["boundary"] == 0.0 and style["levels"][0] == -style["levels"][1]
    assert surface_style(np.full((4, 4), np.nan), False, None)["levels"] == (-1.0, 1.0)


@pytest.mark.parametrize("loss, surface, label, level", [
    ("nonsaturating", "output", "D = 0.5", 0.5),
    ("nonsaturating", "logit", "logit = 0", 0.0),
    ("least_squares", "output", "D = 0.5", 0.5),
    ("hinge", "output", "D = 0", 0.0),
    ("wasserstein", "output", "no boundary (critic)", None),
])
def test_decision_boundary_follows_the_loss(data_view, loss, surface, label, level):
    session = Session(Config().replace({"model.loss": loss, "model.width": 32}))
    session.step(20)
    data_view.set_surface(surface)
    data_view.show_snapshot(session.snapshot())
    assert data_view.legend.getLabel(data_view.boundary_line).text == label
    xs, _ = data_view.boundary_line.getData()
    if level is None:
        assert xs is None or len(xs) == 0


@pytest.mark.parametrize("model, bar, legend", [
    ("avb", "rate, E T (nats)", "no boundary (rate)"),
    ("vae", "rate (nats)", "no boundary (rate)"),
    ("ratio", "log r(x)", "log r = 0"),
    ("ali", "D(x, E(x))", "D = 0.5"),
])
def test_the_surface_is_labelled_as_what_the_method_shows(data_view, model, bar, legend):
    changes = {"model.name": model, "model.width": 16, "model.depth": 1}
    if model == "ratio":
        changes["target.name"] = "gaussian"
    session = Session(Config().replace(changes))
    session.step(2)
    data_view.show_snapshot(session.snapshot())
    assert data_view.color_bar.getAxis("left").labelText == bar
    assert data_view.legend.getLabel(data_view.boundary_line).text == legend


def test_an_untrained_session_snapshot_draws(data_view, curves_view):
    first = Session(Config()).snapshot()  # step 0: empty loss history, NaN losses
    data_view.show_snapshot(first)
    curves_view.show_snapshot(first)
    steps, _ = curves_view.loss_curves["d"].getData()
    assert steps is None or len(steps) == 0


# ---------------------------------------------------------------------------- curves view


def test_curves_view_plots_the_loss_history(curves_view, snapshot):
    curves_view.show_snapshot(snapshot)
    assert list(curves_view.loss_curves) == list(snapshot.losses)
    for column, player in enumerate(snapshot.losses):
        steps, values = curves_view.loss_curves[player].getData()
        assert len(steps) == len(snapshot.history_steps)
        np.testing.assert_allclose(values, snapshot.history_losses[:, column])
        assert len(curves_view.loss_trends[player].getData()[0]) == len(snapshot.history_steps)


def test_curves_view_plots_the_metrics_present(curves_view):
    session = Session(Config())
    session.step(100)  # a second metric record
    snapshot = session.snapshot()
    curves_view.show_snapshot(snapshot)
    plotted = set(curves_view.metric_curves)
    assert {"modes_captured", "high_quality", "kl_grid", "js_grid"} <= plotted
    assert "n_modes" not in curves_view.metric_curves
    steps, fraction = curves_view.metric_curves["modes_captured"].getData()
    assert len(steps) == len(snapshot.metric_steps) and np.nanmax(fraction) <= 1.0
    assert curves_view.coverage_plot.isVisible() and curves_view.divergence_plot.isVisible()
    lowest = [curves_view.divergence_plot, curves_view.value_plot][curves_view.value_plot.isVisible()]
    assert _step_values_shown(curves_view) == [lowest]  # only under the lowest plot shown

    no_metrics = replaced(snapshot, metric_steps=np.zeros(0, dtype=np.int64), metric_history={})
    curves_view.show_snapshot(no_metrics)
    assert curves_view.metric_curves == {}
    assert not curves_view.coverage_plot.isVisible()
    assert _step_values_shown(curves_view) == [curves_view.loss_plot]


def test_metric_plots_are_left_alone_until_a_new_metric_record(curves_view, monkeypatch):
    session = Session(Config())
    session.step(100)
    first = session.snapshot()
    curves_view.show_snapshot(first)
    calls = []
    curve = curves_view.metric_curves["high_quality"]
    original = curve.setData
    monkeypatch.setattr(curve, "setData", lambda *a, **k: calls.append(1) or original(*a, **k))
    session.step(10)  # losses move on; no metric recorded (every 100 steps)
    later = session.snapshot()
    assert len(later.metric_steps) == len(first.metric_steps)
    curves_view.show_snapshot(later)
    assert calls == [] and len(curves_view.loss_curves["d"].getData()[0]) == 110
    session.step(90)
    curves_view.show_snapshot(session.snapshot())
    assert calls and len(curve.getData()[0]) == len(first.metric_steps) + 1


def _step_values_shown(view) -> list:
    """The plots whose step axis shows its values and its "step" label."""
    plots = (view.loss_plot, view.coverage_plot, view.divergence_plot, view.value_plot)
    return [plot for plot in plots if plot.getAxis("bottom").style["showValues"]
            and plot.getAxis("bottom").label.isVisible()]


def test_log_scale_shows_absolute_losses_and_skips_zeros(curves_view, snapshot):
    steps = np.arange(1, 7)
    history = np.array([[1.0, -2.0], [0.5, 0.0], [2.0, -0.1],
                        [1.5, 3.0], [0.7, -1.0], [1.2, 0.2]])  # signed, as a Wasserstein G loss
    signed = replaced(snapshot, history_steps=steps, history_losses=history)
    curves_view.show_snapshot(signed)
    curves_view.set_log_scale(True)
    assert curves_view.log_scale and curves_view.loss_plot.getAxis("left").logMode
    _, shown = curves_view.loss_curves["g"].getData()  # log10 of |loss|, as displayed
    expected = np.log10(np.abs(history[:, 1]), where=history[:, 1] != 0,
                        out=np.full(6, np.nan))
    np.testing.assert_allclose(shown, expected)
    curves_view.set_log_scale(False)
    np.testing.assert_allclose(curves_view.loss_curves["g"].getData()[1], history[:, 1])


def test_nan_losses_and_metrics_do_not_raise(curves_view, data_view, snapshot):
    history = np.array(snapshot.history_losses, dtype=np.float64)
    history[3] = np.nan
    history[:, 1] = np.inf
    metric_history = {name: np.full(len(snapshot.metric_steps), np.nan)
                      for name in snapshot.metric_history}
    broken = replaced(snapshot, history_losses=history, losses={"d": np.nan, "g": np.nan},
                      metric_history=metric_history)
    for log_scale in (False, True):
        curves_view.set_log_scale(log_scale)
        curves_view.show_snapshot(broken)
    assert curves_view.loss_curves["d"].opts["connect"] == "finite"
    data_view.show_snapshot(broken)


def test_moving_average_ignores_gaps():
    values = np.array([1.0, 1.0, np.nan, 3.0, 3.0, 3.0] * 20)
    smooth = moving_average(values)
    assert np.isnan(smooth[2]) and np.isfinite(smooth[3])
    assert np.nanmin(smooth) >= 1.0 and np.nanmax(smooth) <= 3.0


def test_long_histories_are_thinned_to_the_vertex_budget_keeping_the_ends(curves_view, snapshot):
    steps = np.arange(1, 5001)
    losses = np.stack([np.sin(steps / 50.0), np.cos(steps / 50.0)], axis=1)
    long = dataclasses.replace(snapshot, step=5000, history_steps=steps, history_losses=losses)
    curves_view.show_snapshot(long)
    x, y = curves_view.loss_curves["d"].getData()
    assert len(x) == MAX_CURVE_POINTS
    assert (x[0], x[-1]) == (1, 5000)
    np.testing.assert_allclose(y, np.sin(x / 50.0), atol=1e-6)


@pytest.mark.parametrize("value, expected", [(10, 10), (11, 20), (21, 30), (31, 50),
                                             (999, 1000), (1001, 2000), (2001, 3000),
                                             (7600, 10000), (0.3, 0.3)])
def test_step_axis_grows_in_round_jumps(value, expected):
    assert round_up(value) == pytest.approx(expected)


def test_step_axis_range_changes_only_at_round_numbers(curves_view, snapshot):
    curves_view.show_snapshot(dataclasses.replace(snapshot, step=1100))
    first = curves_view.loss_plot.viewRange()[0]
    curves_view.show_snapshot(dataclasses.replace(snapshot, step=1900))
    assert curves_view.loss_plot.viewRange()[0] == first
    assert first[1] >= 2000 > first[0]
    curves_view.show_snapshot(dataclasses.replace(snapshot, step=2100))
    assert curves_view.loss_plot.viewRange()[0][1] >= 3000


def test_signed_and_unknown_metrics_get_the_linear_value_plot(curves_view, snapshot):
    steps = np.array([0, 10, 20])
    history = {"elbo": np.array([-3.0, -2.0, -1.5]), "log_ratio_rmse": np.array([1.0, 0.5, 0.2]),
               "something_new": np.array([5.0, -1.0, 2.0])}
    curves_view.show_snapshot(dataclasses.replace(snapshot, metric_steps=steps,
                                                  metric_history=history))
    assert curves_view.value_plot.isVisible() and curves_view.divergence_plot.isVisible()
    value_items = curves_view.value_plot.listDataItems()
    assert curves_view.metric_curves["elbo"] in value_items
    assert curves_view.metric_curves["something_new"] in value_items
    np.testing.assert_allclose(curves_view.metric_curves["elbo"].getData()[1], history["elbo"])
    assert curves_view.metric_curves["log_ratio_rmse"] in curves_view.divergence_plot.listDataItems()


def test_point_cloud_takes_points_and_clears(qtbot):
    from advplay.app.point_cloud import PointCloudItem

    cloud = PointCloudItem(3.0, [(255, 0, 0), (0, 255, 0)])
    cloud.setData([0.0, 1.0], [2.0, 4.0], labels=[0, 1])
    rect = cloud.boundingRect()
    assert (rect.left(), rect.top(), rect.width(), rect.height()) == (0.0, 2.0, 1.0, 2.0)
    assert list(cloud.labels) == [0, 1]
    cloud.setData([], [])  # an empty cloud without labels must not raise
    assert len(cloud.getData()[0]) == 0 and cloud.boundingRect().isNull()


def test_plot_titles_wrap_after_three_curves(curves_view):
    session = Session(Config().replace({"model.name": "avb", "model.width": 16, "model.depth": 1}))
    session.step(2)
    curves_view.show_snapshot(session.snapshot())
    titles = curves_view._titles
    assert "<br>" not in titles["losses"]
    long_titles = [text for text in titles.values() if text.count("\u2501") > 3]
    assert long_titles and all(text.count("<br>") == (text.count("\u2501") - 1) // 3
                               for text in long_titles)


def _legend_texts(view) -> list[str]:
    return [label.text for _, label in view.legend.items]


def test_the_legend_names_only_the_layers_the_method_draws(data_view, snapshot):
    data_view.show_snapshot(snapshot)
    assert _legend_texts(data_view) == ["D = 0.5", "G(latent grid)", "real",
                                        "\u2212\u2207 G loss", "generated"]
    ratio = Session(Config().replace({"model.name": "ratio", "model.width": 16,
                                      "model.depth": 1}))
    data_view.show_snapshot(ratio.snapshot())  # no generator: q's samples, no arrows or grid
    assert _legend_texts(data_view) == ["log r = 0", "real", "samples of q"]
    data_view.set_layer_visible("contours", False)
    data_view.show_snapshot(snapshot)  # the boundary is named even while it is hidden
    assert _legend_texts(data_view)[0] == "D = 0.5"
    data_view.show_snapshot(ratio.snapshot())
    assert _legend_texts(data_view)[0] == "log r = 0"
    data_view.set_layer_visible("contours", True)
    vae = Session(Config().replace({"model.name": "vae", "model.width": 16, "model.depth": 1}))
    data_view.show_snapshot(vae.snapshot())  # no data-space adversary pushes its samples
    assert "\u2212\u2207 G loss" not in _legend_texts(data_view)
    assert "G(latent grid)" in _legend_texts(data_view)
    data_view.show_snapshot(snapshot)
    assert _legend_texts(data_view)[1:] == ["G(latent grid)", "real", "\u2212\u2207 G loss",
                                            "generated"]
    data_view.set_layer_visible("gradients", True)  # the entries still toggle their layers
    sample = next(s for s, label in data_view.legend.items if label.text == "generated")
    assert sample.item is data_view.fake_scatter
