"""The log-ratio view, drawn from real snapshots of short density-ratio sessions."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import time  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from advplay.app.ratio_view import COVERED, PANELS, RatioView, values_at  # noqa: E402
from advplay.core.config import Config  # noqa: E402
from advplay.core.session import Session  # noqa: E402

SMALL = {"model.name": "ratio", "model.width": 32, "model.depth": 2, "train.batch_size": 256}


def ratio_snapshot(target: dict, steps: int = 100):
    session = Session(Config().replace({**target, **SMALL}))
    session.step(steps)
    return session.snapshot()


@pytest.fixture(scope="module")
def gaussian_snapshot():
    return ratio_snapshot({"target.name": "gaussian",
                           "target.covariance": [[1.0, 0.7951], [0.7951, 1.0]]})


@pytest.fixture(scope="module")
def moons_snapshot():
    return ratio_snapshot({"target.name": "two_moons"}, steps=20)


@pytest.fixture
def view(qtbot):
    widget = RatioView()
    widget.resize(900, 360)
    qtbot.addWidget(widget)
    return widget


def test_object_name_titles_and_tooltips(view):
    assert view.objectName() == "ratioView" and view.toolTip()
    for key, title, tip in PANELS:
        assert view.plots[key].titleLabel.text == title
        assert view.plots[key].toolTip() == tip


def test_the_three_panels_show_the_snapshot_on_one_symmetric_scale(view, gaussian_snapshot):
    extras = gaussian_snapshot.extras
    view.show_snapshot(gaussian_snapshot)
    for key, _, _ in PANELS:
        np.testing.assert_array_equal(view.images[key].image, extras[key])
        assert view.plots[key].isVisible()
    low, high = view.color_bar.levels()
    assert low == -high and high > 0
    for image in view.images.values():
        assert tuple(image.getLevels()) == (low, high)
    # the range covers |log r| where p lives, rounded up to 1, 2, 2.5 or 5 times a power of 10
    inside = np.abs(values_at(extras["true_log_ratio"], gaussian_snapshot.bounds,
                              gaussian_snapshot.real))
    assert np.quantile(inside, COVERED) <= high < 2.5 * np.quantile(inside, COVERED)
    x_min, x_max, y_min, y_max = gaussian_snapshot.bounds
    for image in view.images.values():  # each image covers the bounds exactly
        rect = image.mapRectToParent(image.boundingRect())
        assert (rect.left(), rect.right(), rect.top(), rect.bottom()) == pytest.approx(
            (x_min, x_max, y_min, y_max), abs=1e-6)
    assert view.note.isHidden()
    metrics = gaussian_snapshot.metrics
    assert f"{metrics['kl_estimate']:.3f}" in view.summary.text()
    assert f"{metrics['kl_true']:.3f}" in view.summary.text()


def test_panels_are_linked(view, gaussian_snapshot, qtbot):
    view.show()
    qtbot.waitExposed(view)
    view.show_snapshot(gaussian_snapshot)
    view.plots["log_ratio"].setRange(xRange=(0.5, 2.5), yRange=(-0.5, 1.5), padding=0)
    for key in ("true_log_ratio", "log_ratio_error"):
        # the same region (aspect locking may widen one axis to the panel's pixel shape)
        (x_low, x_high), (y_low, y_high) = view.plots[key].viewRange()
        assert (x_low + x_high) / 2 == pytest.approx(1.5, abs=1e-6)
        assert (y_low + y_high) / 2 == pytest.approx(0.5, abs=1e-6)
        assert x_low <= 0.5 + 1e-6 and y_low <= -0.5 + 1e-6
        assert min(x_high - x_low, y_high - y_low) < 4  # zoomed in from the bounds (9.6)


def test_without_a_true_density_only_the_estimate_shows_with_a_note(view, gaussian_snapshot,
                                                                     moons_snapshot):
    view.show_snapshot(moons_snapshot)
    np.testing.assert_array_equal(view.images["log_ratio"].image,
                                  moons_snapshot.extras["log_ratio"])
    for key in ("true_log_ratio", "log_ratio_error"):
        assert not view.plots[key].isVisible() and view.images[key].image is None
    assert not view.note.isHidden() and "density" in view.note.text()
    assert "true KL" not in view.summary.text()
    view.show_snapshot(gaussian_snapshot)  # and back
    assert view.plots["true_log_ratio"].isVisible() and view.note.isHidden()


def test_undefined_differences_render_blank_and_frames_are_cheap(view, qtbot):
    snapshot = ratio_snapshot({"target.name": "uniform_square"}, steps=10)
    assert np.isnan(snapshot.extras["log_ratio_error"]).any()  # outside the square
    view.show()
    qtbot.waitExposed(view)
    timings = []
    for _ in range(15):
        started = time.perf_counter()
        view.show_snapshot(snapshot)
        view.graphics.viewport().repaint()
        timings.append(time.perf_counter() - started)
    assert view.grab().width() > 0  # NaN cells paint (transparent) without warnings
    assert np.median(timings) < 0.030


def test_values_at_picks_the_cells_of_points():
    surface = np.arange(12, dtype=float).reshape(3, 4)  # row = y, column = x
    points = np.array([[0.1, 0.1], [3.9, 2.9], [1.5, 0.5], [5.0, 0.0], [np.nan, 1.0]])
    np.testing.assert_array_equal(values_at(surface, (0, 4, 0, 3), points), [0.0, 11.0, 1.0])
