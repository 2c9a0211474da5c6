"""Side views put their square panels in a row or a column, whichever gives them more room."""

import dataclasses

import numpy as np
import pytest

from advplay.app.optimal_view import OptimalView
from advplay.app.panel_grid import panels_in_a_column
from advplay.app.ratio_view import RatioView
from advplay.core.config import Config
from advplay.core.session import Session


@pytest.mark.parametrize("width, height, count, column", [
    (440, 780, 2, True),  # the side pane: 390-pixel squares stacked, 220 in a row
    (900, 400, 2, False),
    (440, 780, 3, True),
    (300, 300, 2, False),  # a tie stays a row
    (1000, 380, 3, False),
])
def test_the_larger_square_decides(width, height, count, column):
    assert panels_in_a_column(width, height, count) is column


@pytest.fixture(scope="module")
def snapshot():
    session = Session(Config().replace({"model.width": 16, "model.depth": 1}),
                      surface_resolution=16)
    optimal = np.full((16, 16), 0.5, dtype=np.float32)
    return dataclasses.replace(session.snapshot(), extras={"optimal_discriminator": optimal})


def centres(view) -> list[tuple[float, float]]:
    return [(plot.geometry().center().x(), plot.geometry().center().y())
            for plot in view.plots.values()]


def shown_range_fits(plot, bounds) -> bool:
    """The plot shows ``bounds`` and not much more (its aspect is locked)."""
    (x0, x1), (y0, y1) = plot.viewRange()
    x_min, x_max, y_min, y_max = bounds
    contains = (x0 <= x_min + 1e-6 and x1 >= x_max - 1e-6
                and y0 <= y_min + 1e-6 and y1 >= y_max - 1e-6)
    tight = min((x1 - x0) / (x_max - x_min), (y1 - y0) / (y_max - y_min)) < 1.05
    return contains and tight


@pytest.mark.parametrize("make", [OptimalView, RatioView])
def test_panels_stack_in_a_tall_pane_and_line_up_in_a_wide_one(qtbot, snapshot, make):
    view = make()
    qtbot.addWidget(view)
    view.resize(900, 360)
    view.show()
    qtbot.waitExposed(view)
    view.show_snapshot(snapshot)

    def lined_up(axis: int) -> bool:  # all panels at one height (0) or one column (1)
        return len(set(np.round([centre[1 - axis] for centre in centres(view)]))) == 1

    qtbot.waitUntil(lambda: lined_up(0))  # a row
    assert len(set(np.round([x for x, _ in centres(view)]))) == len(view.plots)
    view.resize(400, 900)
    qtbot.waitUntil(lambda: lined_up(1))  # a column
    shown = [plot for plot in view.plots.values() if plot.isVisible()]
    qtbot.waitUntil(lambda: all(shown_range_fits(plot, snapshot.bounds) for plot in shown))
