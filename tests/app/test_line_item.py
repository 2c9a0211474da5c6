"""LineItem: the live views' polyline, as it lands on screen and as plots and legends see it."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
import pytest  # noqa: E402
from PySide6 import QtGui, QtWidgets  # noqa: E402

from advplay.app.line_item import LineItem  # noqa: E402
from item_helpers import paddings_at_two_zooms, render_item  # noqa: E402

RED = (255, 0, 0)


def red(image: QtGui.QImage, x: int, y: int) -> bool:
    color = image.pixelColor(x, y)
    return color.red() > 200 and color.green() < 60 and color.blue() < 60


def test_a_finite_line_breaks_at_nan_and_draws_the_rest(qtbot):
    line = LineItem(pg.mkPen(RED, width=3), antialias=False)
    line.setData([10, 50, 60, 90], [50, 50, np.nan, 50])
    image = render_item(line)
    assert red(image, 30, 50)  # 10 -> 50 drawn
    assert not red(image, 75, 50)  # no segment through the NaN
    assert line.opts["connect"] == "finite"


def test_pairs_draw_separate_segments(qtbot):
    line = LineItem(pg.mkPen(RED, width=3), connect="pairs", antialias=False)
    line.setData([10, 30, 70, 90], [20, 20, 80, 80])
    image = render_item(line)
    assert red(image, 20, 20) and red(image, 80, 80)
    assert not red(image, 50, 50)  # nothing joins the two segments


def test_a_connect_array_joins_only_where_it_says(qtbot):
    line = LineItem(pg.mkPen(RED, width=3), antialias=False)
    line.setData([10, 40, 60, 90], [50, 50, 50, 50], connect=[True, False, True, False])
    image = render_item(line)
    assert red(image, 25, 50) and red(image, 75, 50) and not red(image, 50, 50)
    with pytest.raises(ValueError, match="4 points"):
        line.setData([1, 2, 3, 4], [1, 2, 3, 4], connect=[True, False])
    with pytest.raises(ValueError, match="3 points"):  # the kept array no longer fits
        line.setData([1, 2, 3], [1, 2, 3])


def test_bounds_cover_the_data_and_the_pen_and_empty_data_clears(qtbot):
    line = LineItem(pg.mkPen(RED, width=4))
    line.setData([1.0, 3.0, np.inf], [2.0, -1.0, 0.0])  # the inf point has no place
    rect = line.boundingRect()
    assert rect.left() < 1.0 and rect.right() > 3.0 and rect.top() < -1.0 and rect.bottom() > 2.0
    assert line.dataBounds(0) == (1.0, 3.0) and line.dataBounds(1) == (-1.0, 2.0)
    line.setData([], [])
    assert line.boundingRect().isEmpty() and line.getData() == (None, None)
    assert line.dataBounds(0) == (None, None)
    with pytest.raises(ValueError, match="differ in length"):
        line.setData([1, 2], [1])
    with pytest.raises(ValueError, match="connect"):
        LineItem(connect="sometimes")


def test_log_mode_shows_log10_and_leaves_gaps_at_non_positive_values(qtbot):
    plot = pg.PlotItem()
    line = LineItem()
    plot.addItem(line)
    line.setData([1, 2, 3, 4], [10.0, 0.0, -5.0, 1000.0])
    plot.setLogMode(y=True)
    x, y = line.getData()
    np.testing.assert_allclose(x, [1, 2, 3, 4])
    np.testing.assert_allclose(y, [1.0, np.nan, np.nan, 3.0])
    plot.setLogMode(y=False)
    np.testing.assert_allclose(line.getData()[1], [10.0, 0.0, -5.0, 1000.0])
    assert line in plot.listDataItems()


def test_a_legend_lists_it_and_draws_its_sample(qtbot):
    plot = pg.PlotItem()
    legend = plot.addLegend()
    line = LineItem(pg.mkPen(RED, width=2), name="boundary")
    plot.addItem(line)
    assert legend.getLabel(line).text == "boundary"
    scene = QtWidgets.QGraphicsScene()
    scene.addItem(plot)
    image = QtGui.QImage(200, 200, QtGui.QImage.Format.Format_RGB32)
    painter = QtGui.QPainter(image)
    scene.render(painter)  # the sample paints from the item's opts
    painter.end()
    line.setPen(pg.mkPen((0, 0, 255), width=2))
    assert line.opts["pen"].color().blue() == 255


def test_antialiasing_follows_pyqtgraphs_option_unless_given(qtbot):
    previous = pg.getConfigOption("antialias")
    try:
        pg.setConfigOptions(antialias=True)
        assert LineItem().opts["antialias"] is True
        assert LineItem(antialias=False).opts["antialias"] is False
        pg.setConfigOptions(antialias=False)
        assert LineItem().opts["antialias"] is False
    finally:
        pg.setConfigOptions(antialias=previous)


def test_the_padding_follows_the_zoom(qtbot):
    """The pen's padding is kept in data units: zooming out must widen it, or the repaint
    after a change would leave bits of the old stroke on screen."""
    near, far = paddings_at_two_zooms(qtbot, LineItem(pg.mkPen(RED, width=4)))
    assert near > 0 and far == pytest.approx(10 * near, rel=0.05)
