"""The learned discriminator beside the optimal one, D*(x) = p(x) / (p(x) + q_G(x)).

Goodfellow et al. (2014, Proposition 1): for a fixed generator the best discriminator is
D*. Where the target density is known, the model puts D* on the view grid in
``snapshot.extras["optimal_discriminator"]`` (q_G from a kernel density estimate of the
generator's samples); this view shows it next to the learned D(x) on the same colour scale.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph import QtCore

from advplay.app.data_view import SURFACE_BRIGHTNESS, SURFACE_COLORMAP
from advplay.app.panel_grid import PanelGrid
from advplay.app.plot_style import cache_axes
from advplay.core.views import OPTIMAL_KEY

OPTIMAL_TITLE = "optimal D*(x) = p / (p + q_G)"
#: the right panel's title for a frame made while this view was hidden (D* is computed only
#: while it shows); no longer than OPTIMAL_TITLE, which sizes the panels' columns
SKIPPED_TITLE = "D*(x): not in this frame"


class OptimalView(pg.GraphicsLayoutWidget):
    """Two linked panels, the learned D(x) and the optimal D*(x), both on [0, 1]: side by
    side in a wide pane, one above the other in a tall one."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("optimalView")
        self.setToolTip("Left: the discriminator as trained. Right: the best discriminator for "
                        "the current generator, p / (p + q_G), with q_G estimated from its samples")
        colormap = pg.colormap.get(SURFACE_COLORMAP)
        colors = colormap.getLookupTable(nPts=256, alpha=False) * SURFACE_BRIGHTNESS
        self.images, self.plots = {}, {}
        for key, title in (("learned", "learned D(x)"), ("optimal", OPTIMAL_TITLE)):
            plot = pg.PlotItem(title=title)
            plot.setAspectLocked(True)
            plot.hideButtons()
            cache_axes(plot)
            image = pg.ImageItem(axisOrder="row-major")
            image.setLookupTable(colors.astype(np.uint8))
            image.setLevels((0.0, 1.0))
            plot.addItem(image)
            self.images[key], self.plots[key] = image, plot
        self.plots["optimal"].setXLink(self.plots["learned"])
        self.plots["optimal"].setYLink(self.plots["learned"])
        self.grid = PanelGrid(self, self.ci, list(self.plots.values()))

    def show_snapshot(self, snapshot) -> None:
        """Draw both surfaces; a snapshot without D* (unknown density, or made while this view
        was hidden, which the title then says) clears the right one."""
        self.images["learned"].setImage(snapshot.discriminator_output, autoLevels=False,
                                        levels=(0.0, 1.0))
        optimal = snapshot.extras.get(OPTIMAL_KEY)
        skipped = OPTIMAL_KEY in snapshot.skipped_extras
        title = SKIPPED_TITLE if skipped else OPTIMAL_TITLE
        if self.plots["optimal"].titleLabel.text != title:
            self.plots["optimal"].setTitle(title)
        if optimal is None:
            self.images["optimal"].clear()
        else:
            self.images["optimal"].setImage(np.asarray(optimal), autoLevels=False,
                                            levels=(0.0, 1.0))
        self._place(tuple(snapshot.bounds))

    def _place(self, bounds) -> None:
        x_min, x_max, y_min, y_max = bounds
        rect = QtCore.QRectF(x_min, y_min, x_max - x_min, y_max - y_min)
        for image in self.images.values():
            if image.image is not None:
                image.setRect(rect)
        self.grid.show_bounds(bounds)
