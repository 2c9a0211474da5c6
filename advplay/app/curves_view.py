"""Training curves: player losses, and the target metrics (mode coverage, divergences).

:class:`CurvesView` draws the bounded histories a :class:`~advplay.core.snapshot.Snapshot`
carries. Curves are long-lived :class:`~advplay.app.line_item.LineItem` objects refreshed with
``setData`` (a ``PlotDataItem`` cost ~0.4 ms a ``setData`` and more at every repaint), and NaN
or infinite values break a curve instead of breaking the plot (``connect="finite"``).
"""

from __future__ import annotations

import functools
import html

import numpy as np
import pyqtgraph as pg

from advplay.app.line_item import LineItem
from advplay.app.plot_ranges import RoundRange, round_up
from advplay.app.plot_style import cache_axes

from advplay.app.data_view import FAKE_COLOR

#: loss colours by player; the generator matches the generated samples in the data view
PLAYER_COLORS = {"d": (110, 168, 255), "g": FAKE_COLOR}
OTHER_COLORS = ((255, 196, 84), (236, 120, 255), (255, 120, 120), (120, 230, 220),
                (150, 200, 255), (57, 255, 120), (235, 235, 235), (255, 150, 60))
#: two curves of one plot whose colours are closer than this (RGB distance) get another
DISTINCT_COLOR_DISTANCE = 80
#: metrics in [0, 1] about the modes of a mixture: name -> (label, colour)
COVERAGE_METRICS = {"modes_captured": ("modes", (255, 196, 84)),
                    "high_quality": ("high quality", (150, 200, 255)),
                    "class_accuracy": ("on own class", (236, 120, 255))}
#: divergences and errors (positive, log axis): name -> (label, colour)
DIVERGENCE_METRICS = {"kl_grid": ("KL grid", (255, 120, 160)),
                      "js_grid": ("JS grid", (190, 140, 255)),
                      "reverse_kl": ("rev. KL modes", (120, 230, 220)),
                      "log_ratio_rmse": ("log r RMSE", (255, 196, 84)),
                      "reconstruction_error": ("reconstruction", (150, 200, 255))}
#: signed values (linear axis); unknown metrics join this plot: name -> (label, colour)
VALUE_METRICS = {"elbo": ("ELBO", (57, 255, 120)), "elbo_vae": ("ELBO of the VAE", (255, 196, 84)),
                 "kl_estimate": ("KL estimate", (255, 120, 160)),
                 "kl_true": ("true KL", (235, 235, 235)),
                 "kl_error": ("KL error", (255, 196, 84)),
                 "kl": ("KL(q(z|x) ‖ p(z))", (120, 230, 220)),
                 "reconstruction_log_likelihood": ("log p(x|z)", (150, 200, 255)),
                 "decoder_std": ("decoder σ", (236, 120, 255)),
                 "theta": ("θ", (255, 196, 84)), "psi": ("ψ", (236, 120, 255)),
                 "distance": ("|(θ, ψ)|", (235, 235, 235)),
                 "speed": ("speed |v|", (120, 230, 220))}
#: metrics that describe the target or the measurement rather than the generator
CONSTANT_METRICS = ("n_modes", "grid_size")
#: curve labels per line of a plot title (the side pane is narrow)
TITLE_ENTRIES = 3


