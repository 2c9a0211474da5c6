"""The drawing canvas: paint a per-class density with the mouse, plus its tool strip.

:class:`DrawCanvas` shows a :class:`~advplay.core.drawing.Drawing` in the data view's
coordinates and turns mouse drags into strokes (left: the current tool, right: the eraser).
:class:`~advplay.app.draw_tools.DrawTools` holds the tool, brush, class and undo buttons.
The canvas only edits the model and emits :attr:`DrawCanvas.drawing_changed`; turning the
drawing into a target is the core's job (:meth:`Drawing.target`).
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from advplay.core.drawing import Drawing
from advplay.core.drawn import MAX_CLASSES

TOOLS = ("brush", "eraser", "points")
#: one colour per class; no greens or ambers, which the data view keeps for the generator
CLASS_COLORS = ((235, 235, 235), (80, 160, 255), (235, 90, 235), (255, 85, 105),
                (60, 220, 240), (160, 120, 255), (255, 160, 205), (150, 175, 205))
OVERLAY_COLOR = (57, 255, 120, 90)
CURSOR_COLOR = (255, 255, 255, 200)
#: at most this many drawing_changed signals a second while a stroke is in progress
LIVE_UPDATES_PER_SECOND = 10
#: the points tool's blob: std = radius * this, mass = strength * this
BLOB_STD_FRACTION, BLOB_MASS = 0.25, 0.05


def compose_rgba(density: np.ndarray) -> np.ndarray:
    """An RGBA image (H, W, 4) uint8 of a per-class density (C, H, W), C <= 8.

    Each pixel's colour is the mix of its classes' colours weighted by their density; its alpha
    is sqrt(total / max total), so faint paint stays visible over the dark background.
    """
    total = density.sum(axis=0)  # (H, W)
    peak = total.max()
    rgba = np.zeros((*total.shape, 4), dtype=np.uint8)
    if peak <= 0:
        return rgba
    palette = np.asarray(CLASS_COLORS[:len(density)], dtype=np.float64)  # (C, 3)
    mix = np.einsum("chw,ck->hwk", density, palette) / np.maximum(total, 1e-300)[..., None]
    rgba[..., :3] = np.clip(mix, 0, 255)
    rgba[..., 3] = np.round(255 * np.sqrt(total / peak))
    return rgba


class DrawCanvas(pg.GraphicsLayoutWidget):
    """A plot of a :class:`Drawing` that the mouse paints on.

    Left drag applies the current tool (``"brush"``, ``"eraser"`` or ``"points"``: one blob
    per click), right drag erases; one press-to-release is one undo step. A circle of the brush
    radius follows the mouse.

    Attributes
    ----------
    plot : pg.PlotItem
    image : pg.ImageItem
        RGBA, row-major, covering the drawing's bounds.
    cursor : QtWidgets.QGraphicsEllipseItem
    overlay_scatter : pg.ScatterPlotItem
        Generator samples drawn faintly (see :meth:`set_overlay_points`).
    """

    #: after a stroke, undo, redo, clear or set, and up to 10 times a second while painting
    drawing_changed = QtCore.Signal()
    #: the tool name, when it changes
    tool_changed = QtCore.Signal(str)
    #: (radius, strength), when they change
    brush_changed = QtCore.Signal(float, float)
    #: the class being painted, when it changes
    class_changed = QtCore.Signal(int)

    def __init__(self, drawing: Drawing | None = None, parent=None):
        super().__init__(parent)
        # GraphicsLayoutWidget binds its layout's clear() on the instance; ours clears the drawing
        del self.clear
        self.setObjectName("drawCanvas")
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        self._drawing = Drawing() if drawing is None else drawing
        self._tool, self._label = "brush", 0
        self._radius, self._strength = 0.15, 0.5
        self._painting = None  # the mouse button of the stroke in progress
        self._last_emit = 0.0
        self._view_bounds = None
        self._build_plot()
        self._show_drawing()

    def _build_plot(self) -> None:
        self.plot = self.addPlot()
        self.plot.setAspectLocked(True)
        self.plot.disableAutoRange()
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.vb.setMouseEnabled(False, False)
        self.plot.setLabel("bottom", "x")
        self.plot.setLabel("left", "y")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.overlay_scatter = pg.ScatterPlotItem(size=3, pen=None, brush=OVERLAY_COLOR,
                                                  hoverable=False)
        self.cursor = QtWidgets.QGraphicsEllipseItem()
        pen = pg.mkPen(CURSOR_COLOR, width=1, style=QtCore.Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        self.cursor.setPen(pen)
        self.cursor.setVisible(False)
        for depth, item in enumerate((self.image, self.overlay_scatter, self.cursor)):
            item.setZValue(depth)
            self.plot.addItem(item, ignoreBounds=True)

    # ------------------------------------------------------------------ public API

    @property
    def drawing(self) -> Drawing:
        """The drawing shown and edited."""
        return self._drawing

    @property
    def tool(self) -> str:
        """The left button's tool: ``"brush"``, ``"eraser"`` or ``"points"``."""
        return self._tool

    @property
    def brush(self) -> tuple[float, float]:
        """(radius in data units, strength)."""
        return self._radius, self._strength

    @property
    def label(self) -> int:
        """The class the brush and points tools paint (0 to 7)."""
        return self._label

    def set_drawing(self, drawing: Drawing) -> None:
        """Show and edit ``drawing`` instead."""
        self._finish_stroke()
        self._drawing = drawing
        self._changed()

    def set_tool(self, tool: str) -> None:
        """Choose the left button's tool (see :data:`TOOLS`)."""
        if tool not in TOOLS:
            raise ValueError(f"tool must be one of {', '.join(TOOLS)}, not {tool!r}")
        if tool != self._tool:
            self._tool = tool
            self.tool_changed.emit(tool)

    def set_brush(self, radius: float, strength: float) -> None:
        """Set the brush radius (data units, > 0) and strength (0 to 1)."""
        radius, strength = float(radius), float(min(max(strength, 0.0), 1.0))
        if radius <= 0:
            raise ValueError(f"radius must be > 0, not {radius}")
        if (radius, strength) != (self._radius, self._strength):
            self._radius, self._strength = radius, strength
            self._place_cursor(self.cursor.rect().center())
            self.brush_changed.emit(radius, strength)

    def set_class(self, label: int) -> None:
        """Choose the class to paint, 0 to 7."""
        if not 0 <= label < MAX_CLASSES:
            raise ValueError(f"class must be 0 to {MAX_CLASSES - 1}, not {label}")
        if label != self._label:
            self._label = int(label)
            self.class_changed.emit(self._label)

    def undo(self) -> None:
        """Take back the last stroke."""
        self._finish_stroke()
        if self._drawing.undo():
            self._changed()

    def redo(self) -> None:
        """Apply the last undone stroke again."""
        self._finish_stroke()
        if self._drawing.redo():
            self._changed()

    def clear(self) -> None:
        """Erase everything (undoable)."""
        self._finish_stroke()
        if not self._drawing.is_empty():
            self._drawing.clear()
            self._changed()

    def set_overlay_points(self, points: np.ndarray | None) -> None:
        """Show points (n, 2), e.g. generator samples, faintly over the drawing; None hides."""
        if points is None or len(points) == 0:
            self.overlay_scatter.setData([], [])
            return
        points = np.asarray(points, dtype=np.float64)
        points = points[np.isfinite(points).all(axis=1)]
        self.overlay_scatter.setData(x=points[:, 0], y=points[:, 1])

    # ------------------------------------------------------------------ drawing

    def _show_drawing(self) -> None:
        self.image.setImage(compose_rgba(self._drawing.density), autoLevels=False)
        # the rect scales pixels, so it must follow setImage (see DataView._place_image)
        x_min, x_max, y_min, y_max = self._drawing.bounds
        self.image.setRect(QtCore.QRectF(x_min, y_min, x_max - x_min, y_max - y_min))
        if self._drawing.bounds != self._view_bounds:
            self._view_bounds = self._drawing.bounds
            self.plot.setRange(xRange=(x_min, x_max), yRange=(y_min, y_max), padding=0)

    def _changed(self) -> None:
        self._show_drawing()
        self._last_emit = time.monotonic()
        self.drawing_changed.emit()

    def _live_changed(self) -> None:
        """Redraw now; tell listeners at most LIVE_UPDATES_PER_SECOND times a second."""
        self._show_drawing()
        if time.monotonic() - self._last_emit >= 1.0 / LIVE_UPDATES_PER_SECOND:
            self._last_emit = time.monotonic()
            self.drawing_changed.emit()

    def _apply_tool(self, point: QtCore.QPointF) -> None:
        x, y = point.x(), point.y()
        tool = "eraser" if self._painting == QtCore.Qt.MouseButton.RightButton else self._tool
        if tool == "brush":
            self._drawing.paint(x, y, self._radius, self._strength, self._label)
        elif tool == "eraser":
            self._drawing.erase(x, y, self._radius, self._strength)

    def _finish_stroke(self) -> None:
        if self._painting is not None:
            self._painting = None
            self._drawing.end_stroke()

    # ------------------------------------------------------------------ mouse (Qt overrides)

    def _view_point(self, event) -> QtCore.QPointF:
        scene_point = self.mapToScene(event.position().toPoint())
        return self.plot.vb.mapSceneToView(scene_point)

    def _place_cursor(self, centre: QtCore.QPointF) -> None:
        radius = self._radius
        self.cursor.setRect(QtCore.QRectF(centre.x() - radius, centre.y() - radius,
                                          2 * radius, 2 * radius))

    def mousePressEvent(self, event) -> None:
        button = event.button()
        if button not in (QtCore.Qt.MouseButton.LeftButton, QtCore.Qt.MouseButton.RightButton):
            super().mousePressEvent(event)
            return
        event.accept()
        self.setFocus()
        self._finish_stroke()
        point = self._view_point(event)
        self._painting = button
        self._drawing.begin_stroke()
        if self._tool == "points" and button == QtCore.Qt.MouseButton.LeftButton:
            self._drawing.add_blob(point.x(), point.y(), self._radius * BLOB_STD_FRACTION,
                                   self._strength * BLOB_MASS, self._label)
        else:
            self._apply_tool(point)
        self._live_changed()

    def mouseMoveEvent(self, event) -> None:
        point = self._view_point(event)
        self._place_cursor(point)
        self.cursor.setVisible(True)
        if self._painting is None:
            super().mouseMoveEvent(event)
            return
        event.accept()
        if self._tool != "points" or self._painting == QtCore.Qt.MouseButton.RightButton:
            self._apply_tool(point)
            self._live_changed()

    def mouseReleaseEvent(self, event) -> None:
        if self._painting is None or event.button() != self._painting:
            super().mouseReleaseEvent(event)
            return
        event.accept()
        self._finish_stroke()
        self._changed()

    def leaveEvent(self, event) -> None:
        self.cursor.setVisible(False)
        super().leaveEvent(event)
