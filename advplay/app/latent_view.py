"""The latent space of the models with an encoder (ALI, AVB, VAE, AAE), and reconstructions.

Two panels, one above the other, from the frame extras described in
``advplay.core.models.encoding``:

* **latent space z**: samples of the prior p(z) in dim grey underneath; the codes
  z ~ q(z | x) of the real samples, coloured by their class as in the data view (one colour
  for an unlabelled target); on top, the posterior q(z | x) of a few chosen x, each its own
  bright colour, as a cloud of draws with a larger dot at its mean (a deterministic
  encoder's posterior is that dot alone). An encoder that matches the prior fills the grey
  cloud evenly (Dumoulin et al. 2017, ALI; Makhzani et al. 2016, AAE); posteriors that do
  not overlap let the decoder tell the x apart (Mescheder et al. 2017, AVB, Fig. 3).
* **data space x**: the real samples, faint; their reconstructions g(z), z ~ q(z | x);
  a segment from x to its reconstruction for the first few samples; the chosen x as large
  dots in the colours of their posteriors, which links the two panels.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

from advplay.app.data_view import FAKE_COLOR, REAL_CLASS_COLORS
from advplay.app.plot_style import cache_axes
from advplay.app.point_cloud import PointCloudItem

#: the chosen x and their posteriors: strong colours, each far in hue from the pale tint of
#: the class its x comes from (white, blue, violet, pink: see chosen_inputs in encoding.py)
POSTERIOR_COLORS = ((255, 40, 200), (255, 140, 20), (255, 230, 40), (0, 225, 210))
PRIOR_COLOR = (130, 130, 130, 150)
LINK_COLOR = (255, 255, 255, 70)
#: x -> reconstruction segments drawn: the first samples, so the same ones every frame
MAX_LINKS = 150
#: the latent range is the prior's extent times this, rounded up to a multiple of RANGE_STEP
RANGE_PADDING, RANGE_STEP = 1.1, 0.5
#: dot diameters in pixels
POINT_SIZE, CHOSEN_SIZE = 4, 11

#: the items of the latent panel; the others are in the data panel
LATENT_ITEMS = ("prior", "codes", "posterior", "posterior_mean")
#: (panel key, title, tooltip), top to bottom (the side tab is tall and narrow)
PANELS = (
    ("latent", "latent space z",
     ("Grey: prior samples z ~ p(z). Tints: codes z ~ q(z | x) of real samples, by class. "
      "Bright: draws of q(z | x) for a few chosen x, a large dot at each posterior's mean")),
    ("data", "data space x",
     ("Faint: real samples x. Green: their reconstructions G(E(x)), with a line from x to "
      "G(E(x)) for some of them. Large dots: the chosen x, in the colours of their posteriors")),
)


def finite_or_empty(points) -> np.ndarray:
    """``points`` as a float (n, 2) array, non-finite rows kept so that rows stay aligned;
    None gives (0, 2)."""
    return np.zeros((0, 2)) if points is None else np.asarray(points, np.float64).reshape(-1, 2)


def latent_extent(prior) -> float | None:
    """Half the side of the square latent range: the prior's largest finite |z|, padded and
    rounded up to a multiple of :data:`RANGE_STEP`, so that it only moves when the prior
    does; None without a finite prior sample."""
    prior = finite_or_empty(prior)
    prior = prior[np.isfinite(prior).all(axis=1)]
    if not len(prior):
        return None
    return RANGE_STEP * math.ceil(float(np.abs(prior).max()) * RANGE_PADDING / RANGE_STEP)


def posterior_means(samples: np.ndarray) -> np.ndarray:
    """The mean (K, 2) of each posterior's finite draws ``samples`` (K, S, 2); NaN for none."""
    finite = np.isfinite(samples).all(axis=2, keepdims=True)  # (K, S, 1)
    counts = finite.sum(axis=1)  # (K, 1)
    totals = np.where(finite, samples, 0.0).sum(axis=1)  # (K, 2)
    return np.where(counts > 0, totals / np.maximum(counts, 1), np.nan)


def link_segments(inputs: np.ndarray, outputs: np.ndarray, limit: int = MAX_LINKS) -> np.ndarray:
    """Segment endpoints (2m, 2), x then g(E(x)), for the first ``limit`` finite pairs."""
    n = min(len(inputs), len(outputs))
    pairs = np.concatenate([inputs[:n], outputs[:n]], axis=1).astype(np.float64)
    pairs = pairs[np.isfinite(pairs).all(axis=1)][:limit]
    return pairs.reshape(-1, 2)


