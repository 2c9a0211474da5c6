"""The density ratio trick at a glance: estimated log r(x), the true one, and their difference.

The ``ratio`` model (``advplay.core.models.ratio``) puts on the view grid, in
``snapshot.extras``: ``log_ratio`` (the estimate), and where target and reference both have a
density ``true_log_ratio`` (log p - log q, clipped) and ``log_ratio_error`` (estimate minus
truth, NaN where the truth is infinite). :class:`RatioView` draws the three as linked image
panels on one diverging colour scale centred on log r = 0 (p and q equally likely), so
the difference panel reads in the same nats as the others. The scale covers the values of
log r where p has its mass (at the snapshot's real samples): far from the data log r runs
to -infinity, which would leave the interesting part one flat colour.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from advplay.app.layer_geometry import surface_style
from advplay.app.panel_grid import PanelGrid
from advplay.app.plot_style import cache_axes

#: (extras key, panel title, tooltip), left to right
PANELS = (
    ("log_ratio", "estimated log r(x)",
     ("The classifier's estimate of log p(x)/q(x): red where the target p is more likely than "
      "the reference q, blue where q is")),
    ("true_log_ratio", "true log p(x) / q(x)",
     "The exact log-ratio from both densities (clipped where one of them is 0)"),
    ("log_ratio_error", "difference (estimate \u2212 truth)",
     "Where the estimate is off: white is right; blank where the truth is infinite"),
)
#: a diverging map, white at 0: the sign of log r is the colour, its size the saturation
COLORMAP = "CET-D1"
#: the colour range covers |log r| at this fraction of the real samples
COVERED = 0.95
MISSING_TRUTH = ("The true log-ratio needs the target's density: this target has none, so only "
                 "the estimate is shown.")


def values_at(surface: np.ndarray, bounds, points: np.ndarray) -> np.ndarray:
    """The finite values of ``surface`` (H, W; row = y) in the cells holding ``points`` (n, 2)."""
    height, width = surface.shape
    x_min, x_max, y_min, y_max = bounds
    points = points[np.isfinite(points).all(axis=1)]
    columns = np.floor((points[:, 0] - x_min) / (x_max - x_min) * width).astype(np.int64)
    rows = np.floor((points[:, 1] - y_min) / (y_max - y_min) * height).astype(np.int64)
    inside = (columns >= 0) & (columns < width) & (rows >= 0) & (rows < height)
    values = surface[rows[inside], columns[inside]]
    return values[np.isfinite(values)]


class RatioView(QWidget):
    """Three linked panels of ``snapshot.extras``: estimate, truth, difference.

    Attributes
    ----------
    plots, images : dict of pg.PlotItem / pg.ImageItem keyed like :data:`PANELS`
    color_bar : pg.ColorBarItem shared by the three images, symmetric about 0
    note : QLabel shown instead of the truth panels when the truth is missing
    summary : QLabel with the KL estimate against the truth
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("ratioView")
        self.setToolTip("The density ratio trick: log r(x) = log p(x)/q(x) as estimated by the "
                        "classifier, the true one, and their difference, on one colour scale")
        self.graphics = pg.GraphicsLayoutWidget()
        self.note = QLabel(MISSING_TRUTH)
        self.note.setWordWrap(True)
        self.note.hide()
        self.summary = QLabel()
        self.summary.setToolTip("KL[p || q] = E_p[log r]: the estimate (a bound for NWJ and DV) "
                                "against the exact value")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.graphics, self.note, self.summary):
            layout.addWidget(widget)
        self._build_panels()
        self._levels: tuple[float, float] | None = None
        self._summary_text = ""

    def _build_panels(self) -> None:
        self.plots: dict[str, pg.PlotItem] = {}
        self.images: dict[str, pg.ImageItem] = {}
        for column, (key, title, tip) in enumerate(PANELS):
            plot = pg.PlotItem(title=title)
            plot.setAspectLocked(True)
            plot.hideButtons()
            plot.setToolTip(tip)
            cache_axes(plot)
            image = pg.ImageItem(axisOrder="row-major")
            plot.addItem(image)
            self.plots[key], self.images[key] = plot, image
            if column:
                plot.setXLink(self.plots[PANELS[0][0]])
                plot.setYLink(self.plots[PANELS[0][0]])
        self.color_bar = pg.ColorBarItem(values=(-1.0, 1.0), colorMap=pg.colormap.get(COLORMAP),
                                         label="log r (nats)", interactive=False,
                                         colorMapMenu=False, width=14)
        self.color_bar.setImageItem(list(self.images.values()))
        self.grid = PanelGrid(self, self.graphics.ci, list(self.plots.values()),
                              side=self.color_bar)

    # ------------------------------------------------------------------ public API

    def show_snapshot(self, snapshot) -> None:
        """Draw the panels from ``snapshot.extras`` (a snapshot without ``log_ratio`` clears)."""
        extras = snapshot.extras
        estimate = extras.get("log_ratio")
        has_truth = estimate is not None and "true_log_ratio" in extras
        self._update_levels(snapshot)
        for key, _, _ in PANELS:
            values = extras.get(key)
            shown = values is not None and (key == "log_ratio" or has_truth)
            self.plots[key].setVisible(shown or key == "log_ratio")
            if shown:
                self.images[key].setImage(np.asarray(values), autoLevels=False, levels=self._levels)
            else:
                self.images[key].clear()
        self.note.setVisible(estimate is not None and not has_truth)
        self._place(tuple(snapshot.bounds))
        self._update_summary(snapshot.metrics)

    # ------------------------------------------------------------------ refreshers

    def _update_levels(self, snapshot) -> None:
        """One range symmetric about 0 for all panels: what log r reaches where p has its
        mass (at the real samples; the truth where known, it does not move while training),
        rounded up to a nice number so that it does not flicker."""
        extras = snapshot.extras
        reference = extras.get("true_log_ratio", extras.get("log_ratio"))
        if reference is None:
            return
        values = values_at(np.asarray(reference), snapshot.bounds, snapshot.real)
        if not values.size:  # no real sample inside the window
            values = np.asarray(reference)[np.isfinite(reference)]
        spread = float(np.quantile(np.abs(values), COVERED)) if values.size else 1.0
        levels = surface_style(np.array([spread]), False, 0.0)["levels"]  # +-spread, rounded up
        if levels != self._levels:  # the bar's axis redraws on any set call
            self._levels = levels
            self.color_bar.setLevels(levels)

    def _place(self, bounds) -> None:
        x_min, x_max, y_min, y_max = bounds
        rect = QtCore.QRectF(x_min, y_min, x_max - x_min, y_max - y_min)
        for image in self.images.values():
            if image.image is not None:
                image.setRect(rect)  # after setImage: pyqtgraph forgets a rect set before
        self.grid.show_bounds(bounds)

    def _update_summary(self, metrics) -> None:
        parts = []
        for key, label in (("kl_estimate", "KL estimate"), ("kl_true", "true KL"),
                           ("log_ratio_rmse", "log r RMSE (p-weighted)")):
            value = metrics.get(key)
            if value is not None and math.isfinite(value):
                parts.append(f"{label} {value:.3f}")
        text = "  \u00b7  ".join(parts)
        if text != self._summary_text:
            self._summary_text = text
            self.summary.setText(text)
