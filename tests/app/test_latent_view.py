"""The latent view, drawn from real snapshots of short encoder-model sessions."""

import dataclasses

import numpy as np
import pytest
from PySide6 import QtCore

from advplay.app.latent_view import (
    MAX_LINKS,
    PANELS,
    POSTERIOR_COLORS,
    LatentView,
    latent_extent,
)
from advplay.app.side_views import SideViews
from advplay.core.config import Config
from advplay.core.session import Session

SMALL = {"target.name": "ring8", "target.n_modes": 4, "target.std": 0.05, "model.width": 32,
         "train.batch_size": 64}


def encoder_snapshot(model: str, **changes):
    session = Session(Config().replace({"model.name": model, **SMALL, **changes}),
                      surface_resolution=16)
    session.step(5)
    return session.snapshot()


@pytest.fixture(scope="module")
def ali_snapshot():
    return encoder_snapshot("ali")


@pytest.fixture(scope="module")
def aae_snapshot():
    return encoder_snapshot("aae", **{"train.seed": 1})


def with_extras(snapshot, drop=(), **changes):
    extras = {key: value for key, value in snapshot.extras.items() if key not in drop}
    return dataclasses.replace(snapshot, extras={**extras, **changes})


def points(item) -> np.ndarray:
    return np.stack(item.getData(), axis=1)


def colors(item) -> list:
    """The palette colour of each drawn group, as RGBA tuples."""
    return [color.getRgb() for color in item.group_colors()]


@pytest.fixture
def view(qtbot):
    widget = LatentView()
    widget.resize(900, 450)
    qtbot.addWidget(widget)
    return widget


def test_object_name_titles_tooltips_and_legends(view):
    assert view.objectName() == "latentView" and view.toolTip()
    for key, title, tip in PANELS:
        assert view.plots[key].titleLabel.text == title
        assert view.plots[key].toolTip() == tip
    latent = [label.text for _, label in view.legends["latent"].items]
    data = [label.text for _, label in view.legends["data"].items]
    assert latent == ["prior p(z)", "codes E(x)", "q(z | x), chosen x"]
    assert data == ["real x", "x \u2192 G(E(x))", "G(E(x))", "chosen x"]


def test_points_land_where_the_snapshot_says(view, ali_snapshot):
    extras = ali_snapshot.extras
    view.show_snapshot(ali_snapshot)
    items = view.items
    np.testing.assert_allclose(points(items["prior"]), extras["latent_prior"])
    np.testing.assert_allclose(points(items["reconstructions"]), extras["reconstructions"])
    np.testing.assert_allclose(points(items["real"]), ali_snapshot.real)
    np.testing.assert_allclose(points(items["chosen"]), extras["posterior_inputs"])
    # codes are drawn class by class, each point with its own label
    codes, labels = points(items["codes"]), items["codes"].labels
    for label in range(4):
        expected = extras["latent_real"][extras["latent_labels"] == label]
        np.testing.assert_allclose(codes[labels == label], expected)
    # every posterior draw, tagged with the chosen x it belongs to
    samples = extras["posterior_samples"]  # (K, S, 2)
    k, s, _ = samples.shape
    np.testing.assert_allclose(points(items["posterior"]), samples.reshape(-1, 2))
    np.testing.assert_array_equal(items["posterior"].labels, np.repeat(np.arange(k), s))
    np.testing.assert_allclose(points(items["posterior_mean"]), samples.mean(axis=1),
                               rtol=1e-5, atol=1e-6)


def test_codes_take_the_class_colours_and_posteriors_their_own(view, ali_snapshot):
    view.show_snapshot(ali_snapshot)
    code_colors = colors(view.items["codes"])
    assert len(set(code_colors)) == 4  # one colour per mode of the target
    # the same as the real samples' colours below: a mode reads the same in z and x
    assert colors(view.items["real"]) == [color[:3] + (110,) for color in code_colors]
    posterior_colors = [tuple(color) + (255,) for color in POSTERIOR_COLORS]
    assert colors(view.items["posterior"]) == posterior_colors
    assert colors(view.items["posterior_mean"]) == posterior_colors
    assert colors(view.items["chosen"]) == posterior_colors  # x and its q(z | x) match
    assert not set(posterior_colors) & set(code_colors)


def test_each_chosen_x_is_drawn_in_its_posteriors_colour(view, ali_snapshot, qtbot):
    view.show()
    qtbot.waitExposed(view)
    view.show_snapshot(ali_snapshot)
    image = view.grab().toImage()
    box = view.plots["data"].getViewBox()
    for x, color in zip(ali_snapshot.extras["posterior_inputs"], POSTERIOR_COLORS):
        pixel = view.mapFromScene(box.mapViewToScene(QtCore.QPointF(*map(float, x))))
        drawn = image.pixelColor(pixel).getRgb()[:3]
        assert np.abs(np.subtract(drawn, color)).max() <= 8, (drawn, color)


