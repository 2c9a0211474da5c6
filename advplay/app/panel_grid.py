"""Square panels side by side in a wide pane, one above the other in a tall one.

The side tabs are tall and narrow in the window (about 440 × 780 pixels), wide in a window
of their own: two aspect-locked panels in a row there were 220 pixels wide with empty space
above and below (and the ratio view's third panel and colour bar were cut off), while in a
column they get 390. :class:`PanelGrid` puts the panels in whichever of a row or a column
gives each the larger square, keeps a side item (a colour bar) beside them all, and shows
the data's bounds in them (the panels' axes are linked to the first one's).
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QTimer


def panels_in_a_column(width: float, height: float, count: int) -> bool:
    """Whether ``count`` square panels are larger stacked than in a row in ``width`` ×
    ``height`` (a tie keeps them in a row)."""
    return min(width, height / count) > min(width / count, height)


class PanelGrid(QObject):
    """Places ``panels`` of ``layout`` in a row or a column (see :meth:`arrange`), with
    ``side`` (or None) after the last column, spanning every row. ``owner``, the view that
    holds the layout, is its Qt parent (a fit still due when the view goes, goes with it), and
    the panels are arranged again whenever the owner is resized."""

    def __init__(self, owner: QObject, layout: pg.GraphicsLayout, panels: list, side=None):
        super().__init__(owner)
        self.layout, self.panels, self.side = layout, list(panels), side
        self.column: bool | None = None  # unknown until arranged
        self._bounds = None
        self.arrange(1, 0)  # a row until the pane has a size
        owner.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        """The owner's resizes arrange the panels (before the owner itself handles them)."""
        if event.type() == QEvent.Type.Resize:
            self.arrange(event.size().width(), event.size().height())
        return False

    def arrange(self, width: float, height: float) -> None:
        """Lay the panels out for a pane of ``width`` × ``height`` (no change, no work)."""
        column = panels_in_a_column(width, height, len(self.panels))
        if column == self.column:
            return
        self.column = column
        items = self.panels + ([self.side] if self.side is not None else [])
        for item in items:
            if item in self.layout.items:
                self.layout.removeItem(item)
        for index, panel in enumerate(self.panels):
            self.layout.addItem(panel, row=index if column else 0, col=0 if column else index)
        if self.side is not None:
            self.layout.addItem(self.side, row=0, col=1 if column else len(self.panels),
                                rowspan=len(self.panels) if column else 1)
        # An aspect-locked range set for the other layout shows the data small: fit again
        # once the layout has placed the panels anew.
        QTimer.singleShot(0, self, self._fit)

    def show_bounds(self, bounds) -> None:
        """Show ``bounds`` (x_min, x_max, y_min, y_max) in the panels; the same bounds again
        cost nothing (a range set redraws the axes)."""
        bounds = tuple(bounds)
        if bounds != self._bounds:
            self._bounds = bounds
            self._fit()

    def _fit(self) -> None:
        if self._bounds is not None:
            x_min, x_max, y_min, y_max = self._bounds
            self.panels[0].setRange(xRange=(x_min, x_max), yRange=(y_min, y_max), padding=0)
