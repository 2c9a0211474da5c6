"""Value axes that move in round jumps: live curves without an axis redraw every frame.

pyqtgraph's auto-range fits the y axis to the data on every repaint: with a live loss curve the
range moves a little each frame, and every move makes the axis regenerate its ticks and labels
and makes the view ask every curve for its bounds (about half of the curves view's ~12-25 ms
repaint here). :class:`RoundRange` instead keeps the range at "nice" bounds (multiples of 1, 2
or 5 x 10^k; whole decades on a log axis) and changes it only when the data leave it or fill
less than a third of it. A range the user sets with the mouse is left alone until *View All*.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

#: the data may fill as little as this share of the range before it shrinks
LOOSEST_FILL = 1 / 3
#: roughly how many tick steps a range spans
TICKS = 4


def round_up(value: float, mantissas=(1.0, 2.0, 3.0, 5.0)) -> float:
    """The smallest of ``mantissas`` x 10^k that is >= ``value`` (> 0). The default is the
    curves' step axis: each jump of its end redraws that axis and every curve (8-12 ms of the
    UI thread here), and four ends a decade keep the curves over half the plot's width with
    two thirds of the jumps that (1, 1.5, 2, 3, 5, 7.5) made."""
    decade = 10.0 ** math.floor(math.log10(value))
    for mantissa in (*mantissas, 10.0):
        if mantissa * decade >= value * (1 - 1e-12):
            return float(mantissa * decade)
    return float(10.0 * decade)


def nice_step(span: float) -> float:
    """The smallest of 1, 2, 5 x 10^k that is >= ``span`` (> 0): a tick step."""
    return round_up(span, (1.0, 2.0, 5.0))


def nice_bounds(low: float, high: float, log: bool = False) -> tuple[float, float]:
    """Round bounds that contain [``low``, ``high``]: in log10 units (whole decades) when
    ``log``, where both must be > 0; otherwise multiples of a 1-2-5 step."""
    if log:
        bottom, top = math.floor(math.log10(low)), math.ceil(math.log10(high))
        return float(bottom), float(max(top, bottom + 1))
    span = high - low
    if span <= 0:
        span = abs(high) * 0.1 or 1.0
    step = nice_step(span / TICKS)
    bottom, top = math.floor(low / step) * step, math.ceil(high / step) * step
    return bottom, (top if top > bottom else bottom + step)


class RoundRange:
    """Keeps ``plot``'s y range at round bounds of the values given to :meth:`fit`."""

    def __init__(self, plot: pg.PlotItem):
        self.plot = plot
        self.bounds: tuple[float, float] | None = None
        self.following = True
        plot.enableAutoRange(y=False)
        box = plot.getViewBox()
        box.sigRangeChangedManually.connect(self._on_manual_change)
        box.menu.viewAll.triggered.connect(self.resume)

    def fit(self, *series: np.ndarray) -> None:
        """Bring the range to round bounds of the finite values (positive ones on a log axis),
        unless they already fit well or the user has set the range."""
        if not self.following:
            return
        log = bool(self.plot.getViewBox().state["logMode"][1])
        values = np.concatenate([np.asarray(s, dtype=np.float64).ravel() for s in series]
                                or [np.zeros(0)])
        values = values[np.isfinite(values) & ((values > 0) if log else True)]
        if not values.size:
            return
        low, high = float(values.min()), float(values.max())
        if log:
            low, high = math.log10(low), math.log10(high)
        if self.bounds is not None and self._fits(low, high):
            return
        self.bounds = nice_bounds(*((10 ** low, 10 ** high) if log else (low, high)), log=log)
        self.plot.setYRange(*self.bounds, padding=0.04)

    def resume(self) -> None:
        """Follow the data again (the view menu's *View All*)."""
        self.following = True
        self.bounds = None

    def reset(self) -> None:
        """Forget the bounds (the axis changed between linear and log)."""
        self.bounds = None

    def _fits(self, low: float, high: float) -> bool:
        bottom, top = self.bounds
        inside = bottom <= low and high <= top
        return inside and (high - low) >= LOOSEST_FILL * (top - bottom)

    def _on_manual_change(self, *_) -> None:
        self.following = False
