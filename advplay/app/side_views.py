"""The tabs beside the data view: curves always, and the views a method needs.

A tab appears when the snapshot carries what its view draws (the latent space of ALI, AVB
and AAE; the log-ratio of the density-ratio estimator; the (θ, ψ) plane of the Dirac-GAN;
the optimal discriminator where the target density is known) and disappears when it does
not. Only the tab on show is redrawn, so hidden views cost nothing.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

from PySide6.QtWidgets import QTabWidget, QWidget

from advplay.app.curves_view import CurvesView


@dataclass(frozen=True)
class SideView:
    key: str
    title: str
    tip: str
    view: str  # "module:Class", imported when first needed
    shows: Callable[[object], bool]


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
             lambda s: "optimal_discriminator" in s.extras and s.output_is_probability),
)


def _load(spec: str) -> type:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


class SideViews(QTabWidget):
    """``curves`` (a CurvesView) plus method views, created the first time they are needed."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("sideViews")
        self.curves = CurvesView()
        self.addTab(self.curves, "Curves")
        self.setTabToolTip(0, "Losses and metrics over training")
        self.views: dict[str, QWidget] = {}
        self._snapshot = None
        self.currentChanged.connect(lambda _: self._update_current())

    def show_snapshot(self, snapshot) -> None:
        self._snapshot = snapshot
        self._update_tabs(snapshot)
        self._update_current()

    def view(self, key: str) -> QWidget | None:
        """The view of tab ``key`` if it is shown."""
        view = self.views.get(key)
        return view if view is not None and self.indexOf(view) >= 0 else None

    def _update_tabs(self, snapshot) -> None:
        for side in SIDE_VIEWS:
            wanted = side.shows(snapshot)
            view = self.views.get(side.key)
            shown = view is not None and self.indexOf(view) >= 0
            if wanted and not shown:
                if view is None:
                    view = self.views[side.key] = _load(side.view)()
                index = self.addTab(view, side.title)
                self.setTabToolTip(index, side.tip)
            elif shown and not wanted:
                self.removeTab(self.indexOf(view))

    def _update_current(self) -> None:
        current = self.currentWidget()
        if self._snapshot is not None and current is not None:
            current.show_snapshot(self._snapshot)
