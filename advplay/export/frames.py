"""Frames for export, drawn by the app's own views in an offscreen widget.

What you see is what you export: :class:`FrameRenderer` builds the same :class:`DataView` (and
:class:`CurvesView`, or a latent view) as the window, lays them out at the requested size,
applies a dark (the window's look) or light (for slides) theme, adds an optional title and
step counter, and paints the widget into a QImage. The widget is never shown on screen, and
with ``QT_QPA_PLATFORM=offscreen`` it renders with no display at all.

Large frames are drawn as a high-DPI screen would draw them: at 1920x1080 the views are laid
out at 1280x720 logical pixels and painted at a device pixel ratio of 1.5, so text, points
and lines keep their proportions on a slide instead of shrinking.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QEvent, Qt, QThread
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from advplay.app.curves_view import CurvesView
from advplay.app.data_view import FAKE_CLASS_COLORS, LAYERS, DataView
from advplay.app.line_item import LineItem
from advplay.export.animation import PANELS, THEMES
from advplay.export.compare import COMPARE_PANELS
from advplay.export.files import ExportError

#: frames larger than this (in both directions) are laid out at this logical size and drawn
#: at a higher pixel ratio: 1920x1080 is 1280x720 at a ratio of 1.5
LARGE = (1280, 720)
#: frames smaller than this (in either direction) are laid out at least this large and drawn
#: at a ratio below 1, a thumbnail of a usable layout rather than a crushed one
SMALL = (640, 480)


def pixel_ratio(size) -> float:
    """Device pixels per logical pixel for a frame of ``size`` (see :data:`LARGE`, :data:`SMALL`)."""
    up = min(size[0] / LARGE[0], size[1] / LARGE[1])
    down = min(size[0] / SMALL[0], size[1] / SMALL[1])
    return up if up > 1 else down if down < 1 else 1.0


@dataclass(frozen=True)
class Theme:
    """Colours of a frame: page, axes and text, and the data view's layers."""

    background: tuple
    foreground: tuple
    text: tuple
    surface: pg.ColorMap | None = None  # None: the data view's own colour map
    pens: Mapping[str, object] = field(default_factory=dict)  # data view line item -> pen
    points: Mapping[str, tuple] = field(default_factory=dict)  # point item -> (colours, rim)
    darken_curves: bool = False


def _light_surface() -> pg.ColorMap:
    """A diverging map with a white centre (CET-D1), washed toward white so points stand out."""
    lut = pg.colormap.get("CET-D1").getLookupTable(nPts=256, alpha=False).astype(np.float64)
    washed = np.round(255 - (255 - lut) * 0.7).astype(np.uint8)
    return pg.ColorMap(np.linspace(0.0, 1.0, len(washed)), washed)


def make_theme(name: str) -> Theme:
    """The ``"dark"`` theme (the window's look) or the ``"light"`` one (white, for slides)."""
    if name == "dark":
        return Theme(background=(0, 0, 0), foreground=(150, 150, 150), text=(225, 225, 225))
    if name != "light":
        raise ExportError(f"theme must be one of {', '.join(THEMES)}, not {name!r}")
    fake = [(0, 165, 70)] + [_darker(QColor(*c), 130).getRgb()[:3] for c in FAKE_CLASS_COLORS[1:]]
    return Theme(
        background=(255, 255, 255), foreground=(60, 60, 60), text=(20, 20, 20),
        surface=_light_surface(),
        pens={"contour_lines": pg.mkPen(0, 0, 0, 55, width=1),
              "boundary_line": pg.mkPen(0, 0, 0, 200, width=2),
              "manifold_lines": pg.mkPen(0, 130, 60, 90, width=1),
              "gradient_lines": pg.mkPen(205, 110, 0, 210, width=1)},
        points={"real_scatter": (((70, 70, 70), (30, 90, 180), (150, 50, 170), (185, 40, 70),
                                  (0, 125, 145), (95, 70, 185), (170, 60, 120), (70, 100, 130)),
                                 None),
                "fake_scatter": (tuple(fake), (255, 255, 255, 200))},
        darken_curves=True)


