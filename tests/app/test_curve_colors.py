"""Every curve of a metric plot has a colour of its own, and its legend entry that colour."""

import dataclasses
import itertools
import re

import numpy as np
import pytest

from advplay.app.curves_view import DISTINCT_COLOR_DISTANCE, VALUE_METRICS, CurvesView
from advplay.core.config import Config, config_from_dict
from advplay.core.session import Session

MODELS = ("gan", "cgan", "ratio", "ali", "vae", "aae", "avb", "dirac")


def snapshot_of(model: str, target: str = "ring8"):
    data = Config().to_dict()
    data["model"]["name"], data["target"] = model, {"name": target}
    session = Session(config_from_dict(data))
    session.step(1)
    return session.snapshot()


@pytest.fixture(scope="module")
def snapshots():
    return {model: snapshot_of(model) for model in MODELS}


@pytest.fixture
def curves_view(qtbot):
    view = CurvesView()
    qtbot.addWidget(view)
    return view


def rgb(curve) -> tuple[int, int, int]:
    return curve.opts["pen"].color().getRgb()[:3]


def legend_colors(plot) -> list[tuple[int, int, int]]:
    """The colours of the legend entries in ``plot``'s title, in order."""
    title = plot.titleLabel.text
    return [tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))
            for h in re.findall(r"color:#([0-9a-f]{6})'>\u2501", title)]


def curves_by_plot(view):
    plots = {"coverage": view.coverage_plot, "divergence": view.divergence_plot,
             "value": view.value_plot}
    return {role: [curve for curve in view.metric_curves.values()
                   if curve in plot.listDataItems()] for role, plot in plots.items()}, plots


@pytest.mark.parametrize("model", MODELS)
def test_curves_of_one_plot_are_told_apart_and_match_their_legend(curves_view, snapshots, model):
    curves_view.show_snapshot(snapshots[model])
    grouped, plots = curves_by_plot(curves_view)
    assert any(grouped.values()), "the method records metrics"
    for role, curves in grouped.items():
        colors = [rgb(curve) for curve in curves]
        for a, b in itertools.combinations(colors, 2):
            assert np.linalg.norm(np.subtract(a, b)) >= DISTINCT_COLOR_DISTANCE, (model, role)
        assert sorted(legend_colors(plots[role])) == sorted(colors), (model, role)


def test_a_curve_kept_from_another_run_takes_this_runs_colour(curves_view, snapshots):
    curves_view.show_snapshot(snapshot_of("ali", "two_moons"))  # reconstruction alone
    alone = rgb(curves_view.metric_curves["reconstruction_error"])
    curves_view.show_snapshot(snapshots["ali"])  # beside the mode metrics' reverse KL
    grouped, plots = curves_by_plot(curves_view)
    assert rgb(curves_view.metric_curves["reconstruction_error"]) != alone
    assert sorted(legend_colors(plots["divergence"])) == sorted(
        rgb(curve) for curve in grouped["divergence"])


def test_the_methods_own_metrics_have_names_a_person_reads(curves_view, snapshots):
    for model in ("ratio", "vae", "avb", "dirac"):
        curves_view.show_snapshot(snapshots[model])
        titles = " ".join(plot.titleLabel.text for plot in (
            curves_view.coverage_plot, curves_view.divergence_plot, curves_view.value_plot))
        assert "_" not in titles, (model, titles)  # no raw metric keys such as kl_error
    assert VALUE_METRICS["kl_error"][0] == "KL error"


def test_a_metric_no_view_knows_still_gets_a_distinct_colour(curves_view, snapshots):
    base = snapshots["ratio"]
    history = dict(base.metric_history)
    history["new_metric"] = np.ones(len(base.metric_steps))
    curves_view.show_snapshot(dataclasses.replace(base, metric_history=history))
    grouped, plots = curves_by_plot(curves_view)
    colors = [rgb(curve) for curve in grouped["value"]]
    assert len(colors) == 4
    assert all(np.linalg.norm(np.subtract(a, b)) >= DISTINCT_COLOR_DISTANCE
               for a, b in itertools.combinations(colors, 2))
