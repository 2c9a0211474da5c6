"""A plot item for a thousand round dots that redraws in about a millisecond.

pyqtgraph's ScatterPlotItem keeps a record per spot (style keys, fragment atlas entries), so
``setData`` with 1000 points cost ~1.6 ms of the UI thread per frame here. This item keeps the
points as NumPy arrays per colour. On a raster device (the screen, images, exports) each dot
is a copy of one pre-drawn sprite: a round dot of ``size`` pixels with an optional darker rim,
blitted with ``drawPixmapFragments`` from one array of positions (0.5-1 ms for 1000 dots, where
antialiased ``drawPoints`` with a round pen took 10-12 ms and was the UI's largest cost). Other
devices (SVG) get vector points: ``drawPoints`` with a round cosmetic pen.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph import QtCore, QtGui
from pyqtgraph.Qt.internals import PrimitiveArray

#: fields of one QPainter.PixmapFragment: x, y, source x, y, width, height, scale x, y,
#: rotation, opacity
_FRAGMENT_FIELDS = 10


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
        self._groups: list[tuple[np.ndarray, int]] = []  # (finite points (n, 2), palette index)
        self._sprites: dict[tuple[int, float], QtGui.QPixmap] = {}
        self._fragments = PrimitiveArray(QtGui.QPainter.PixmapFragment, _FRAGMENT_FIELDS)
        self._bounds = QtCore.QRectF()  # the finite points
        self._padded = QtCore.QRectF()  # ... plus a dot's radius (see _update_padding)
        # what LegendItem's sample reads to draw this item's symbol
        self.opts = {"pen": None, "symbol": "o", "size": size, "antialias": True,
                     "brush": self._colors[0]}

    def set_palette(self, colors, rim=None) -> None:
        """New class colours (RGB(A) tuples) and rim colour (or None), e.g. for a light theme."""
        self._colors = [QtGui.QColor(*color) for color in colors]
        self._rim = None if rim is None else QtGui.QColor(*rim)
        self.opts["brush"] = self._colors[0]  # the legend's sample
        self._groups = [(xy, label % len(self._colors)) for xy, label in self._groups]
        self._sprites.clear()
        self.update()

    def name(self) -> str | None:
        return self._name

    def setData(self, x, y, labels=None) -> None:  # noqa: N802 (pyqtgraph naming)
        """Points at ``x``, ``y``; ``labels`` (int per point) index the palette (default 0)."""
        self._x = np.asarray(x, dtype=np.float64)
        self._y = np.asarray(y, dtype=np.float64)
        self._labels = None if labels is None else np.asarray(labels, dtype=np.int64)
        self._groups = []
        classes = [0] if self._labels is None else np.unique(self._labels)
        for label in classes:
            mask = slice(None) if self._labels is None else self._labels == label
            xy = np.column_stack([self._x[mask], self._y[mask]])
            xy = xy[np.isfinite(xy).all(axis=1)]  # a NaN has no place to be drawn
            if len(xy):
                self._groups.append((xy, int(label) % len(self._colors)))
        self.prepareGeometryChange()
        if self._groups:  # the finite points
            drawn = np.concatenate([xy for xy, _ in self._groups])
            low, high = drawn.min(axis=0), drawn.max(axis=0)
            self._bounds = QtCore.QRectF(low[0], low[1], high[0] - low[0], high[1] - low[1])
        else:
            self._bounds = QtCore.QRectF()
        self._update_padding()
        self.update()

    def getData(self) -> tuple[np.ndarray, np.ndarray]:  # noqa: N802 (pyqtgraph naming)
        return self._x, self._y

    def group_colors(self) -> list[QtGui.QColor]:
        """The palette colour of each group of dots drawn (one group per class present)."""
        return [self._colors[index] for _, index in self._groups]

    @property
    def labels(self) -> np.ndarray | None:
        return self._labels

    def dataBounds(self, axis, frac=1.0, orthoRange=None):  # noqa: N802,N803 (pyqtgraph API)
        values = self._x if axis == 0 else self._y
        return (None, None) if not len(values) else (float(values.min()), float(values.max()))

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (Qt override)
        # asked for ~10 times a repaint: computed on a change of data or zoom, not here
        return self._padded

    def viewTransformChanged(self) -> None:  # noqa: N802 (pyqtgraph hook: zoom or resize)
        super().viewTransformChanged()
        self.prepareGeometryChange()
        self._update_padding()

    def _update_padding(self) -> None:
        """Pad the points' rectangle by a dot's radius, converted from pixels to data units."""
        pad_x, pad_y = (self.pixelWidth() or 0.0), (self.pixelHeight() or 0.0)
        radius = self._size / 2 + 1
        self._padded = self._bounds.adjusted(-pad_x * radius, -pad_y * radius,
                                             pad_x * radius, pad_y * radius)

    def paint(self, painter, *args) -> None:
        # Dots are drawn in device pixels, so they stay round whatever the axes' scales.
        transform = painter.transform()
        painter.resetTransform()
        raster = painter.paintEngine().type() == QtGui.QPaintEngine.Type.Raster
        for xy, color in self._groups:
            positions = _device_positions(transform, xy)
            if raster:
                self._blit(painter, positions, color)
            else:
                self._draw_points(painter, positions, color)

    def _blit(self, painter, positions: np.ndarray, color: int) -> None:
        """One sprite per dot at the device ``positions`` (n, 2)."""
        device = painter.device()
        ratio = device.devicePixelRatioF() if device is not None else 1.0
        sprite = self._sprite(color, ratio)
        self._fragments.resize(len(positions))
        fields = self._fragments.ndarray()
        fields[:, 0:2] = positions
        fields[:, 2:4] = 0.0
        fields[:, 4] = sprite.width()
        fields[:, 5] = sprite.height()
        fields[:, 6:8] = 1.0 / ratio  # the sprite has ``ratio`` pixels per logical pixel
        fields[:, 8] = 0.0
        fields[:, 9] = 1.0
        painter.drawPixmapFragments(*self._fragments.drawargs(), sprite)

    def _sprite(self, color: int, ratio: float) -> QtGui.QPixmap:
        """The dot of palette entry ``color`` (rim included) drawn at ``ratio`` pixels per
        logical pixel, made once and kept until the palette changes."""
        key = (color, ratio)
        if key not in self._sprites:
            side = int(np.ceil((self._size + 2) * ratio))
            sprite = QtGui.QPixmap(side, side)
            sprite.fill(QtCore.Qt.GlobalColor.transparent)
            painter = QtGui.QPainter(sprite)
            painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
            painter.setPen(QtCore.Qt.PenStyle.NoPen)
            centre = QtCore.QPointF(side / 2, side / 2)
            if self._rim is not None:
                painter.setBrush(self._rim)
                radius = (self._size + 0.5) * ratio / 2
                painter.drawEllipse(centre, radius, radius)
            painter.setBrush(self._colors[color])
            radius = (self._size - 1) * ratio / 2
            painter.drawEllipse(centre, radius, radius)
            painter.end()
            self._sprites[key] = sprite
        return self._sprites[key]

    def _draw_points(self, painter, positions: np.ndarray, color: int) -> None:
        """Vector dots (SVG and other non-raster devices): round points of a cosmetic pen."""
        polygon = pg.functions.arrayToQPolygonF(positions[:, 0], positions[:, 1])
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
        if self._rim is not None:
            painter.setPen(_dot_pen(self._rim, self._size + 0.5))
            painter.drawPoints(polygon)
        painter.setPen(_dot_pen(self._colors[color], self._size - 1))
        painter.drawPoints(polygon)


def _device_positions(transform: QtGui.QTransform, xy: np.ndarray) -> np.ndarray:
    """``xy`` (n, 2) through the painter's affine map: x' = m11 x + m21 y + m31,
    y' = m12 x + m22 y + m32."""
    matrix = np.array([[transform.m11(), transform.m12()], [transform.m21(), transform.m22()]])
    return xy @ matrix + (transform.m31(), transform.m32())


def _dot_pen(color: QtGui.QColor, size: float) -> QtGui.QPen:
    pen = QtGui.QPen(color)
    pen.setWidthF(size)
    pen.setCosmetic(True)  # the width is in pixels whatever the zoom
    pen.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
    return pen
