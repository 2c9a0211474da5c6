"""Value axes in round jumps: bounds, hysteresis, log axes, and the user's own zoom."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
import pytest  # noqa: E402

from advplay.app.plot_ranges import RoundRange, nice_bounds, nice_step  # noqa: E402


@pytest.mark.parametrize("span, step", [(0.3, 0.5), (1.0, 1.0), (1.2, 2.0), (40, 50), (0.07, 0.1)])
def test_nice_steps_are_one_two_or_five_times_a_power_of_ten(span, step):
    assert nice_step(span) == pytest.approx(step)


def test_nice_bounds_contain_the_data_on_round_values():
    assert nice_bounds(0.61, 1.43) == pytest.approx((0.5, 1.5))  # a quarter of 0.82 -> step 0.5
    low, high = nice_bounds(-3.2, 7.9)
    assert (low, high) == pytest.approx((-5, 10))  # a quarter of 11.1 -> step 5
    assert nice_bounds(2.0, 2.0)[0] <= 2.0 <= nice_bounds(2.0, 2.0)[1]  # a flat series
    assert nice_bounds(0.003, 0.4, log=True) == (-3.0, 0.0)  # whole decades, in log10 units
    assert nice_bounds(0.5, 0.5, log=True) == (-1.0, 0.0)


@pytest.fixture
def plot(qtbot):
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    yield widget.getPlotItem()  # the widget lives until the test ends


def y_range(plot) -> tuple[float, float]:
    return tuple(plot.getViewBox().viewRange()[1])


def test_the_range_jumps_only_when_the_data_leave_it_or_shrink_a_lot(plot):
    follower = RoundRange(plot)
    follower.fit(np.array([0.61, 1.43]))
    first = follower.bounds
    low, high = y_range(plot)
    assert low <= 0.61 and high >= 1.43
    follower.fit(np.array([0.7, 1.3]), np.array([np.nan, 1.0]))  # inside: no change
    assert follower.bounds == first and y_range(plot) == (low, high)
    follower.fit(np.array([0.7, 3.0]))  # out of range: a new jump
    assert follower.bounds != first and follower.bounds[1] >= 3.0
    follower.fit(np.array([1.0, 1.01]))  # fills far less than a third: shrinks
    assert follower.bounds[1] - follower.bounds[0] < 1.0


def test_a_log_axis_gets_whole_decades_of_the_positive_values(plot):
    plot.setLogMode(y=True)
    follower = RoundRange(plot)
    follower.fit(np.array([0.02, 0.5, 0.0, -1.0, np.inf]))
    assert follower.bounds == (-2.0, 0.0)


def test_a_range_set_by_the_user_stays_until_view_all(plot):
    follower = RoundRange(plot)
    follower.fit(np.array([0.0, 1.0]))
    plot.getViewBox().sigRangeChangedManually.emit([True, True])  # as a mouse zoom does
    follower.fit(np.array([0.0, 50.0]))
    assert follower.bounds[1] < 50
    plot.getViewBox().menu.viewAll.trigger()
    follower.fit(np.array([0.0, 50.0]))
    assert follower.bounds[1] >= 50


def test_nothing_finite_leaves_the_range_alone(plot):
    follower = RoundRange(plot)
    follower.fit(np.array([np.nan]), np.zeros(0))
    assert follower.bounds is None
