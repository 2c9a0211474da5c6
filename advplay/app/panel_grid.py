"""Square panels side by side in a wide pane, one above the other in a tall one.

The side tabs are tall and narrow in the window (about 440 × 780 pixels), wide in a window
of their own: two aspect-locked panels in a row there were 220 pixels wide with empty space
above and below (and the ratio view's third panel and colour bar were cut off), while in a
column they get 390. :class:`PanelGrid` puts the panels in whichever of a row or a column
gives each the larger square, and keeps a side item (a colour bar) beside them all.
"""

from __future__ import annotations

import pyqtgraph as pg


def panels_in_a_column(width: float, height: float, count: int) -> bool:
    """Whether ``count`` square panels are larger stacked than in a row in ``width`` ×
    ``height`` (a tie keeps them in a row)."""
    return min(width, height / count) > min(width / count, height)


class PanelGrid:
    """Places ``panels`` of ``layout`` in a row or a column (see :meth:`arrange`), with
    ``side`` (or None) after the last column, spanning every row."""

    def __init__(self, layout: pg.GraphicsLayout, panels: list, side=None):
        self.layout, self.panels, self.side = layout, list(panels), side
        self.column: bool | None = None  # unknown until arranged
        self.arrange(1, 0)  # a row until the pane has a size

    def arrange(self, width: float, height: float) -> bool:
        """Lay the panels out for a pane of ``width`` × ``height``; whether they moved (the
        views then fit their range again: an aspect-locked range set for the other layout
        shows the data small)."""
        column = panels_in_a_column(width, height, len(self.panels))
        if column == self.column:
            return False
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
        return True
