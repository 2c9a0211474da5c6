"""Small pyqtgraph settings shared by the live views, chosen for a cheap repaint."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QGraphicsItem


def cache_axes(plot: pg.PlotItem) -> None:
    """Paint ``plot``'s axes, their labels and its title from pixmap caches.

    Every live frame repaints the whole plot area, axes included; drawn from scratch the axes
    cost ~0.3 ms each a frame here, from the cache a blit. A change of range or label still
    redraws them, because the axis then calls ``update()``, which refreshes the cache. Rich
    text (the labels, and titles such as the curves' legends) is the dearest to draw.
    """
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        cache_static_layer(axis)
        cache_static_layer(axis.label)  # the unit, a rich-text item of its own
    cache_static_layer(plot.titleLabel.item)


def cache_static_layer(item: QGraphicsItem) -> None:
    """Paint ``item`` (a layer that changes far less often than the frames around it, such
    as the target's density) from a pixmap at screen resolution.

    A smoothly scaled heatmap costs ~1.8 ms a repaint here; from the cache it is a blit. The
    cache is redrawn when the item changes or the view is zoomed (``DeviceCoordinateCache``).
    """
    item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


def cache_legend(legend: pg.LegendItem) -> None:
    """Paint ``legend``'s samples and labels from pixmap caches.

    A live frame repaints the whole data view (its hold ends with one ``update()`` of the
    widget), and five samples drawn from scratch cost ~0.3-0.5 ms of each repaint here. Call
    :func:`refresh_legend` when what a sample shows changes without its ``update()`` (a layer
    shown or hidden from code, which the sample draws faded).
    """
    for sample, label in legend.items:
        cache_static_layer(sample)
        cache_static_layer(label)
        cache_static_layer(label.item)


def refresh_legend(legend: pg.LegendItem) -> None:
    """Redraw ``legend``'s samples (their caches) at the next repaint."""
    for sample, _ in legend.items:
        sample.update()
