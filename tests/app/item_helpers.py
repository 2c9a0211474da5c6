"""Shared by the tests of the live plot items (point cloud, lines)."""

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets


def render_item(item, pixels: int = 100, ratio: float = 1.0) -> QtGui.QImage:
    """A scene holding ``item``, its (0..100)² drawn into a white ``pixels``² logical-pixel
    image (``ratio`` device pixels each), y pointing down."""
    scene = QtWidgets.QGraphicsScene()
    scene.addItem(item)
    side = int(pixels * ratio)
    image = QtGui.QImage(side, side, QtGui.QImage.Format.Format_ARGB32)
    image.setDevicePixelRatio(ratio)
    image.fill(QtGui.QColor(255, 255, 255))
    painter = QtGui.QPainter(image)
    scene.render(painter, QtCore.QRectF(0, 0, pixels, pixels), QtCore.QRectF(0, 0, 100, 100))
    painter.end()
    scene.removeItem(item)
    return image


def paddings_at_two_zooms(qtbot, item) -> tuple[float, float]:
    """How far ``item``'s bounds reach left of its data (points (0, 0) and (1, 1)) in a
    400×300 plot showing (0..1)², then (0..10)²: ten times further when the padding is kept
    in pixels, as it must be for a repaint to cover a whole dot or stroke."""
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    widget.addItem(item)
    item.setData([0.0, 1.0], [0.0, 1.0])
    widget.show()
    qtbot.waitExposed(widget)
    paddings = []
    for side in (1, 10):
        widget.setRange(xRange=(0, side), yRange=(0, side), padding=0)
        QtWidgets.QApplication.processEvents()  # the view applies a new range when it repaints
        paddings.append(-item.boundingRect().left())
    return paddings[0], paddings[1]
