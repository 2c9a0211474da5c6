"""The Dirac-GAN's (θ, ψ) plane: the gradient vector field, the path so far, the equilibrium.

The ``dirac`` model (``advplay.core.models.dirac``) puts in ``snapshot.extras`` the current
``theta_psi``, the bounded ``trajectory`` and the continuous-time vector field (``field_theta``,
``field_psi``, ``field_u``, ``field_v``) of its loss and regulariser. As in Figure 1 of
Mescheder, Geiger & Nowozin (2018), the field circles the equilibrium (0, 0): plain gradient
steps orbit or spiral out, regularised ones spiral in. Each layer is one long-lived item; the
arrows (a few hundred segments in one curve) are rebuilt only when the field changes.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from advplay.app.layer_geometry import arrow_segments
from advplay.app.plot_style import cache_axes

FIELD_COLOR, PATH_COLOR = (150, 170, 200, 150), (57, 255, 120)
POINT_COLOR, EQUILIBRIUM_COLOR = (255, 200, 90), (255, 255, 255)
#: the typical (90th percentile) field arrow is this fraction of the grid spacing
ARROW_SPACING_FRACTION = 0.8
#: the plot shows the field's square plus this margin, as a fraction of its side
MARGIN = 0.05


class DiracView(QWidget):
    """The (θ, ψ) plane of a Dirac-GAN snapshot.

    Attributes
    ----------
    plot : pg.PlotItem, θ horizontal, ψ vertical, equal aspect
    field_arrows : pg.PlotCurveItem, line segments (``connect="pairs"``), shafts first
    trajectory_line : pg.PlotCurveItem, the path of (θ, ψ) so far
    current_point, equilibrium_marker : pg.ScatterPlotItem
    readout : QLabel with θ, ψ and the distance to the equilibrium
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("diracView")
        self.setToolTip("The whole Dirac-GAN is a point (θ, ψ): generator at θ, discriminator "
                        "D(x) = ψx. Arrows: where gradient play pushes it; line: its path")
        self.graphics = pg.GraphicsLayoutWidget()
        self.readout = QLabel()
        self.readout.setToolTip("Current parameters and the distance to the equilibrium (0, 0)")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)
        layout.addWidget(self.readout)
        self._build_plot()
        self._field_key: bytes | None = None
        self._extent: float | None = None
        self._readout_text = ""

    def _build_plot(self) -> None:
        self.plot = self.graphics.addPlot(title="Dirac-GAN: (θ, ψ) plane")
        self.plot.setAspectLocked(True)
        self.plot.hideButtons()
        self.plot.setLabel("bottom", "θ (generator: fakes at x = θ)")
        self.plot.setLabel("left", "ψ (discriminator: D(x) = ψx)")
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        cache_axes(self.plot)
        self.field_arrows = pg.PlotCurveItem(pen=pg.mkPen(FIELD_COLOR, width=1), connect="pairs",
                                             skipFiniteCheck=True)
        self.field_arrows.setToolTip("The gradient vector field (θ̇, ψ̇) of the loss and "
                                     "regulariser: the continuous-time dynamics")
        self.trajectory_line = pg.PlotCurveItem(pen=pg.mkPen(PATH_COLOR, width=2))
        self.trajectory_line.setToolTip("The path of (θ, ψ) so far, from the start (1, 1)")
        self.equilibrium_marker = pg.ScatterPlotItem(
            [0.0], [0.0], symbol="+", size=16, pen=pg.mkPen(EQUILIBRIUM_COLOR, width=2),
            brush=None)
        self.equilibrium_marker.setToolTip("The equilibrium (0, 0): the generator on the data, "
                                           "a discriminator that cannot tell")
        self.current_point = pg.ScatterPlotItem(symbol="o", size=11, brush=pg.mkBrush(POINT_COLOR),
                                                pen=pg.mkPen((0, 0, 0), width=1))
        self.current_point.setToolTip("The current parameters (θ, ψ)")
        for depth, item in enumerate((self.field_arrows, self.trajectory_line,
                                      self.equilibrium_marker, self.current_point)):
            item.setZValue(depth)
            self.plot.addItem(item)

    # ------------------------------------------------------------------ public API

    def show_snapshot(self, snapshot) -> None:
        """Draw the (θ, ψ) plane from ``snapshot.extras``; other snapshots clear it."""
        extras = snapshot.extras
        if "theta_psi" not in extras:
            self._clear()
            return
        self._update_field(extras)
        path = np.asarray(extras["trajectory"], dtype=np.float64)
        path = path[np.isfinite(path).all(axis=1)]
        self.trajectory_line.setData(path[:, 0], path[:, 1])
        theta, psi = (float(v) for v in extras["theta_psi"])
        if math.isfinite(theta) and math.isfinite(psi):
            self.current_point.setData([theta], [psi])
        self._update_readout(theta, psi, snapshot.step)

    # ------------------------------------------------------------------ refreshers

    def _clear(self) -> None:
        self.field_arrows.setData([], [])
        self.trajectory_line.setData([], [])
        self.current_point.setData([], [])
        self._field_key = None

    def _update_field(self, extras) -> None:
        """Arrows at the field's grid points, rebuilt only when the field changes."""
        arrays = [np.asarray(extras[k], dtype=np.float64)
                  for k in ("field_theta", "field_psi", "field_u", "field_v")]
        key = b"".join(a.tobytes() for a in arrays)
        if key == self._field_key:
            return
        self._field_key = key
        theta, psi, u, v = (a.ravel() for a in arrays)
        extent = float(np.max(np.abs(theta))) if theta.size else 1.0
        side = max(round(math.sqrt(theta.size)), 2)
        spacing = 2 * extent / (side - 1)
        segments = arrow_segments(np.stack([theta, psi], axis=1), np.stack([u, v], axis=1),
                                  ARROW_SPACING_FRACTION * spacing)
        self.field_arrows.setData(segments[:, 0], segments[:, 1], connect="pairs")
        if extent != self._extent:
            self._extent = extent
            reach = extent * (1 + MARGIN)
            self.plot.setRange(xRange=(-reach, reach), yRange=(-reach, reach), padding=0)

    def _update_readout(self, theta: float, psi: float, step: int) -> None:
        text = (f"step {step}   θ = {theta:.4g}   ψ = {psi:.4g}   "
                f"distance to (0, 0) = {math.hypot(theta, psi):.4g}")
        if text != self._readout_text:
            self._readout_text = text
            self.readout.setText(text)
