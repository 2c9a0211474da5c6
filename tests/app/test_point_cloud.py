"""The point cloud's dots as they land on a raster image (sprites) and in an SVG (vectors)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PySide6 import QtCore, QtGui, QtWidgets  # noqa: E402

from advplay.app.point_cloud import PointCloudItem  # noqa: E402
from item_helpers import paddings_at_two_zooms, render_item  # noqa: E402

FILL, OTHER, RIM = (250, 40, 20), (30, 200, 60), (0, 0, 255)


def render(cloud: PointCloudItem, ratio: float = 1.0) -> QtGui.QImage:
    """The scene (0..100)² drawn into a 200×200 logical-pixel image: x and y scale by 2."""
    return render_item(cloud, pixels=200, ratio=ratio)


def rgb(image: QtGui.QImage, x: float, y: float, ratio: float = 1.0) -> tuple[int, int, int]:
    color = image.pixelColor(int(x * ratio), int(y * ratio))
    return color.red(), color.green(), color.blue()


@pytest.mark.parametrize("ratio", [1.0, 2.0])
def test_each_dot_is_drawn_at_its_place_in_its_class_colour_with_its_rim(qtbot, ratio):
    cloud = PointCloudItem(9.0, [FILL, OTHER], rim=RIM)
    cloud.setData([20.0, 70.0], [30.0, 60.0], labels=[0, 1])
    image = render(cloud, ratio)
    assert rgb(image, 40, 60, ratio) == FILL  # (20, 30) scaled by 2: the centre of a dot
    assert rgb(image, 140, 120, ratio) == OTHER
    row = [rgb(image, 40 + step / 4, 60, ratio) for step in range(4 * 8)]  # centre outwards
    assert any(b > 100 and b > r for r, g, b in row)  # a blue rim around the red fill
    assert rgb(image, 40 + 8, 60, ratio) == (255, 255, 255)  # beyond the dot
    assert rgb(image, 100, 100, ratio) == (255, 255, 255)  # nothing where there is no point


def test_a_dot_without_a_rim_has_none(qtbot):
    cloud = PointCloudItem(9.0, [FILL])
    cloud.setData([20.0], [30.0])
    image = render(cloud)
    row = [rgb(image, 40 + step / 4, 60) for step in range(4 * 8)]
    assert row[0] == FILL and not any(b > r for r, g, b in row)


def test_points_that_are_not_finite_are_skipped(qtbot):
    cloud = PointCloudItem(7.0, [FILL])
    cloud.setData([50.0, np.nan, 20.0], [50.0, 10.0, np.inf])
    image = render(cloud)
    assert rgb(image, 100, 100) == FILL
    assert len(cloud.getData()[0]) == 3  # the data stay as given
    rect = cloud.boundingRect()
    assert rect.left() <= 50 <= rect.right() and np.isfinite([rect.width(), rect.height()]).all()
    cloud.setData([np.nan], [np.nan])  # nothing drawable at all
    assert rgb(render(cloud), 100, 100) == (255, 255, 255)


def test_a_new_palette_redraws_the_dots_in_the_new_colours(qtbot):
    cloud = PointCloudItem(7.0, [FILL])
    cloud.setData([50.0], [50.0])
    assert rgb(render(cloud), 100, 100) == FILL
    cloud.set_palette([OTHER])
    assert rgb(render(cloud), 100, 100) == OTHER


def test_svg_gets_vector_dots(qtbot, tmp_path):
    from PySide6.QtSvg import QSvgGenerator

    cloud = PointCloudItem(6.0, [FILL])
    cloud.setData(np.linspace(10, 90, 5), np.full(5, 50.0))
    scene = QtWidgets.QGraphicsScene()
    scene.addItem(cloud)
    generator = QSvgGenerator()
    path = tmp_path / "dots.svg"
    generator.setFileName(str(path))
    generator.setSize(QtCore.QSize(200, 200))
    painter = QtGui.QPainter(generator)
    scene.render(painter, QtCore.QRectF(0, 0, 200, 200), QtCore.QRectF(0, 0, 100, 100))
    painter.end()
    text = path.read_text()
    assert "<image" not in text  # no bitmaps in a vector file
    assert "#fa2814" in text.lower()  # the dots' colour, as a stroke


def test_the_dots_padding_follows_the_zoom(qtbot):
    """Bounds are kept in data units and padded by a dot's radius in pixels: zooming out must
    widen the padding, or a dot at the edge would leave a trace when the points move."""
    near, far = paddings_at_two_zooms(qtbot, PointCloudItem(9.0, [FILL]))
    assert near > 0 and far == pytest.approx(10 * near, rel=0.05)