class CurvesView(pg.GraphicsLayoutWidget):
    """Loss and metric histories of a training run, with a shared step axis.

    Four stacked plots: ``loss_plot`` (one curve per player, columns of
    ``snapshot.history_losses`` named by ``snapshot.losses``, each drawn raw and faint with a
    moving average on top), ``coverage_plot`` (modes captured as a fraction of the target's
    modes, the high-quality fraction, a conditional model's class accuracy), ``divergence_plot``
    (grid KL and JS, reverse KL of the mode histogram, log-ratio and reconstruction errors; log
    axis, zeros leave a gap) and ``value_plot`` (signed values such as the ELBO and KL
    estimates, and any metric this view does not know; linear axis).
    A metric plot with nothing to show is hidden. Each plot's title is its legend, so no legend
    box covers the curves.

    Attributes
    ----------
    loss_curves, loss_trends : dict[str, LineItem]
        Raw and smoothed loss curves by player.
    metric_curves : dict[str, LineItem]
        Metric curves by metric name.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("curvesView")
        self.loss_curves: dict[str, LineItem] = {}
        self.loss_trends: dict[str, LineItem] = {}
        self.metric_curves: dict[str, LineItem] = {}
        self._log_scale = False
        self._snapshot = None
        self._titles: dict[str, str] = {}
        self._step_range = None  # the upper end of the step axis
        self._metrics_key = None  # what the metric plots show (see _update_metrics)
        self._step_axis_plot = None  # the plot that shows the shared step axis
        self.loss_plot = self._add_plot(0, "loss")
        self.coverage_plot = self._add_plot(1, "fraction")
        self.coverage_plot.setYRange(0.0, 1.0, padding=0.04)
        self.coverage_plot.enableAutoRange(y=False)
        self.divergence_plot = self._add_plot(2, "nats (log)")
        self.divergence_plot.setLogMode(y=True)
        self.value_plot = self._add_plot(3, "value")
        self.loss_plot.disableAutoRange(axis="x")  # see _update_step_range
        # value axes in round jumps (see advplay.app.plot_ranges); coverage stays at [0, 1]
        self._ranges = {plot: RoundRange(plot) for plot in
                        (self.loss_plot, self.divergence_plot, self.value_plot)}
        for plot in (self.loss_plot, self.coverage_plot, self.divergence_plot, self.value_plot):
            plot.setLabel("bottom", "step")
        for plot in (self.coverage_plot, self.divergence_plot, self.value_plot):
            plot.setXLink(self.loss_plot)
            plot.setVisible(False)

    def _add_plot(self, row: int, unit: str) -> pg.PlotItem:
        plot = self.addPlot(row=row, col=0, axisItems={"left": LogFriendlyAxis("left")})
        plot.setLabel("left", unit)
        # Steps need no SI prefix, and without one a new step range only redraws the ticks
        # (pyqtgraph re-lays the axis label out at every range change otherwise).
        plot.getAxis("bottom").enableAutoSIPrefix(False)
        # No grid: pyqtgraph's grid lines cost ~25 ms a repaint here, more than all the curves.
        plot.hideButtons()
        cache_axes(plot)
        return plot

    # ------------------------------------------------------------------ public API

    def show_snapshot(self, snapshot) -> None:
        """Draw the loss and metric histories of ``snapshot``."""
        self._snapshot = snapshot
        self._update_losses()
        self._update_metrics()
        self._update_step_range()

    def set_log_scale(self, enabled: bool) -> None:
        """Show the losses on a logarithmic axis.

        A log axis needs positive values, but several losses (Wasserstein, hinge for G) are
        signed: the log scale therefore shows ``|loss|``, and exact zeros leave a gap.
        """
        self._log_scale = bool(enabled)
        self.loss_plot.setLogMode(y=self._log_scale)  # this turns pyqtgraph's auto-range on
        self.loss_plot.disableAutoRange(axis="x")  # the step axis keeps its round range
        self._ranges[self.loss_plot].reset()
        self.loss_plot.setLabel("left", "|loss| (log)" if self._log_scale else "loss")
        self._update_losses()

    @property
    def log_scale(self) -> bool:
        """Whether the loss axis is logarithmic."""
        return self._log_scale

    # ------------------------------------------------------------------ refreshers

    def _update_losses(self) -> None:
        snapshot = self._snapshot
        if snapshot is None:
            return
        players = list(snapshot.losses)
        for curves in (self.loss_curves, self.loss_trends):
            self._prune(self.loss_plot, curves, players)
        steps = np.asarray(snapshot.history_steps, dtype=np.float64)
        history = np.asarray(snapshot.history_losses, dtype=np.float64)
        history = history.reshape(len(steps), -1) if len(steps) else np.zeros((0, len(players)))
        entries, plotted = [], []
        for column, player in enumerate(players):
            values = (history[:, column] if column < history.shape[1]
                      else np.full(len(steps), np.nan))
            if self._log_scale:  # |loss| on a log axis; a zero would be log(0) = -inf
                values = np.abs(values)
                values[values == 0] = np.nan
            color = _player_color(player, column)
            if player not in self.loss_curves:
                self._add_curve(self.loss_plot, self.loss_curves, player, (*color[:3], 70), 1)
                self._add_curve(self.loss_plot, self.loss_trends, player, color, 2)
            _set_finite(self.loss_curves[player], steps, values)
            _set_finite(self.loss_trends[player], steps, moving_average(values))
            entries.append((f"{player.upper()}", color))
            plotted.append(values)
        self._set_title(self.loss_plot, "losses", entries)
        self._ranges[self.loss_plot].fit(*plotted)

    def _update_metrics(self) -> None:
        snapshot = self._snapshot
        if snapshot is None:
            return
        # Metrics are recorded every `metrics_every` steps, less often than the curves redraw:
        # an unchanged history leaves its plots alone, so only the loss plot repaints.
        key = _metric_history_key(snapshot)
        if key == self._metrics_key:
            return
        self._metrics_key = key
        series = _plottable_metrics(snapshot)
        plots = {"coverage": self.coverage_plot, "divergence": self.divergence_plot,
                 "value": self.value_plot}
        for plot in plots.values():
            self._prune(plot, self.metric_curves, list(series))
        steps = np.asarray(snapshot.metric_steps, dtype=np.float64)
        entries = {role: [] for role in plots}
        plotted = {role: [] for role in plots}
        for name, (role, label, color, values) in series.items():
            if name not in self.metric_curves:
                self._add_curve(plots[role], self.metric_curves, name, color, 2)
            elif self.metric_curves[name].opts["pen"].color() != pg.mkColor(color):
                self.metric_curves[name].setPen(pg.mkPen(color, width=2))  # another method's
            if role == "divergence":
                values = np.where(values > 0, values, np.nan)  # log axis
            _set_finite(self.metric_curves[name], steps, values)
            entries[role].append((label, color))
            plotted[role].append(values)
        for role in ("divergence", "value"):
            self._ranges[plots[role]].fit(*plotted[role])
        for role, plot in plots.items():
            if plot.isVisible() != bool(entries[role]):
                plot.setVisible(bool(entries[role]))
            self._set_title(plot, role, entries[role])
        # The plots share the step axis: only the lowest plot shown has one, so that a jump of
        # the step range redraws one axis (~2.5 ms here), not one per plot.
        stack = [self.loss_plot, *plots.values()]
        lowest = [plot for plot in stack if plot is self.loss_plot or plot.isVisible()][-1]
        if lowest is not self._step_axis_plot:
            self._step_axis_plot = lowest
            for plot in stack:
                plot.showAxis("bottom", plot is lowest)

    def _update_step_range(self) -> None:
        """Grow the step axis in round jumps: a range that moved every frame would redraw every
        axis every frame (~2 ms of the UI thread)."""
        steps = self._snapshot.history_steps
        last = float(max(steps[-1] if len(steps) else 0, self._snapshot.step, 10))
        upper = round_up(last)
        if upper != self._step_range:
            self._step_range = upper
            self.loss_plot.setXRange(0, upper, padding=0.02)

    # ------------------------------------------------------------------ helpers

    def _add_curve(self, plot, curves: dict, key: str, color, width: float) -> None:
        curve = LineItem(pg.mkPen(color, width=width), connect="finite", antialias=False)
        plot.addItem(curve)
        curves[key] = curve

    def _prune(self, plot, curves: dict, keep: list[str]) -> None:
        """Remove the curves of players or metrics the current run does not have."""
        for key in [key for key in curves if key not in keep]:
            if curves[key] in plot.listDataItems():
                plot.removeItem(curves.pop(key))

    def _set_title(self, plot, title: str, entries) -> None:
        """A title that doubles as the legend: the name, then each curve's label in its colour."""
        spans = [f"<span style='color:{_css(color)}'>\u2501 {html.escape(label)}</span>"
                 for label, color in entries]
        rows = [spans[start:start + TITLE_ENTRIES] for start in range(0, len(spans), TITLE_ENTRIES)]
        legend = "<br>".join("&nbsp;&nbsp;".join(row) for row in rows)  # narrow panes: wrap
        text = f"<span style='color:#bbb'>{title}</span>&nbsp;&nbsp;&nbsp;{legend}"
        if self._titles.get(title) != text:
            self._titles[title] = text
            plot.setTitle(text, size="9pt")