@dataclass(frozen=True)
class ViewState:
    """How the window's views are set, so that exported frames look the same.

    ``layers``: data view layer name -> visible (missing: the view's default); ``surface``:
    ``"output"`` or ``"logit"``; ``log_scale`` of the loss curves; ``target_density``:
    (log density (H, W), bounds) for the density layer, or None; ``titles``: a title above
    each data view (a comparison names each run's config).
    """

    layers: Mapping[str, bool] = field(default_factory=dict)
    surface: str = "output"
    log_scale: bool = False
    target_density: tuple | None = None
    titles: tuple = ()

    @classmethod
    def from_views(cls, data_view: DataView, curves_view: CurvesView | None = None,
                   target_density: tuple | None = None) -> "ViewState":
        """The state of the window's live views."""
        return cls(layers={name: data_view.layer_visible(name) for name in LAYERS},
                   surface=data_view.surface,
                   log_scale=bool(curves_view and curves_view.log_scale),
                   target_density=target_density)


def default_latent_factory() -> QWidget:
    """The app's latent view, imported only when the "data+latent" layout asks for it."""
    try:
        from advplay.app.latent_view import LatentView
    except ImportError as error:
        raise ExportError("the data + latent layout needs the latent view "
                          "(advplay.app.latent_view), which this version does not have; "
                          "choose the data view alone or data + curves") from error
    return LatentView()