class LatentView(pg.GraphicsLayoutWidget):
    """The latent space z and the data space x of an encoder model's snapshot.

    Attributes
    ----------
    plots : dict of pg.PlotItem, ``"latent"`` and ``"data"``
    items : dict of the drawn items: ``prior``, ``codes``, ``posterior``, ``posterior_mean``
        (latent panel), ``real``, ``reconstructions``, ``links``, ``chosen`` (data panel);
        PointCloudItem except ``links``, a pg.PlotCurveItem of segments (``connect="pairs"``)
    legends : dict of pg.LegendItem, one under each panel
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("latentView")
        self.setToolTip("What the encoder does: codes E(x) of real samples against the prior "
                        "(top), and the reconstructions G(E(x)) of the samples (bottom)")
        self.plots: dict[str, pg.PlotItem] = {}
        self.legends: dict[str, pg.LegendItem] = {}
        for panel, (key, title, tip) in enumerate(PANELS):
            self.plots[key] = self._add_plot(2 * panel, title, tip)
            self.legends[key] = pg.LegendItem(colCount=4, labelTextSize="8pt", horSpacing=8)
            self.addItem(self.legends[key], row=2 * panel + 1, col=0)
            self.ci.layout.setRowStretchFactor(2 * panel, 1)  # the plots take the height,
            self.ci.layout.setRowStretchFactor(2 * panel + 1, 0)  # legends their row only
        self.items = self._build_items()
        self._extent: float | None = None
        self._bounds = None

    def _add_plot(self, row: int, title: str, tip: str) -> pg.PlotItem:
        plot = self.addPlot(row=row, col=0, title=title)
        plot.setAspectLocked(True)
        plot.disableAutoRange()  # set from the prior and the target's bounds, not the data
        plot.hideButtons()
        plot.setToolTip(tip)
        cache_axes(plot)
        return plot

    def _build_items(self) -> dict:
        rim = (255, 255, 255, 230)  # the chosen x and their posteriors' means stand out
        items = {
            "prior": PointCloudItem(POINT_SIZE - 1, (PRIOR_COLOR,), name="prior p(z)"),
            "codes": PointCloudItem(POINT_SIZE, REAL_CLASS_COLORS, name="codes E(x)"),
            "posterior": PointCloudItem(POINT_SIZE - 1, POSTERIOR_COLORS),
            "posterior_mean": PointCloudItem(CHOSEN_SIZE, POSTERIOR_COLORS, rim=rim,
                                             name="q(z | x), chosen x"),
            "real": PointCloudItem(POINT_SIZE - 1, [(*c, 110) for c in REAL_CLASS_COLORS],
                                   name="real x"),
            "links": pg.PlotCurveItem(pen=pg.mkPen(LINK_COLOR, width=1), connect="pairs",
                                      skipFiniteCheck=True, name="x \u2192 G(E(x))"),
            "reconstructions": PointCloudItem(POINT_SIZE, (FAKE_COLOR,), name="G(E(x))"),
            "chosen": PointCloudItem(CHOSEN_SIZE, POSTERIOR_COLORS, rim=rim, name="chosen x"),
        }
        for depth, (key, item) in enumerate(items.items()):  # bottom to top
            panel = "latent" if key in LATENT_ITEMS else "data"
            item.setZValue(depth)
            self.plots[panel].addItem(item)
            if item.name() is not None:
                self.legends[panel].addItem(item, item.name())
        return items

    # ------------------------------------------------------------------ public API

    def show_snapshot(self, snapshot) -> None:
        """Draw the latent and data panels of ``snapshot``; missing extras leave them empty."""
        extras = snapshot.extras
        self._show_latent(extras)
        self._show_data(snapshot)
        self._place(extras.get("latent_prior"), tuple(snapshot.bounds))

    # ------------------------------------------------------------------ refreshers

    def _show_latent(self, extras) -> None:
        _set_points(self.items["prior"], extras.get("latent_prior"))
        _set_points(self.items["codes"], extras.get("latent_real"), extras.get("latent_labels"))
        samples = extras.get("posterior_samples")
        samples = np.zeros((0, 1, 2)) if samples is None else np.asarray(samples, np.float64)
        if samples.ndim == 2:  # (K, 2): one draw each
            samples = samples[:, None]  # (K, 1, 2)
        chosen = np.arange(len(samples))
        draws = samples.shape[1]
        # a single draw is the whole (point-mass) posterior: its mean dot shows it
        _set_points(self.items["posterior"], samples if draws > 1 else None,
                    np.repeat(chosen, draws))
        _set_points(self.items["posterior_mean"], posterior_means(samples), chosen)

    def _show_data(self, snapshot) -> None:
        extras = snapshot.extras
        reconstructions = extras.get("reconstructions")
        _set_points(self.items["real"], snapshot.real, snapshot.real_labels)
        _set_points(self.items["reconstructions"], reconstructions)
        inputs = extras.get("posterior_inputs")
        _set_points(self.items["chosen"], inputs,
                    None if inputs is None else np.arange(len(inputs)))
        segments = link_segments(np.asarray(snapshot.real), finite_or_empty(reconstructions))
        self.items["links"].setData(segments[:, 0], segments[:, 1], connect="pairs")

    def _place(self, prior, bounds) -> None:
        extent = latent_extent(prior)
        if extent is not None and extent != self._extent:  # the user's zoom stays till then
            self._extent = extent
            self.plots["latent"].setRange(xRange=(-extent, extent), yRange=(-extent, extent),
                                          padding=0)
        if bounds != self._bounds:
            self._bounds = bounds
            x_min, x_max, y_min, y_max = bounds
            self.plots["data"].setRange(xRange=(x_min, x_max), yRange=(y_min, y_max), padding=0)


def _set_points(item: PointCloudItem, points, labels=None) -> None:
    """Show ``points`` (..., 2) on ``item``, coloured by ``labels`` (one per point) if given;
    rows with a non-finite coordinate are dropped with their labels; None clears."""
    points = finite_or_empty(points)
    keep = np.isfinite(points).all(axis=1)
    if labels is not None:
        labels = np.asarray(labels).reshape(-1)
        if len(labels) != len(points):  # not this snapshot's labels: one colour
            labels = None
    if labels is None and not keep.any():
        # empty labels, not None: PointCloudItem cannot draw an empty unlabelled set (pyqtgraph
        # writes 0 points into a read-only array)
        labels = np.zeros(len(points), dtype=np.int64)
    item.setData(points[keep, 0], points[keep, 1], None if labels is None else labels[keep])
