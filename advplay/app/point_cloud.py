"""A plot item for a thousand round dots that redraws in well under a millisecond.

pyqtgraph's ScatterPlotItem keeps a record per spot (style keys, fragment atlas entries), so
``setData`` with 1000 points cost ~1.6 ms of the UI thread per frame here. This item keeps the
points as one QPolygonF per colour and paints them with ``drawPoints`` and a round cosmetic
pen: a dot of ``size`` pixels, with an optional darker rim.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph import QtCore, QtGui


class PointCloudItem(pg.GraphicsObject):
    """Round dots of one size, coloured per point from a small palette.

    Parameters
    ----------
    size : dot diameter in pixels
    colors : the palette, RGB(A) tuples; ``setData(..., labels=...)`` picks from it
    rim : colour of a 1-pixel rim around each dot, or None
    name : the legend's label
    """

    def __init__(self, size: float, colors, rim=None, name: str | None = None):
        super().__init__()
        self._size = float(size)
        self._colors = [QtGui.QColor(*color) for color in colors]
        self._rim = None if rim is None else QtGui.QColor(*rim)
        self._name = name
        self._x = self._y = np.zeros(0)
        self._labels: np.ndarray | None = None
        self._groups: list[tuple[QtGui.QPolygonF, int]] = []
        self._bounds = QtCore.QRectF()
        # what LegendItem's sample reads to draw this item's symbol
        self.opts = {"pen": None, "symbol": "o", "size": size, "antialias": True,
                     "brush": self._colors[0]}

    def set_palette(self, colors, rim=None) -> None:
        """New class colours (RGB(A) tuples) and rim colour (or None), e.g. for a light theme."""
        self._colors = [QtGui.QColor(*color) for color in colors]
        self._rim = None if rim is None else QtGui.QColor(*rim)
        self.opts["brush"] = self._colors[0]  # the legend's sample
        self._groups = [(polygon, label % len(self._colors)) for polygon, label in self._groups]
        self.update()

    def name(self) -> str | None:
        return self._name

    def setData(self, x, y, labels=None) -> None:  # noqa: N802 (pyqtgraph naming)
        """Points at ``x``, ``y``; ``labels`` (int per point) index the palette (default 0)."""
        self._x = np.asarray(x, dtype=np.float64)
        self._y = np.asarray(y, dtype=np.float64)
        self._labels = None if labels is None else np.asarray(labels, dtype=np.int64)
        self._groups = []
        if not len(self._x):  # nothing to draw (pyqtgraph cannot make an empty polygon)
            classes = []
        else:
            classes = [0] if self._labels is None else np.unique(self._labels)
        for label in classes:
            mask = slice(None) if self._labels is None else self._labels == label
            polygon = pg.functions.arrayToQPolygonF(self._x[mask], self._y[mask])
            self._groups.append((polygon, int(label) % len(self._colors)))
        self.prepareGeometryChange()
        if len(self._x):
            self._bounds = QtCore.QRectF(self._x.min(), self._y.min(),
                                         np.ptp(self._x), np.ptp(self._y))
        else:
            self._bounds = QtCore.QRectF()
        self.update()

    def getData(self) -> tuple[np.ndarray, np.ndarray]:  # noqa: N802 (pyqtgraph naming)
        return self._x, self._y

    @property
    def labels(self) -> np.ndarray | None:
        return self._labels

    def dataBounds(self, axis, frac=1.0, orthoRange=None):  # noqa: N802,N803 (pyqtgraph API)
        values = self._x if axis == 0 else self._y
        return (None, None) if not len(values) else (float(values.min()), float(values.max()))

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt override)
        # pad by a dot's radius, converted from pixels to data units
        pad_x, pad_y = (self.pixelWidth() or 0.0), (self.pixelHeight() or 0.0)
        radius = self._size / 2 + 1
        return self._bounds.adjusted(-pad_x * radius, -pad_y * radius,
                                     pad_x * radius, pad_y * radius)

    def paint(self, painter, *args) -> None:
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        # Dots are drawn in device pixels, so they stay round whatever the axes' scales.
        transform = painter.transform()
        painter.resetTransform()
        for polygon, color in self._groups:
            polygon = transform.map(polygon)
            if self._rim is not None:
                painter.setPen(_dot_pen(self._rim, self._size + 0.5))
                painter.drawPoints(polygon)
            painter.setPen(_dot_pen(self._colors[color], self._size - 1))
            painter.drawPoints(polygon)


def _dot_pen(color: QtGui.QColor, size: float) -> QtGui.QPen:
    pen = QtGui.QPen(color)
    pen.setWidthF(size)
    pen.setCosmetic(True)  # the width is in pixels whatever the zoom
    pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
    return pen
