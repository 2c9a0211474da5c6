"""The smooth image item: its prescaled stretch gives the very pixels of an ordinary paint, is
what the repaint copies, and is never used once it no longer fits."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
import pytest  # noqa: E402
from PySide6 import QtCore, QtGui, QtWidgets  # noqa: E402

from advplay.app.smooth_image import SmoothImageItem  # noqa: E402

GREEN = QtGui.QColor(0, 255, 0)


def ramp_plot() -> tuple[pg.PlotWidget, SmoothImageItem]:
    """A plot of a 16x16 colour ramp stretched over a few hundred screen pixels."""
    plot = pg.PlotWidget()
    item = SmoothImageItem(axisOrder="row-major")
    ramp = np.zeros((16, 16, 4), dtype=np.uint8)
    ramp[..., 0] = np.linspace(0, 255, 16)[None, :]
    ramp[..., 2] = np.linspace(0, 255, 16)[:, None]
    ramp[..., 3] = 255
    item.setImage(ramp, autoLevels=False, levels=None)
    item.setRect(QtCore.QRectF(-1.3, -0.7, 2.6, 1.9))  # a fractional scale and offset
    plot.addItem(item)
    plot.setRange(xRange=(-1.5, 1.5), yRange=(-1, 1.4), padding=0)
    return plot, item


@pytest.fixture
def shown(qtbot):
    plot, item = ramp_plot()
    plot.resize(320, 300)
    qtbot.addWidget(plot)
    plot.show()
    qtbot.waitExposed(plot)
    plot.grab()  # a first paint: the view box settles its transform
    return plot, item


def as_array(image: QtGui.QImage) -> np.ndarray:
    image = image.convertToFormat(QtGui.QImage.Format.Format_RGB32)
    return np.array(image.constBits(), copy=True).reshape(image.height(), image.width(), 4)


def pixels(widget) -> np.ndarray:
    return as_array(widget.grab().toImage())


def centre_point(plot, item, within) -> QtCore.QPoint:
    """The image's centre, in the coordinates of ``within`` (the plot or a widget above it)."""
    centre = item.mapRectToScene(item.boundingRect()).center()
    return plot.viewport().mapTo(within, plot.mapFromScene(centre))


def centre_colour(plot, item) -> QtGui.QColor:
    return plot.grab().toImage().pixelColor(centre_point(plot, item, plot))


def paint_prescaled_green(item) -> None:
    assert item.prescale()
    item._prescaled[2].fill(GREEN)


def test_the_prescaled_paint_gives_the_same_pixels_as_an_ordinary_paint(shown):
    plot, item = shown
    assert item.prescale()
    prescaled = pixels(plot)
    item._prescaled = None
    assert np.array_equal(prescaled, pixels(plot))


def test_in_a_window_the_prescaled_stretch_lands_where_an_ordinary_paint_draws(qtbot):
    """The view sits inside its window, as the data view does: its window's buffer is offset."""
    window = QtWidgets.QWidget()
    layout = QtWidgets.QHBoxLayout(window)
    layout.setContentsMargins(57, 33, 10, 10)
    layout.addWidget(QtWidgets.QLabel("beside the plot"))
    plot, item = ramp_plot()
    layout.addWidget(plot)
    window.resize(600, 400)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)

    def window_image():
        plot.viewport().repaint()
        QtWidgets.QApplication.processEvents()  # the buffer reaches the screen
        screen = QtWidgets.QApplication.primaryScreen()
        return screen.grabWindow(window.winId()).toImage()

    window_image()  # the view box settles its transform
    assert item.prescale()
    prescaled = as_array(window_image())
    item._prescaled = None
    assert np.array_equal(prescaled, as_array(window_image()))
    paint_prescaled_green(item)  # and the window did show the prescaled stretch
    assert window_image().pixelColor(centre_point(plot, item, window)) == GREEN


def test_the_repaint_copies_the_prescaled_stretch(shown):
    plot, item = shown
    paint_prescaled_green(item)
    assert centre_colour(plot, item) == GREEN
    item._prescaled = None
    assert centre_colour(plot, item) != GREEN


def test_zoomed_far_in_only_the_part_on_show_is_stretched(shown):
    plot, item = shown
    plot.setRange(xRange=(-0.05, 0.05), yRange=(-0.05, 0.05), padding=0)  # 30x magnified
    plot.grab()  # the view box takes its new transform at the next paint
    assert item.prescale()
    stretched, viewport = item._prescaled[2], plot.viewport().rect()
    assert stretched.width() <= viewport.width() and stretched.height() <= viewport.height()
    prescaled = pixels(plot)
    item._prescaled = None
    assert np.array_equal(prescaled, pixels(plot))


def test_a_device_with_a_pixel_ratio_paints_the_ordinary_way(shown):
    """As an export at twice the pixels does: the stretch would be scaled once more."""
    plot, item = shown

    def rendered():
        image = QtGui.QImage(plot.width() * 2, plot.height() * 2, QtGui.QImage.Format.Format_RGB32)
        image.setDevicePixelRatio(2)
        QtWidgets.QWidget.render(plot, image)  # as an export does (not the scene's render)
        return image

    paint_prescaled_green(item)
    assert rendered().pixelColor(centre_point(plot, item, plot) * 2) != GREEN


def test_a_zoom_after_the_prescale_paints_the_ordinary_way(shown, qtbot):
    plot, item = shown
    paint_prescaled_green(item)
    plot.setRange(xRange=(-1.0, 1.0), yRange=(-0.6, 1.0), padding=0)
    plot.grab()  # the view box takes its new transform at the next paint
    assert centre_colour(plot, item) != GREEN


def test_a_new_image_after_the_prescale_paints_the_ordinary_way(shown):
    plot, item = shown
    paint_prescaled_green(item)
    grey = np.full((16, 16, 4), 200, dtype=np.uint8)
    grey[..., 3] = 255
    item.setImage(grey, autoLevels=False, levels=None)
    assert centre_colour(plot, item) == QtGui.QColor(200, 200, 200)
    # and painted again, once pyqtgraph has coloured the new image (no render pending)
    assert centre_colour(plot, item) == QtGui.QColor(200, 200, 200)


def test_a_rotated_item_is_not_prescaled_and_still_paints(shown):
    plot, item = shown
    item.setTransform(QtGui.QTransform().rotate(30), combine=True)
    assert not item.prescale()
    assert centre_colour(plot, item) != plot.backgroundBrush().color()


def test_prescale_soon_stretches_once_in_the_next_pass(shown, qtbot):
    plot, item = shown
    calls = []
    item.prescale = lambda: calls.append(1)
    for _ in range(3):
        item.prescale_soon()
    assert calls == []
    qtbot.waitUntil(lambda: calls == [1])
    item.prescale_soon()
    qtbot.waitUntil(lambda: calls == [1, 1])
