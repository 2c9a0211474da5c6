"""The data-space plot: discriminator surface, target, generator samples, gradients, manifold.

:class:`DataView` draws a :class:`~advplay.core.snapshot.Snapshot` up to ~30 times a second, so
each layer is one long-lived pyqtgraph item refreshed with ``setImage`` / ``setData`` (all arrows
are one item of line segments), and hidden layers are not refreshed until shown again. The
geometry and colours of the layers are plain NumPy, in :mod:`advplay.app.layer_geometry`.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from advplay.app.layer_geometry import (arrow_segments, contour_segments_by_level,
                                        polyline_connect, rgba_lut, surface_rgba, surface_style)
from advplay.app.line_item import LineItem
from advplay.app.plot_style import cache_axes, cache_legend, cache_static_layer, refresh_legend
from advplay.app.point_cloud import PointCloudItem
from advplay.app.smooth_image import SmoothImageItem
from advplay.app.surface_names import ARROWS, GAN, MANIFOLD, SAMPLES, surface_names
from PySide6 import QtCore

from advplay.core.views import ARROW_SAMPLES, grid_axes

#: layer names accepted by :meth:`DataView.set_layer_visible`, bottom to top
LAYERS = ("surface", "density", "contours", "manifold", "real", "gradients", "fake")
#: which discriminator surface :meth:`DataView.set_surface` can show
SURFACES = ("output", "logit")
#: layers hidden until the user asks
HIDDEN_BY_DEFAULT = ("density",)

# Colours for the dark background: the surface is a diverging map with a dark centre (blue =
# the "fake" side of D, red = the "real" side) at 60% brightness, so points stay the brightest
# things on screen; real samples are light tints (by class; no greens or ambers, which belong
# to the generator: samples, manifold, arrows), generated samples a strong green accent.
SURFACE_COLORMAP, SURFACE_BRIGHTNESS = "CET-D4", 0.6
REAL_CLASS_COLORS = ((235, 235, 235), (150, 205, 255), (240, 175, 255), (255, 175, 190),
                     (150, 240, 250), (200, 190, 255), (255, 215, 235), (190, 215, 235))
FAKE_COLOR, MANIFOLD_COLOR = (57, 255, 120), (57, 255, 120, 70)
#: generated samples of conditional models, by class: strong versions of the real tints
FAKE_CLASS_COLORS = (FAKE_COLOR, (60, 150, 255), (225, 90, 255), (255, 85, 115),
                     (40, 220, 240), (150, 120, 255), (255, 120, 200), (120, 170, 220))
GRADIENT_COLOR, DENSITY_COLOR = (255, 200, 90, 190), (120, 230, 255)
CONTOUR_COLOR, BOUNDARY_COLOR = (255, 255, 255, 60), (255, 255, 255, 200)
POINT_SIZE = 4

#: arrows drawn: the first samples of the fixed noise batch, so the same samples every frame
MAX_ARROWS = ARROW_SAMPLES
#: the typical (90th percentile) arrow is this fraction of the plot's larger side
ARROW_FRACTION = 0.06


def _bytes(array: np.ndarray | None) -> bytes | None:
    return None if array is None else array.tobytes()


def _finite_rows(*arrays: np.ndarray) -> np.ndarray:
    """Mask of the rows that are finite in every (N, k) array."""
    return np.logical_and.reduce([np.isfinite(array).all(axis=1) for array in arrays])


class DataView(pg.GraphicsLayoutWidget):
    """The data-space plot of a training snapshot.

    Layers, bottom to top (names for :meth:`set_layer_visible`): ``"surface"`` the
    discriminator as a heat map with a colour bar, ``"density"`` the target density (set with
    :meth:`set_target_density`; hidden until asked for), ``"contours"`` iso-lines of the surface
    with the decision boundary highlighted, ``"manifold"`` the image of a latent grid,
    ``"real"`` target samples (tinted by class), ``"gradients"`` where the generator will move
    each sample (minus the gradient of its loss), ``"fake"`` generator samples.

    Attributes
    ----------
    plot : pg.PlotItem
    surface_image, density_image : pg.ImageItem
        Row-major images: row = y, column = x, covering the bounds exactly; the surface
        image holds RGBA colours of ``surface_values``, the surface shown.
    color_bar : pg.ColorBarItem
    contour_lines, boundary_line, gradient_lines : LineItem
        Line segments (``connect="pairs"``); ``gradient_lines`` holds the shafts first.
    manifold_lines : LineItem
        All four change every frame: a :class:`~advplay.app.line_item.LineItem` builds its path
        once per ``setData``; pyqtgraph's curve items redo work at every repaint.
    real_scatter, fake_scatter : PointCloudItem (coloured by class where samples have labels)
    """

    #: (layer name, visible) whenever a layer is shown or hidden, also from a legend click
    layer_toggled = QtCore.Signal(str, bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("dataView")
        self._snapshot = None
        self.surface_values: np.ndarray | None = None
        self._surface = "output"
        self._placements: dict[str, tuple] = {}  # image -> (bounds, shape)
        self._view_bounds = None
        self._density = None  # (density in [0, 1] (H, W), bounds)
        self._density_shown = None  # the _density the image holds; frames leave it and its cache
        self._color_bar_state = None  # (levels, label) the colour bar shows
        self._real_key = None  # bytes of the (points, labels) the real scatter holds
        self._visible_class: int | None = None  # show only this class (conditional models)
        self._manifold = ((0, 0), np.empty(0, dtype=bool))  # (lines, points), connect array
        self._build_plot()
        self._build_items()
        for name in HIDDEN_BY_DEFAULT:
            self.set_layer_visible(name, False)

    # ------------------------------------------------------------------ building

    def _build_plot(self) -> None:
        self.plot = self.addPlot()
        self.plot.setAspectLocked(True)
        self.plot.disableAutoRange()  # the range is the target's bounds, never the data's
        self.plot.hideButtons()
        cache_axes(self.plot)
        self.plot.setLabel("bottom", "x")
        self.plot.setLabel("left", "y")
        # the legend is a row under the plot, where it never hides data
        self.legend = pg.LegendItem(colCount=5, labelTextSize="8pt", horSpacing=12)
        self.addItem(self.legend, row=1, col=0)

    def _build_items(self) -> None:
        self.surface_image = SmoothImageItem(axisOrder="row-major")
        self.density_image = SmoothImageItem(axisOrder="row-major")
        self.density_image.setColorMap(pg.ColorMap(
            [0.0, 1.0], [(*DENSITY_COLOR, 0), (*DENSITY_COLOR, 210)]))
        cache_static_layer(self.density_image)  # redrawn with the target, not every frame
        self.contour_lines = _segments_item(CONTOUR_COLOR, 1)
        self.boundary_line = _segments_item(BOUNDARY_COLOR, 2, name="D = 0.5")
        self.manifold_lines = LineItem(pg.mkPen(MANIFOLD_COLOR, width=1), connect="all",
                                       name=MANIFOLD)
        self.real_scatter = PointCloudItem(POINT_SIZE, REAL_CLASS_COLORS, name="real")
        cache_static_layer(self.real_scatter)  # the real samples change with the target only
        self.gradient_lines = _segments_item(GRADIENT_COLOR, 1, name=ARROWS)
        self.fake_scatter = PointCloudItem(POINT_SIZE + 1, FAKE_CLASS_COLORS, rim=(0, 0, 0, 180),
                                           name=SAMPLES)
        self._layers = {"surface": (self.surface_image,), "density": (self.density_image,),
                        "contours": (self.contour_lines, self.boundary_line),
                        "manifold": (self.manifold_lines,), "real": (self.real_scatter,),
                        "gradients": (self.gradient_lines,), "fake": (self.fake_scatter,)}
        for depth, name in enumerate(LAYERS):
            for item in self._layers[name]:
                item.setZValue(depth)
                self.plot.addItem(item)
                # also fires when a legend entry is clicked: redraw what was skipped while hidden
                item.visibleChanged.connect(lambda layer=name: self._on_layer_visibility(layer))
        colormap = _surface_colormap()
        self.color_bar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=colormap,
                                         label="D(x)", interactive=False, colorMapMenu=False,
                                         width=14)
        # Not linked to the image: the view colours the surface itself (see surface_rgba).
        self.color_bar.setImageItem([], insert_in=self.plot)
        cache_axes(self.color_bar)  # the whole view repaints each frame: bar and legend blit
        self._legend_names = None  # the method-dependent labels the legend holds
        self._fill_legend(GAN)  # until a snapshot names its method
        self._surface_lut = rgba_lut(colormap)

    # ------------------------------------------------------------------ public API

    def show_snapshot(self, snapshot) -> None:
        """Draw ``snapshot`` (a :class:`~advplay.core.snapshot.Snapshot`); visible layers only."""
        self._snapshot = snapshot
        self._fill_legend(surface_names(snapshot.model))
        self._update_range(snapshot.bounds)
        for name in LAYERS:
            self._update_layer(name)

    def set_surface(self, kind: str) -> None:
        """Show the discriminator's ``"output"`` (D(x) as the loss defines it) or ``"logit"``."""
        if kind not in SURFACES:
            raise ValueError(f"surface must be one of {', '.join(SURFACES)}, not {kind!r}")
        self._surface = kind
        self._update_surface()
        self._update_contours()

    def set_surface_colormap(self, colormap: pg.ColorMap) -> None:
        """Colour the surface and its colour bar with ``colormap`` (exports' themes)."""
        self.color_bar.setColorMap(colormap)
        self._surface_lut = rgba_lut(colormap)
        self._update_surface()

    @property
    def surface(self) -> str:
        """The surface shown: ``"output"`` or ``"logit"``."""
        return self._surface

    def set_layer_visible(self, name: str, visible: bool) -> None:
        """Show or hide one layer (see :data:`LAYERS`)."""
        if name not in self._layers:
            raise ValueError(f"layer must be one of {', '.join(LAYERS)}, not {name!r}")
        for item in self._layers[name]:
            item.setVisible(bool(visible))

    def layer_visible(self, name: str) -> bool:
        """Whether any item of layer ``name`` is shown."""
        return any(item.isVisible() for item in self._layers[name])

    def set_target_density(self, log_density, bounds) -> None:
        """Set the ``"density"`` layer: log density (H, W) (row = y) over ``bounds``; None clears.

        The density is normalised to its maximum and shown as a translucent glow, so it can lie
        over the discriminator surface.
        """
        self._density = None if log_density is None else (_glow(log_density), tuple(bounds))
        if self._density is None:
            self.density_image.clear()
        self._update_density()

    # ------------------------------------------------------------------ refreshers

    def _fill_legend(self, names) -> None:
        """One legend entry per line or point layer the method draws, as the method calls it
        (the ratio estimator's points are samples of q; it has no arrows or latent grid)."""
        labels = {self.fake_scatter: names.samples, self.gradient_lines: names.arrows,
                  self.manifold_lines: names.manifold}
        if tuple(labels.values()) == self._legend_names:
            return
        self._legend_names = tuple(labels.values())
        self.legend.clear()
        for name in LAYERS:
            for item in self._layers[name]:
                if isinstance(item, pg.ImageItem):
                    continue
                label = labels.get(item, item.name())
                if label is not None:
                    self.legend.addItem(item, label)
        cache_legend(self.legend)
        if self._snapshot is not None:  # the boundary's entry names the method's quantity
            self._name_boundary(self._surface_values()[1]["boundary"])

    def _on_layer_visibility(self, name: str) -> None:
        refresh_legend(self.legend)  # a hidden layer's sample is drawn faded
        if name == "surface":
            self.color_bar.setVisible(self.surface_image.isVisible())
        self._update_layer(name)
        self.layer_toggled.emit(name, self.layer_visible(name))

    def _update_layer(self, name: str) -> None:
        getattr(self, f"_update_{name}")()

    def _update_range(self, bounds) -> None:
        bounds = tuple(bounds)
        if bounds != self._view_bounds:
            self._view_bounds = bounds
            self.plot.setRange(xRange=bounds[:2], yRange=bounds[2:], padding=0)

    def _surface_values(self) -> tuple[np.ndarray, dict]:
        snapshot = self._snapshot
        logit = snapshot.discriminator_logit
        boundary = snapshot.decision_level
        if self._surface == "logit":
            if snapshot.output_is_probability:
                boundary = 0.0  # D = 0.5 is logit 0
            return logit, surface_style(logit, False, boundary)
        return snapshot.discriminator_output, surface_style(
            snapshot.discriminator_output, snapshot.output_is_probability, boundary)

    def _update_surface(self) -> None:
        if self._snapshot is None or not self.surface_image.isVisible():
            return
        values, style = self._surface_values()
        self.surface_values = values
        self.surface_image.setImage(surface_rgba(values, style["levels"], self._surface_lut),
                                    autoLevels=False, levels=None)
        # The colour bar's axes redraw from scratch on any set call: only touch them on change.
        names = surface_names(self._snapshot.model)
        bar = (tuple(style["levels"]), names.logit if self._surface == "logit" else names.output)
        if bar != self._color_bar_state:
            self._color_bar_state = bar
            self.color_bar.setLevels(bar[0])
            self.color_bar.getAxis("left").setLabel(bar[1])
        self._place_image(self.surface_image, "surface", self._snapshot.bounds)
        self.surface_image.prescale_soon()  # the stretch in a pass of its own, not in the repaint

    def _place_image(self, image: pg.ImageItem, key: str, bounds) -> None:
        # The rect is a scale from pixels, so it must follow setImage (pyqtgraph forgets one set
        # before) and be set again when the bounds or the image shape change.
        placement = (tuple(bounds), image.image.shape)
        if self._placements.get(key) != placement:
            self._placements[key] = placement
            x_min, x_max, y_min, y_max = placement[0]
            image.setRect(QtCore.QRectF(x_min, y_min, x_max - x_min, y_max - y_min))

    def _update_density(self) -> None:
        if self._density is None or not self.density_image.isVisible():
            return
        if self._density_shown is self._density:
            return
        self._density_shown = self._density
        density, bounds = self._density
        self.density_image.setImage(density, autoLevels=False, levels=(0.0, 1.0))
        self._place_image(self.density_image, "density", bounds)

    def _update_contours(self) -> None:
        if self._snapshot is None or not self.layer_visible("contours"):
            return
        values, style = self._surface_values()
        xs, ys = grid_axes(self._snapshot.bounds, values.shape)
        boundary = style["boundary"]
        levels = list(style["contours"]) + ([] if boundary is None else [boundary])
        segments = contour_segments_by_level(values, xs, ys, levels)  # one pass for all
        _set_segments(self.contour_lines,
                      np.concatenate([np.empty((0, 2)), *segments[:len(style["contours"])]]))
        _set_segments(self.boundary_line,
                      np.empty((0, 2)) if boundary is None else segments[-1])
        self._name_boundary(boundary)

    def _name_boundary(self, boundary: float | None) -> None:
        """The legend's boundary entry: the method's quantity at ``boundary`` (None: none)."""
        names = surface_names(self._snapshot.model)
        quantity = "logit" if self._surface == "logit" else names.quantity
        name = names.no_boundary if boundary is None else f"{quantity} = {boundary:g}"
        label = self.legend.getLabel(self.boundary_line)
        if label is not None and label.text != name:
            label.setText(name)

    def _update_real(self) -> None:
        snapshot = self._snapshot
        if snapshot is None or not self.real_scatter.isVisible():
            return
        key = (snapshot.real.tobytes(), _bytes(snapshot.real_labels), self._visible_class)
        if key == self._real_key:
            return  # the real samples only change with the target
        self._real_key = key
        self._set_points(self.real_scatter, snapshot.real, snapshot.real_labels)

    def _update_fake(self) -> None:
        if self._snapshot is None or not self.fake_scatter.isVisible():
            return
        self._set_points(self.fake_scatter, self._snapshot.fake, self._snapshot.fake_labels)

    def _set_points(self, item: PointCloudItem, points: np.ndarray, labels) -> None:
        keep = _finite_rows(points)
        if labels is not None and self._visible_class is not None:
            keep &= labels == self._visible_class
        points = points[keep]
        item.setData(points[:, 0], points[:, 1], None if labels is None else labels[keep])

    def set_visible_class(self, label: int | None) -> None:
        """Show the samples of one class only (conditional models), or all with None."""
        self._visible_class = label
        self._update_real()
        self._update_fake()

    def _update_gradients(self) -> None:
        snapshot = self._snapshot
        if snapshot is None or not self.gradient_lines.isVisible():
            return
        gradients = snapshot.fake_gradients[:MAX_ARROWS]  # those of the first fakes
        fake = snapshot.fake[:len(gradients)]
        keep = _finite_rows(fake, gradients)
        x_min, x_max, y_min, y_max = snapshot.bounds
        typical = ARROW_FRACTION * max(x_max - x_min, y_max - y_min)
        segments = arrow_segments(fake[keep].astype(np.float64),
                                  -gradients[keep].astype(np.float64), typical)
        _set_segments(self.gradient_lines, segments)

    def _update_manifold(self) -> None:
        snapshot = self._snapshot
        if snapshot is None or not self.manifold_lines.isVisible():
            return
        lines = snapshot.manifold
        if lines.ndim != 3 or lines.size == 0:
            self.manifold_lines.setData([], [])
            return
        if self._manifold[0] != lines.shape[:2]:
            self._manifold = (lines.shape[:2], polyline_connect(*lines.shape[:2]))
        points, connect = lines.reshape(-1, 2), self._manifold[1]
        finite = np.isfinite(points).all(axis=1)
        if not finite.all():  # break the lines around non-finite points instead of drawing them
            connect = connect & finite & np.roll(finite, -1)
            points = np.where(finite[:, None], points, 0.0)
        self.manifold_lines.setData(points[:, 0], points[:, 1], connect=connect)


def _segments_item(color, width: float, name: str | None = None) -> LineItem:
    return LineItem(pg.mkPen(color, width=width), connect="pairs", name=name)


def _set_segments(item: LineItem, segments: np.ndarray) -> None:
    item.setData(segments[:, 0], segments[:, 1], connect="pairs")


def _glow(log_density) -> np.ndarray:
    """sqrt(density / max density) in [0, 1]: the tails stay visible; -inf and NaN give 0."""
    log_density = np.asarray(log_density, dtype=np.float64)
    finite = np.isfinite(log_density)
    peak = log_density[finite].max() if finite.any() else 0.0
    return np.sqrt(np.exp(np.where(finite, log_density - peak, -np.inf))).astype(np.float32)


def _surface_colormap() -> pg.ColorMap:
    """:data:`SURFACE_COLORMAP` darkened by :data:`SURFACE_BRIGHTNESS` (ordering kept)."""
    lut = pg.colormap.get(SURFACE_COLORMAP).getLookupTable(nPts=256, alpha=False)
    dimmed = np.round(lut * SURFACE_BRIGHTNESS).astype(np.uint8)
    return pg.ColorMap(np.linspace(0.0, 1.0, len(dimmed)), dimmed)