class FrameRenderer:
    """Draws snapshots with the app's views into RGB arrays of one fixed size.

    Parameters
    ----------
    size : (width, height) of the frames in pixels
    panels : ``"data"``, ``"data+latent"``, ``"data+curves"``, or ``"data+compare"`` (two
        runs side by side: :meth:`render` then takes a
        :class:`~advplay.export.compare.ComparedFrame`)
    theme : ``"dark"`` or ``"light"``
    title : text at the top left, or ``""`` for none
    step_counter : show "step N" at the top right
    view_state : layer visibility and surface of the window's views (default: their defaults)
    latent_factory : makes the latent view for ``"data+latent"`` (default: the app's)

    Must be used in the GUI thread with a QApplication. Call :meth:`close` (or use ``with``)
    when done: it deletes the widgets before Python can, which avoids pyqtgraph's segfault
    at interpreter exit.
    """

    def __init__(self, size, panels: str = "data", theme: str = "dark", title: str = "",
                 step_counter: bool = True, view_state: ViewState | None = None,
                 latent_factory: Callable[[], QWidget] | None = None):
        if panels not in (*PANELS, COMPARE_PANELS):
            raise ExportError(f"panels must be one of {', '.join(PANELS)}, not {panels!r}")
        self.size = (int(size[0]), int(size[1]))
        self.scale = pixel_ratio(self.size)
        self.theme = make_theme(theme)
        self.step_counter = step_counter
        previous = pg.getConfigOption("antialias")
        pg.setConfigOptions(antialias=True)  # as the app sets it; items read it when built
        self.widget = self.data_view = self.compare_view = None
        self.curves_view = self.latent_view = None
        try:
            self._build(panels, title, view_state or ViewState(), latent_factory)
        except BaseException:
            self.close()
            raise
        finally:
            pg.setConfigOptions(antialias=previous)

    # ------------------------------------------------------------------ building

    def _build(self, panels, title, view_state: ViewState, latent_factory) -> None:
        # The latent view first: if it cannot be made, no half-built widget tree is left
        # (deleting a parentless pyqtgraph view from the error path crashed the process at exit).
        self.latent_view = (latent_factory or default_latent_factory)() \
            if panels == "data+latent" else None
        self.widget = QWidget()
        self.widget.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        self.widget.setAutoFillBackground(True)
        self.widget.setStyleSheet(f"background-color: {_css(self.theme.background)};")
        column = QVBoxLayout(self.widget)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        self.title_label, self.step_label = self._build_header(column, title)
        self.data_view = DataView()
        self.compare_view = DataView() if panels == COMPARE_PANELS else None
        self.curves_view = CurvesView() if panels == "data+curves" else None
        landscape = self.size[0] >= self.size[1]
        body = QBoxLayout(QBoxLayout.Direction.LeftToRight if landscape
                          else QBoxLayout.Direction.TopToBottom)
        for view, stretch in ((self.data_view, 3), (self.compare_view, 3),
                              (self.curves_view, 2), (self.latent_view, 2)):
            if view is not None:
                body.addWidget(view, stretch)
        column.addLayout(body, 1)
        self._apply_view_state(view_state)
        for view in self.views:
            _theme_axes(view, self.theme)
        for view in self.data_views:
            self._theme_data_view(view)
        self.widget.resize(round(self.size[0] / self.scale), round(self.size[1] / self.scale))
        _settle()

    def _theme_data_view(self, view: DataView) -> None:
        if self.theme.surface is not None:
            view.set_surface_colormap(self.theme.surface)
        for name, pen in self.theme.pens.items():
            getattr(view, name).setPen(pen)
        for name, (colors, rim) in self.theme.points.items():
            _set_point_palette(getattr(view, name), colors, rim)

    def _build_header(self, column: QVBoxLayout, title: str) -> tuple[QLabel, QLabel]:
        header = QWidget()
        row = QHBoxLayout(header)
        pixels = max(12, round(0.032 * min(self.size[1] / self.scale, LARGE[1])))
        row.setContentsMargins(pixels, pixels // 3, pixels, pixels // 4)
        labels = []
        for text, weight in ((title, 600), ("", 400)):
            label = QLabel(text)
            label.setStyleSheet(f"color: {_css(self.theme.text)}; font-size: {pixels}px; "
                                f"font-weight: {weight};")
            labels.append(label)
        row.addWidget(labels[0], 1)
        row.addWidget(labels[1], 0, Qt.AlignmentFlag.AlignRight)
        column.addWidget(header)  # a child now: hiding or showing it opens no window
        header.setHidden(not (title or self.step_counter))
        return labels[0], labels[1]

    def _apply_view_state(self, state: ViewState) -> None:
        for view in self.data_views:
            for name, visible in state.layers.items():
                view.set_layer_visible(name, visible)
            view.set_surface(state.surface)
            if state.target_density is not None:
                view.set_target_density(*state.target_density)
        for view, title in zip(self.data_views, state.titles):
            view.plot.setTitle(title or None, color=_css(self.theme.text))
        if self.curves_view is not None:
            self.curves_view.set_log_scale(state.log_scale)

    @property
    def views(self) -> list[QWidget]:
        """The views in the frame, data view first."""
        return [v for v in (self.data_view, self.compare_view, self.curves_view,
                            self.latent_view) if v is not None]

    @property
    def data_views(self) -> list[DataView]:
        """The data view, and the right run's beside it in a comparison."""
        return [v for v in (self.data_view, self.compare_view) if v is not None]

    # ------------------------------------------------------------------ drawing

    def render_image(self, snapshot) -> QImage:
        """Draw ``snapshot`` and paint the frame into a QImage of :attr:`size` pixels."""
        right = getattr(snapshot, "right", None)
        snapshot = getattr(snapshot, "left", snapshot)  # a ComparedFrame shows both runs
        if self.compare_view is not None and right is None:
            raise ExportError("the side-by-side layout needs two runs: turn on View > Compare")
        if self.latent_view is not None and "latent_real" not in snapshot.extras:
            # the same test as the window's latent tab (advplay.app.side_views)
            raise ExportError("this run has no latent space to show: only methods with an "
                              "encoder (ALI, AVB, AAE) have one; choose another layout")
        for view in self.views:
            view.show_snapshot(right if view is self.compare_view else snapshot)
        self._restyle()
        self.step_label.setText(f"step {snapshot.step:,}" if self.step_counter else "")
        _settle()
        layout = self._layout()
        image = self._paint()
        _settle()
        if self._layout() != layout:
            # Axes size themselves to their tick labels while painting; as in the window,
            # that changes the layout for the next paint. Paint again so every frame,
            # the first included, shows a settled layout.
            image = self._paint()
        return image

    def _paint(self) -> QImage:
        image = QImage(*self.size, QImage.Format.Format_RGB32)
        image.setDevicePixelRatio(self.scale)
        image.fill(QColor(*self.theme.background))
        self.widget.render(image)
        return image

    def _layout(self) -> tuple:
        """The geometry of every axis in the frame."""
        return tuple(item.geometry().getRect() for view in self.views
                     if hasattr(view, "scene") for item in view.scene().items()
                     if isinstance(item, pg.AxisItem))

    def render(self, snapshot) -> np.ndarray:
        """Draw ``snapshot``; an (height, width, 3) uint8 RGB array."""
        return qimage_to_rgb(self.render_image(snapshot))

    def _restyle(self) -> None:
        """Give what the views created or reset while drawing the theme's colours."""
        if self.theme.darken_curves:
            for view in (self.curves_view, self.latent_view):
                if view is not None:
                    self._darken_curves(view)

    def _darken_curves(self, view) -> None:
        # Marks on the items record what was restyled: the view makes new curves as metrics
        # appear and rewrites its titles when their legends change.
        for item in view.scene().items():
            if isinstance(item, LineItem) and not getattr(item, "_themed", False):
                pen = pg.mkPen(item.opts["pen"])
                item.setPen(pg.mkPen(_darker(pen.color()), width=pen.widthF()))
                item._themed = True
            elif isinstance(item, pg.LabelItem) and getattr(item, "_themed", None) != item.text:
                item.setText(_darken_html(item.text), color=_css(self.theme.foreground))
                item._themed = item.text

    def close(self) -> None:
        """Delete the widgets (safe to call twice): at once when no event loop runs (scripts,
        the CLI), else by the running loop."""
        if self.widget is None:
            return
        self.widget.close()
        self.widget.deleteLater()
        self.widget = self.data_view = self.compare_view = None
        self.curves_view = self.latent_view = None
        if QThread.currentThread().loopLevel() == 0:
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)

    def __enter__(self) -> "FrameRenderer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def qimage_to_rgb(image: QImage) -> np.ndarray:
    """A (height, width, 3) uint8 copy of ``image``'s pixels."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    height, width, stride = rgb.height(), rgb.width(), rgb.bytesPerLine()
    buffer = np.frombuffer(rgb.constBits(), dtype=np.uint8, count=height * stride)
    return buffer.reshape(height, stride)[:, :width * 3].reshape(height, width, 3).copy()


def _settle() -> None:
    """Deliver posted layout and resize events (no timers or input: nothing re-enters)."""
    QCoreApplication.sendPostedEvents(None, 0)


def _theme_axes(view, theme: Theme) -> None:
    """Page colour, axes, tick labels and legend text of one pyqtgraph view."""
    if not hasattr(view, "setBackground"):
        return
    view.setBackground(theme.background)
    for item in view.scene().items():
        if isinstance(item, pg.AxisItem):
            item.setPen(theme.foreground)
            item.setTextPen(theme.foreground)
        elif isinstance(item, pg.LegendItem):
            item.setLabelTextColor(theme.foreground)
            for _, label in item.items:
                label.setText(label.text)  # the colour applies when the text is set


def _set_point_palette(item, colors, rim) -> None:
    """Recolour a point item of the data view: its class palette and the rim of each dot."""
    item.set_palette(colors, rim)


def _css(color) -> str:
    return "#" + "".join(f"{int(c):02x}" for c in color[:3])


def _darker(color: QColor, factor: int = 165) -> QColor:
    """A colour meant for black, darkened for white (hue kept, alpha kept)."""
    darker = color.darker(factor)
    darker.setAlpha(color.alpha())
    return darker


_HTML_COLOR = re.compile(r"color:\s*#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")


def _darken_html(text: str) -> str:
    """Every ``color: #rgb`` / ``#rrggbb`` in ``text`` made readable on white."""
    def darken(match):
        return f"color:{_darker(QColor('#' + match.group(1))).name()}"
    return _HTML_COLOR.sub(darken, text)
