"""The tabs beside the data view follow what the snapshot carries; hidden tabs cost nothing."""

import dataclasses

import numpy as np
import pytest

from advplay.app.optimal_view import OPTIMAL_TITLE, SKIPPED_TITLE, OptimalView
from advplay.app.side_views import SideViews
from advplay.core.config import Config
from advplay.core.session import Session


@pytest.fixture(scope="module")
def snapshot():
    session = Session(Config().replace({"model.width": 32, "train.batch_size": 64}),
                      surface_resolution=16)
    session.step(5)
    # plain: without the extras the GAN computes on a known density (D* there)
    return dataclasses.replace(session.snapshot(), extras={})


@pytest.fixture
def side(qtbot):
    widget = SideViews()
    qtbot.addWidget(widget)
    return widget


def with_optimal(snapshot, value=0.25):
    optimal = np.full(snapshot.discriminator_output.shape, value, dtype=np.float32)
    return dataclasses.replace(snapshot, extras={"optimal_discriminator": optimal})


def with_skipped(snapshot):
    """A frame made while the D* tab was hidden: D* could have been computed, and was not."""
    return dataclasses.replace(snapshot, extras={}, skipped_extras=("optimal_discriminator",))


def titles(side):
    return [side.tabText(i) for i in range(side.count())]


def test_only_curves_for_a_plain_snapshot(side, snapshot):
    side.show_snapshot(snapshot)
    assert titles(side) == ["Curves"]
    assert side.curves.loss_curves  # the curves were drawn


def test_a_tab_appears_with_its_data_and_goes_without_it(side, snapshot):
    side.show_snapshot(with_optimal(snapshot))
    assert titles(side) == ["Curves", "D and D*"]
    side.show_snapshot(snapshot)
    assert titles(side) == ["Curves"]
    side.show_snapshot(with_optimal(snapshot))  # the same view object comes back
    assert side.view("optimal") is side.views["optimal"]


def test_only_the_tab_on_show_is_built_and_redrawn(side, snapshot):
    side.show_snapshot(with_optimal(snapshot, 0.25))
    assert "optimal" in side.pages and "optimal" not in side.views  # not built while hidden
    side.show_view("optimal")  # switching builds the view and draws the latest snapshot
    view = side.views["optimal"]
    assert isinstance(view, OptimalView) and side.view("optimal") is view
    np.testing.assert_allclose(view.images["optimal"].image, 0.25)
    side.show_snapshot(with_optimal(snapshot, 0.75))
    np.testing.assert_allclose(view.images["optimal"].image, 0.75)
    side.setCurrentIndex(0)
    side.show_snapshot(with_optimal(snapshot, 0.5))
    np.testing.assert_allclose(view.images["optimal"].image, 0.75)  # hidden: not redrawn


def test_d_star_is_asked_for_only_while_its_tab_shows(qtbot, side, snapshot):
    assert side.skipped_extras == {"optimal_discriminator"}  # the curves tab is on show
    side.show_snapshot(with_skipped(snapshot))
    assert titles(side) == ["Curves", "D and D*"]  # D* could be computed: the tab is there
    with qtbot.waitSignal(side.skipped_extras_changed) as shown:
        side.show_view("optimal")
    assert shown.args == [frozenset()] and side.skipped_extras == frozenset()
    with qtbot.waitSignal(side.skipped_extras_changed) as hidden:
        side.setCurrentIndex(0)
    assert hidden.args == [{"optimal_discriminator"}]


def test_a_frame_without_d_star_says_so_in_its_view(side, snapshot):
    side.show_snapshot(with_optimal(snapshot, 0.25))
    side.show_view("optimal")
    view = side.views["optimal"]
    side.show_snapshot(with_skipped(snapshot))  # made while the tab was hidden
    assert view.images["optimal"].image is None
    assert view.plots["optimal"].titleLabel.text == SKIPPED_TITLE
    assert len(SKIPPED_TITLE) <= len(OPTIMAL_TITLE)  # a longer title squeezed the left panel
    side.show_snapshot(with_optimal(snapshot, 0.5))
    assert view.plots["optimal"].titleLabel.text == OPTIMAL_TITLE


def test_optimal_view_shows_learned_and_optimal_surfaces_over_the_bounds(qtbot, snapshot):
    view = OptimalView()
    qtbot.addWidget(view)
    view.show_snapshot(with_optimal(snapshot, 0.5))
    np.testing.assert_array_equal(view.images["learned"].image, snapshot.discriminator_output)
    rect = view.images["optimal"].mapRectToParent(view.images["optimal"].boundingRect())
    x_min, x_max, y_min, y_max = snapshot.bounds
    assert rect.left() == pytest.approx(x_min) and rect.right() == pytest.approx(x_max)
    assert rect.top() == pytest.approx(y_min) and rect.bottom() == pytest.approx(y_max)
    view.show_snapshot(snapshot)  # no D* (unknown density): the right panel clears
    assert view.images["optimal"].image is None
