"""A live frame repaints the whole data view; its static parts (axes, colour bar, legend) must
come from their pixmap caches then, and be drawn again when what they show changes."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import collections  # noqa: E402

import pyqtgraph as pg  # noqa: E402
import pytest  # noqa: E402
from pyqtgraph.graphicsItems.LegendItem import ItemSample  # noqa: E402

from advplay.app.data_view import DataView  # noqa: E402
from advplay.core.config import Config  # noqa: E402
from advplay.core.session import Session  # noqa: E402


@pytest.fixture(scope="module")
def snapshots():
    session = Session(Config())
    frames = []
    for _ in range(3):
        session.step(10)
        frames.append(session.snapshot())
    return frames


@pytest.fixture
def painted(monkeypatch, qtbot):
    """Paints per kind of static item; patched before the view exists (PySide binds a Python
    override of ``paint`` when the item is made)."""
    counts = collections.Counter()
    for cls, kind in ((pg.AxisItem, "axis"), (ItemSample, "sample")):
        def counting(self, painter, *args, _paint=cls.paint, _kind=kind):
            counts[_kind] += 1
            return _paint(self, painter, *args)
        monkeypatch.setattr(cls, "paint", counting)
    return counts


@pytest.fixture
def shown_view(painted, qtbot, snapshots):
    view = DataView()
    view.resize(600, 640)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    view.show_snapshot(snapshots[0])
    view.viewport().repaint()  # the caches are drawn once here
    return view


def test_a_frame_repaints_no_axis_or_legend_sample(shown_view, painted, snapshots):
    painted.clear()
    for snapshot in snapshots[1:]:
        shown_view.show_snapshot(snapshot)
        shown_view.update()  # what the end of a frame's hold does: the whole widget
        shown_view.viewport().repaint()
    assert painted["axis"] == 0 and painted["sample"] == 0


def test_a_layer_hidden_from_code_redraws_the_legend_samples(shown_view, painted):
    painted.clear()
    shown_view.set_layer_visible("fake", False)
    shown_view.viewport().repaint()
    assert painted["sample"] >= 1


def test_a_new_surface_range_redraws_the_colour_bar_axis(shown_view, painted, snapshots):
    painted.clear()
    shown_view.set_surface("logit")  # other levels and another label on the bar's axis
    shown_view.viewport().repaint()
    assert painted["axis"] >= 1
