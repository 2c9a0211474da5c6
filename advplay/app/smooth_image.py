"""An image item drawn with bilinear filtering, whose filtering can be done ahead of its paint.

The live discriminator surface is a 64x64 image stretched over ~600x600 screen pixels. Its
bilinear stretch was the largest piece of the data view's repaint (~1 ms of ~3.5 ms here), and
the repaint is the longest single piece of UI work in a frame: a timer falling due just then
waits for all of it. :meth:`SmoothImageItem.prescale_soon` does the stretch in a pass of the
event loop of its own, before the repaint, into an image of exactly the screen pixels of the
item that the view shows; the repaint then only copies it. The result is the same pixels: the
stretch is drawn with the paint's own transform.

Any paint whose transform differs from the one prescaled for (the view was zoomed or resized
since, an export renders the scene elsewhere) draws the ordinary way.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6 import QtCore, QtGui

#: largest prescaled image, in pixels (only the part the view shows is stretched)
MAX_PRESCALED_PIXELS = 4096 * 4096


class SmoothImageItem(pg.ImageItem):
    """An ImageItem drawn with bilinear filtering: a smooth surface, not 4-pixel blocks."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._prescaled: tuple[QtGui.QTransform, QtCore.QPoint, QtGui.QImage, object] | None = None
        self._stretch_buffer: QtGui.QImage | None = None
        self._prescale_queued = False

    def prescale_soon(self) -> None:
        """Prescale in the next pass of the event loop (once, however often asked before it):
        the frame's update, this stretch and the repaint then each hold the UI thread alone."""
        if not self._prescale_queued:
            self._prescale_queued = True
            QtCore.QTimer.singleShot(0, self, self._prescale_queued_now)

    def _prescale_queued_now(self) -> None:
        self._prescale_queued = False
        self.prescale()

    def prescale(self) -> bool:
        """Stretch the image now for the view's current transform; True if it was."""
        self._prescaled = None
        views = self.scene().views() if self.scene() is not None else []
        if self.image is None or not views or not self._drawn_as_is():
            return False
        if self._render_pending():
            self.render()  # the colour lookup, which the paint would otherwise do
        if self.qimage is None or self._render_pending() or getattr(self, "_unrenderable", False):
            return False
        view = views[0]
        transform = self.deviceTransform(view.viewportTransform())
        scale_only = QtGui.QTransform.TransformationType.TxScale.value
        if transform is None or transform.type().value > scale_only:
            return False
        # only what the view shows: a view zoomed into the surface needs no huge image
        viewport = QtCore.QRectF(view.viewport().rect())
        shown = transform.mapRect(self._source_rect()).intersected(viewport)
        left, top = math.floor(shown.left()), math.floor(shown.top())
        width, height = math.ceil(shown.right()) - left, math.ceil(shown.bottom()) - top
        if shown.isEmpty() or width * height > MAX_PRESCALED_PIXELS:
            return False
        stretched = self._buffer(width, height)
        painter = QtGui.QPainter(stretched)
        painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.setTransform(transform * QtGui.QTransform.fromTranslate(-left, -top))
        painter.drawImage(self._source_rect(), self.qimage)
        painter.end()
        self._prescaled = (transform, QtCore.QPoint(left, top), stretched, self.qimage)
        return True

    def paint(self, painter, *args):
        corner = self._prescaled_corner(painter)
        if corner is not None:
            painter.save()
            painter.resetTransform()
            painter.drawImage(corner, self._prescaled[2])
            painter.restore()
            return
        painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform, True)
        super().paint(painter, *args)

    def _prescaled_corner(self, painter) -> QtCore.QPoint | None:
        """Where the prescaled image goes once ``painter``'s transform is reset, or None if it
        does not fit.

        It fits when it is this image, the paint's world transform is the prescaled one moved
        by whole pixels (a grab paints the view at another offset) and the device adds no
        scale of its own. The world transform, not the device one: a widget painted into its
        window's buffer has that buffer's offset in its device transform, and a reset
        transform draws without it.
        """
        if self._prescaled is None or self._render_pending():
            return None
        transform, corner, _, source = self._prescaled
        if source is not self.qimage or not self._drawn_as_is():
            return None
        now, device = painter.worldTransform(), painter.deviceTransform()
        if (now.type() != transform.type() or now.m11() != transform.m11()
                or now.m22() != transform.m22()):
            return None
        if device.m11() != now.m11() or device.m22() != now.m22():
            return None  # a device with a pixel ratio (an export at 2x) would scale it again
        shift_x, shift_y = now.dx() - transform.dx(), now.dy() - transform.dy()
        if abs(shift_x - round(shift_x)) > 1e-6 or abs(shift_y - round(shift_y)) > 1e-6:
            return None
        return corner + QtCore.QPoint(round(shift_x), round(shift_y))

    def _drawn_as_is(self) -> bool:
        """Whether the paint is a plain copy of the image (no composition mode, no border),
        which a prescaled stretch can stand for."""
        return self.paintMode is None and self.border is None

    def _render_pending(self) -> bool:
        """Whether pyqtgraph has yet to colour the image (unknown counts as pending)."""
        return getattr(self, "_renderRequired", True)

    def _source_rect(self) -> QtCore.QRectF:
        rows, columns = self.image.shape[:2]
        if self.axisOrder == "col-major":
            rows, columns = columns, rows
        return QtCore.QRectF(0, 0, columns, rows)

    def _buffer(self, width: int, height: int) -> QtGui.QImage:
        """A cleared image of that size: the last one again if it fits (a paint copies its
        pixels, so none of them is still in use)."""
        buffer = self._stretch_buffer
        if buffer is None or buffer.size() != QtCore.QSize(width, height):
            buffer = QtGui.QImage(width, height, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
            self._stretch_buffer = buffer
        buffer.fill(QtCore.Qt.GlobalColor.transparent)
        return buffer