class LogFriendlyAxis(pg.AxisItem):
    """An axis whose log mode labels only 1, 2, 5 x 10^k (and 3 within one decade) as plain
    numbers; pyqtgraph's default labels every 2..9 x 10^k and they pile up in a short plot."""

    def logTickValues(self, minVal, maxVal, size, stdTicks):  # noqa: N802 (Qt/pyqtgraph name)
        levels = super().logTickValues(minVal, maxVal, size, stdTicks)
        keep = (1, 2, 3, 5) if maxVal - minVal < 1 else (1, 2, 5)
        return [(spacing, [v for v in values if round(10 ** (v % 1)) in keep])
                if spacing is None else (spacing, values) for spacing, values in levels]

    def logTickStrings(self, values, scale, spacing):  # noqa: N802
        return [f"{10 ** value:.3g}" for value in values]


def moving_average(values: np.ndarray, fraction: float = 1 / 40) -> np.ndarray:
    """Centred moving average over ``fraction`` of the series, ignoring NaN/inf values.

    Points that are themselves non-finite stay NaN, so gaps in the data stay visible.
    """
    window = max(1, int(round(len(values) * fraction)))
    if window == 1 or len(values) == 0:
        return values
    finite = np.isfinite(values)
    sums = np.concatenate([[0.0], np.cumsum(np.where(finite, values, 0.0))])
    counts = np.concatenate([[0], np.cumsum(finite)])
    index = np.arange(len(values))
    low = np.clip(index - window // 2, 0, len(values))
    high = np.clip(index + window - window // 2, 0, len(values))
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = (sums[high] - sums[low]) / (counts[high] - counts[low])
    return np.where(finite, mean, np.nan)


def _css(color) -> str:
    return "#" + "".join(f"{int(c):02x}" for c in color[:3])


def _player_color(player: str, index: int):
    return PLAYER_COLORS.get(player, OTHER_COLORS[index % len(OTHER_COLORS)])


def _plottable_metrics(snapshot) -> dict:
    """name -> (plot role, label, colour, values) for every metric worth a curve."""
    history = snapshot.metric_history
    result = {}
    for index, (name, values) in enumerate(history.items()):
        if name in CONSTANT_METRICS:
            continue
        values = np.asarray(values, dtype=np.float64)
        if name in COVERAGE_METRICS:
            label, color = COVERAGE_METRICS[name]
            if name == "modes_captured" and "n_modes" in history:
                with np.errstate(divide="ignore", invalid="ignore"):
                    values = values / np.asarray(history["n_modes"], dtype=np.float64)
                label = f"{label} (of {_last_finite(history['n_modes'])})"
            result[name] = ("coverage", label, color, values)
        elif name in DIVERGENCE_METRICS:
            label, color = DIVERGENCE_METRICS[name]
            result[name] = ("divergence", label, color, values)
        else:
            label, color = VALUE_METRICS.get(
                name, (name.replace("_", " "), OTHER_COLORS[index % len(OTHER_COLORS)]))
            result[name] = ("value", label, color, values)
    return _distinct_colors(result)


def _distinct_colors(metrics: dict) -> dict:
    """``metrics`` with each plot's colours told apart: a curve whose colour is close to one
    drawn before it in the same plot takes the first of ``OTHER_COLORS`` far from all of them
    (AVB's "ELBO of the VAE" and "log p(x|z)" were both orange, the ratio's "KL error" the
    pink of "KL estimate")."""
    taken: dict[str, list] = {}
    result = {}
    for name, (role, label, color, values) in metrics.items():
        used = taken.setdefault(role, [])
        if any(_color_distance(color, other) < DISTINCT_COLOR_DISTANCE for other in used):
            color = next((c for c in OTHER_COLORS if all(
                _color_distance(c, other) >= DISTINCT_COLOR_DISTANCE for other in used)), color)
        used.append(color)
        result[name] = (role, label, color, values)
    return result


def _color_distance(a, b) -> float:
    return float(np.linalg.norm(np.subtract(a[:3], b[:3], dtype=np.float64)))


def _metric_history_key(snapshot) -> tuple:
    """What identifies the metric history drawn: its length, last step and last values
    (compared as bytes, so NaN equals NaN)."""
    steps = snapshot.metric_steps
    return (len(steps), int(steps[-1]) if len(steps) else None,
            tuple((name, np.asarray(values)[-1:].tobytes())
                  for name, values in snapshot.metric_history.items()))


def _last_finite(values) -> str:
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    return f"{finite[-1]:g}" if finite.size else "?"


#: vertices per curve at most; a plot is a few hundred pixels wide
MAX_CURVE_POINTS = 500


def _set_finite(curve: LineItem, steps: np.ndarray, values: np.ndarray) -> None:
    """Set a curve's data, breaking it at NaN/inf values; an all-NaN series draws nothing.

    Long series are thinned evenly (keeping both ends) to at most MAX_CURVE_POINTS vertices,
    about the plot's width in pixels: more only cost drawing time.
    """
    if not np.isfinite(values).any():
        curve.setData([], [])
        return
    if len(steps) > MAX_CURVE_POINTS:
        keep = _thinned(len(steps))
        steps, values = steps[keep], values[keep]
    curve.setData(steps, values, connect="finite")


@functools.lru_cache(maxsize=8)
def _thinned(length: int) -> np.ndarray:
    """MAX_CURVE_POINTS indices spread evenly over ``length``, both ends included (the same
    for every curve of a frame, so they are made once)."""
    return np.unique(np.linspace(0, length - 1, MAX_CURVE_POINTS).round().astype(int))
