"""A polyline item for live plots: the data becomes one path when set, a repaint only draws it.

pyqtgraph's curve items do their work while Qt paints: a ``PlotDataItem`` re-derives its
display data on ``setData`` (~0.4 ms), and a ``PlotCurveItem`` recomputes its bounds (NaN-aware
minimum and maximum over the data, plus the pen's padding in pixels) on most of the twenty-odd
``boundingRect`` calls of one repaint. With a dozen live curves that was most of the curves
view's 5-15 ms repaint, one block of the UI thread. :class:`LineItem` computes the path and its
bounds once per ``setData`` (and the padding once per change of zoom) and paints with one
``drawPath``.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui

#: ``connect`` modes: "finite" breaks the line at NaN/inf, "pairs" draws segments (rows 2i,
#: 2i+1), "all" one polyline; a boolean array instead says, per point, whether it joins the next
CONNECT_MODES = ("finite", "pairs", "all")


class LineItem(pg.GraphicsObject):
    """A line through ``(x, y)`` drawn with a cosmetic pen, for data that change every frame.

    ``antialias`` None follows pyqtgraph's ``antialias`` option, as pyqtgraph's curves do.
    It takes a :class:`pyqtgraph.PlotItem`'s log mode (``setLogMode``: the line shows log10 of
    the values, non-positive ones leave a gap) and can stand in a legend (``name``, ``opts``).
    """

    def __init__(self, pen=None, connect: str = "finite", name: str | None = None,
                 antialias: bool | None = None):
        super().__init__()
        if antialias is None:  # pyqtgraph's default, as its own curves take it
            antialias = pg.getConfigOption("antialias")
        self.opts = {"pen": pg.mkPen(pen), "connect": _checked_connect(connect), "name": name,
                     "antialias": bool(antialias)}
        self._data: tuple[np.ndarray, np.ndarray] | None = None  # as given
        self._shown: tuple[np.ndarray, np.ndarray] | None = None  # as drawn (log10 in log mode)
        self._log = (False, False)
        self._path = QtGui.QPainterPath()
        self._data_rect: QtCore.QRectF | None = None  # finite drawn points, None if none
        self._pixel: tuple[float, float] | None = None  # a pixel in data units, once known
        self._bounds = QtCore.QRectF()

    # ------------------------------------------------------------------ data

    def setData(self, x, y, connect=None) -> None:  # noqa: N802 (pyqtgraph name)
        """Draw a line through ``(x, y)`` (equal lengths; empty clears); ``connect`` as in
        :data:`CONNECT_MODES` (None keeps the current one)."""
        x = np.asarray(x, dtype=np.float64).ravel()
        y = np.asarray(y, dtype=np.float64).ravel()
        if x.shape != y.shape:
            raise ValueError(f"x and y differ in length ({len(x)} and {len(y)})")
        connect = self.opts["connect"] if connect is None else _checked_connect(connect)
        if not isinstance(connect, str) and len(x) and len(connect) != len(x):
            raise ValueError(f"connect has {len(connect)} entries for {len(x)} points")
        self.opts["connect"] = connect
        self._data = (x, y)
        self._rebuild()

    def getData(self):  # noqa: N802
        """``(x, y)`` as drawn (log10 of the values on a log axis); ``(None, None)`` if empty."""
        if self._shown is None:
            return None, None
        return self._shown

    def clear(self) -> None:
        self._data = None
        self._rebuild()

    def setLogMode(self, x: bool, y: bool) -> None:  # noqa: N802 (called by PlotItem)
        log = (bool(x), bool(y))
        if log != self._log:
            self._log = log
            self._rebuild()

    def setPen(self, *args, **kwargs) -> None:  # noqa: N802
        self.opts["pen"] = pg.mkPen(*args, **kwargs)
        self._update_bounds()  # a wider pen needs more padding
        self.update()

    def name(self) -> str | None:
        return self.opts["name"]

    def implements(self, interface=None):
        """A plot data item to :class:`pyqtgraph.PlotItem` (listed by ``listDataItems``)."""
        interfaces = ["plotData"]
        return interfaces if interface is None else interface in interfaces

    def _rebuild(self) -> None:
        self.prepareGeometryChange()
        if self._data is None or not len(self._data[0]):
            self._shown, self._path, self._data_rect = None, QtGui.QPainterPath(), None
        else:
            x, y = (_log10(values) if log else values
                    for values, log in zip(self._data, self._log))
            self._shown = (x, y)
            finite = np.isfinite(x) & np.isfinite(y)
            self._data_rect = _rect(x[finite], y[finite]) if finite.any() else None
            self._path = (pg.arrayToQPath(x, y, connect=self.opts["connect"])
                          if finite.any() else QtGui.QPainterPath())
        self._update_bounds()
        self.informViewBoundsChanged()
        self.update()

    # ------------------------------------------------------------------ geometry

    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange=None):  # noqa: N802
        """(min, max) of the drawn data along axis ``ax`` (0 = x), for a view's auto-range."""
        rect = self._data_rect
        if rect is None:
            return None, None
        return (rect.left(), rect.right()) if ax == 0 else (rect.top(), rect.bottom())

    def pixelPadding(self) -> float:  # noqa: N802
        return self.opts["pen"].widthF() / 2 + 1

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802
        return self._bounds

    def viewTransformChanged(self) -> None:  # noqa: N802 (pyqtgraph hook: zoom or resize)
        super().viewTransformChanged()
        self._pixel = None
        self.prepareGeometryChange()
        self._update_bounds()

    def _update_bounds(self) -> None:
        """The data's rectangle, padded by half the pen and a pixel (measured in data units at
        the current zoom) so that the repaint after a change covers the whole stroke."""
        rect = self._data_rect
        if rect is None:
            self._bounds = QtCore.QRectF()
            return
        if self._pixel is None:
            pixel_x, pixel_y = self.pixelVectors()
            if pixel_x is not None:  # None: not on screen yet
                self._pixel = (pixel_x.length(), pixel_y.length())
        if self._pixel is None:  # pad by a share of the data instead
            pad_x = pad_y = 0.01 * max(rect.width(), rect.height(), 1.0)
        else:
            pad = self.pixelPadding()
            pad_x, pad_y = pad * self._pixel[0], pad * self._pixel[1]
        self._bounds = rect.adjusted(-pad_x, -pad_y, pad_x, pad_y)

    # ------------------------------------------------------------------ drawing

    def paint(self, painter, *args) -> None:
        if self._path.isEmpty():
            return
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, self.opts["antialias"])
        painter.setPen(self.opts["pen"])
        painter.drawPath(self._path)


def _checked_connect(connect):
    if isinstance(connect, str):
        if connect not in CONNECT_MODES:
            raise ValueError(f"connect must be one of {', '.join(CONNECT_MODES)} or a boolean "
                             f"array, not {connect!r}")
        return connect
    return np.asarray(connect, dtype=bool).ravel()


def _log10(values: np.ndarray) -> np.ndarray:
    """log10 of the positive values; the others become NaN (a gap in the line)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(values > 0, np.log10(np.where(values > 0, values, 1.0)), np.nan)


def _rect(x: np.ndarray, y: np.ndarray) -> QtCore.QRectF:
    return QtCore.QRectF(float(x.min()), float(y.min()),
                         float(x.max() - x.min()), float(y.max() - y.min()))