def test_segments_join_each_x_to_its_reconstruction(view, ali_snapshot):
    view.show_snapshot(ali_snapshot)
    x, y = view.items["links"].getData()
    segments = np.stack([x, y], axis=1).reshape(-1, 2, 2)  # (m, start/end, 2)
    assert len(segments) == MAX_LINKS
    np.testing.assert_allclose(segments[:, 0], ali_snapshot.real[:MAX_LINKS])
    np.testing.assert_allclose(segments[:, 1],
                               ali_snapshot.extras["reconstructions"][:MAX_LINKS])
    assert view.items["links"].opts["connect"] == "pairs"


def test_ranges_fit_the_prior_and_the_bounds(view, ali_snapshot, qtbot):
    view.show()
    qtbot.waitExposed(view)
    view.show_snapshot(ali_snapshot)
    extent = latent_extent(ali_snapshot.extras["latent_prior"])
    assert np.abs(ali_snapshot.extras["latent_prior"]).max() < extent
    (x_low, x_high), (y_low, y_high) = view.plots["latent"].viewRange()
    # aspect locked: the wider side of the panel gets more than the square asked for
    assert x_low <= -extent and x_high >= extent and y_low <= -extent and y_high >= extent
    assert min(x_high - x_low, y_high - y_low) == pytest.approx(2 * extent, rel=1e-3)
    x_min, x_max, y_min, y_max = ali_snapshot.bounds
    (x_low, x_high), (y_low, y_high) = view.plots["data"].viewRange()
    assert x_low <= x_min and x_high >= x_max and y_low <= y_min and y_high >= y_max
    # a user's zoom survives the next frame when the prior has not changed
    view.plots["latent"].setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
    view.show_snapshot(ali_snapshot)
    (x_low, x_high), (y_low, y_high) = view.plots["latent"].viewRange()
    assert min(x_high - x_low, y_high - y_low) < 2  # the zoom's side, not the prior's 2 * extent


def test_without_labels_codes_take_one_colour(view, ali_snapshot):
    view.show_snapshot(with_extras(ali_snapshot, drop=("latent_labels",)))
    assert view.items["codes"].labels is None
    assert len(colors(view.items["codes"])) == 1
    assert len(points(view.items["codes"])) == len(ali_snapshot.extras["latent_real"])


def test_a_deterministic_posterior_is_one_marked_point(view, ali_snapshot):
    single = ali_snapshot.extras["posterior_samples"][:, :1]  # (K, 1, 2)
    view.show_snapshot(with_extras(ali_snapshot, posterior_samples=single))
    assert len(points(view.items["posterior"])) == 0  # no cloud of one
    np.testing.assert_allclose(points(view.items["posterior_mean"]), single[:, 0])
    assert len(colors(view.items["posterior_mean"])) == len(single)


def test_non_finite_values_are_skipped_not_drawn(view, ali_snapshot):
    codes = np.array(ali_snapshot.extras["latent_real"])
    codes[0] = np.nan
    reconstructions = np.array(ali_snapshot.extras["reconstructions"])
    reconstructions[1] = np.inf
    view.show_snapshot(with_extras(ali_snapshot, latent_real=codes,
                                   reconstructions=reconstructions))
    assert len(points(view.items["codes"])) == len(codes) - 1
    assert len(view.items["codes"].labels) == len(codes) - 1
    assert np.isfinite(points(view.items["reconstructions"])).all()
    x, y = view.items["links"].getData()
    assert np.isfinite(x).all() and np.isfinite(y).all() and len(x) == 2 * MAX_LINKS


def test_a_new_snapshot_replaces_the_old_data(view, ali_snapshot, aae_snapshot):
    view.show_snapshot(ali_snapshot)
    view.show_snapshot(aae_snapshot)
    extras = aae_snapshot.extras
    np.testing.assert_allclose(points(view.items["prior"]), extras["latent_prior"])
    np.testing.assert_allclose(points(view.items["reconstructions"]), extras["reconstructions"])
    np.testing.assert_allclose(points(view.items["chosen"]), extras["posterior_inputs"])
    assert len(points(view.items["codes"])) == len(extras["latent_real"])
    # and a snapshot without latent extras empties the panels instead of keeping stale ones
    view.show_snapshot(dataclasses.replace(aae_snapshot, extras={}))
    for key in ("prior", "codes", "posterior", "posterior_mean", "reconstructions", "chosen"):
        assert len(points(view.items[key])) == 0
    assert len(view.items["links"].getData()[0]) == 0


def test_the_side_views_open_it_for_an_encoder_model(qtbot, ali_snapshot):
    side = SideViews()
    qtbot.addWidget(side)
    side.show_snapshot(ali_snapshot)
    side.show_view("latent")
    view = side.view("latent")
    assert isinstance(view, LatentView)
    np.testing.assert_allclose(points(view.items["prior"]), ali_snapshot.extras["latent_prior"])
