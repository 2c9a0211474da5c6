"""The tabs beside the data view: curves always, and the views a method needs.

A tab appears when the snapshot carries what its view draws (the latent space of ALI, AVB
and AAE; the log-ratio of the density-ratio estimator; the (θ, ψ) plane of the Dirac-GAN;
the optimal discriminator where the target density is known) and disappears when it does
not. Hidden views cost nothing: a view is built the first time its tab is shown, only the tab
on show is redrawn, and what only a hidden view draws (D*, a fifth of a live frame's cost) is
not computed at all: :attr:`SideViews.skipped_extras_changed` tells the worker.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from advplay.app.curves_view import CurvesView
from advplay.core.views import OPTIMAL_KEY, OPTIONAL_EXTRAS


@dataclass(frozen=True)
class SideView:
    key: str
    title: str
    tip: str
    view: str  # "module:Class", imported when first needed
    shows: Callable[[object], bool]
    #: optional extras (computed on request) that this view draws
    optional: tuple[str, ...] = ()


SIDE_VIEWS = (
    SideView("latent", "Latent space", "Encodings E(x) of real samples against the prior, and "
             "reconstructions", "advplay.app.latent_view:LatentView",
             lambda s: "latent_real" in s.extras),
    SideView("ratio", "Log-ratio", "Estimated and true log r(x) = log p(x)/q(x), and their "
             "difference", "advplay.app.ratio_view:RatioView", lambda s: "log_ratio" in s.extras),
    SideView("dirac", "Dirac-GAN (θ, ψ)", "The two-parameter game: vector field and trajectory",
             "advplay.app.dirac_view:DiracView", lambda s: "theta_psi" in s.extras),
    SideView("optimal", "D and D*", "The learned discriminator beside the optimal one for the "
             "current generator", "advplay.app.optimal_view:OptimalView",
             lambda s: ((OPTIMAL_KEY in s.extras or OPTIMAL_KEY in s.skipped_extras)
                        and s.output_is_probability), optional=(OPTIMAL_KEY,)),
)


def _load(spec: str) -> type:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


class ViewPage(QWidget):
    """A tab's page: holds its view, built (imported, ~70-100 ms for a pyqtgraph view) the
    first time the page has to draw."""

    def __init__(self, side: SideView):
        super().__init__()
        self.side = side
        self.view: QWidget | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

    def built(self) -> QWidget:
        if self.view is None:
            self.view = _load(self.side.view)()
            self.layout().addWidget(self.view)
        return self.view

    def show_snapshot(self, snapshot) -> None:
        self.built().show_snapshot(snapshot)


class SideViews(QTabWidget):
    """``curves`` (a CurvesView) plus method views, each on a :class:`ViewPage` added the first
    time a snapshot needs it and built the first time it is on show."""

    #: the optional extras no view on show draws (a frozenset of names): frames may skip them
    skipped_extras_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("sideViews")
        self.curves = CurvesView()
        self.addTab(self.curves, "Curves")
        self.setTabToolTip(0, "Losses and metrics over training")
        self.pages: dict[str, ViewPage] = {}
        self._snapshot = None
        self.skipped_extras = frozenset(OPTIONAL_EXTRAS)
        self.currentChanged.connect(lambda _: self._on_current_changed())

    @property
    def views(self) -> dict[str, QWidget]:
        """The views built so far, by key."""
        return {key: page.view for key, page in self.pages.items() if page.view is not None}

    def show_snapshot(self, snapshot) -> None:
        self._snapshot = snapshot
        self._update_tabs(snapshot)
        self._update_current()

    def view(self, key: str) -> QWidget | None:
        """The view of tab ``key`` (built now if it was not yet) if its tab is there."""
        page = self.pages.get(key)
        return page.built() if page is not None and self.indexOf(page) >= 0 else None

    def show_view(self, key: str) -> None:
        """Bring tab ``key`` to the front (it must be there)."""
        self.setCurrentWidget(self.pages[key])

    def _update_tabs(self, snapshot) -> None:
        for side in SIDE_VIEWS:
            wanted = side.shows(snapshot)
            page = self.pages.get(side.key)
            shown = page is not None and self.indexOf(page) >= 0
            if wanted and not shown:
                if page is None:
                    page = self.pages[side.key] = ViewPage(side)
                index = self.addTab(page, side.title)
                self.setTabToolTip(index, side.tip)
            elif shown and not wanted:
                self.removeTab(self.indexOf(page))

    def _on_current_changed(self) -> None:
        current = self.currentWidget()
        drawn = current.side.optional if isinstance(current, ViewPage) else ()
        skipped = frozenset(OPTIONAL_EXTRAS) - set(drawn)
        if skipped != self.skipped_extras:
            self.skipped_extras = skipped
            self.skipped_extras_changed.emit(skipped)
        self._update_current()

    def _update_current(self) -> None:
        current = self.currentWidget()
        if self._snapshot is not None and current is not None:
            current.show_snapshot(self._snapshot)
