"""The Dirac-GAN (θ, ψ) view, drawn from real snapshots of short sessions."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import time  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from advplay.app.dirac_view import DiracView  # noqa: E402
from advplay.core.config import Config  # noqa: E402
from advplay.core.session import Session  # noqa: E402


def dirac_session(**changes) -> Session:
    return Session(Config().replace({"model.name": "dirac", "train.lr_d": 0.1, "train.lr_g": 0.1,
                                     **changes}))


@pytest.fixture
def session():
    session = dirac_session()
    session.step(50)
    return session


@pytest.fixture
def view(qtbot):
    widget = DiracView()
    widget.resize(500, 500)
    qtbot.addWidget(widget)
    return widget


def test_object_name_labels_and_tooltips(view):
    assert view.objectName() == "diracView" and view.toolTip()
    assert "θ" in view.plot.getAxis("bottom").labelText
    assert "ψ" in view.plot.getAxis("left").labelText
    for item in (view.field_arrows, view.trajectory_line, view.current_point,
                 view.equilibrium_marker):
        assert item.toolTip()
    assert [list(a) for a in view.equilibrium_marker.getData()] == [[0.0], [0.0]]


def test_trajectory_point_and_readout_come_from_the_snapshot(view, session):
    snapshot = session.snapshot()
    view.show_snapshot(snapshot)
    path = snapshot.extras["trajectory"]
    x, y = view.trajectory_line.getData()
    np.testing.assert_allclose(x, path[:, 0])
    np.testing.assert_allclose(y, path[:, 1])
    assert len(x) == 51 and (x[0], y[0]) == (1.0, 1.0)
    theta, psi = snapshot.extras["theta_psi"]
    x, y = view.current_point.getData()
    assert (x[0], y[0]) == pytest.approx((theta, psi))
    assert "step 50" in view.readout.text() and f"{theta:.4g}" in view.readout.text()
    x_range, y_range = view.plot.viewRange()
    assert x_range[0] <= -2 and x_range[1] >= 2 and y_range[0] <= -2 and y_range[1] >= 2


def test_arrows_start_on_the_field_grid_and_point_along_the_field(view, session):
    extras = session.snapshot().extras
    view.show_snapshot(session.snapshot())
    x, y = view.field_arrows.getData()
    count = extras["field_theta"].size
    assert len(x) == 6 * count  # a shaft and two barbs per arrow, as segment pairs
    tails = np.stack([x[0:2 * count:2], y[0:2 * count:2]], axis=1)
    tips = np.stack([x[1:2 * count:2], y[1:2 * count:2]], axis=1)
    np.testing.assert_allclose(tails, np.stack([extras["field_theta"].ravel(),
                                                extras["field_psi"].ravel()], axis=1))
    field = np.stack([extras["field_u"].ravel(), extras["field_v"].ravel()], axis=1)
    shafts = tips - tails
    moving = np.linalg.norm(field, axis=1) > 1e-6
    cross = shafts[:, 0] * field[:, 1] - shafts[:, 1] * field[:, 0]
    np.testing.assert_allclose(cross[moving], 0, atol=1e-5)
    assert (np.einsum("ij,ij->i", shafts, field)[moving] > 0).all()


def test_arrows_are_rebuilt_only_when_the_game_changes(view, session, monkeypatch):
    calls = []
    original = view.field_arrows.setData
    monkeypatch.setattr(view.field_arrows, "setData",
                        lambda *a, **k: (calls.append(1), original(*a, **k)))
    view.show_snapshot(session.snapshot())
    session.step(5)
    view.show_snapshot(session.snapshot())
    assert len(calls) == 1
    regularised = dirac_session(**{"model.regularizer": "r1", "model.r1": 1.0})
    view.show_snapshot(regularised.snapshot())
    assert len(calls) == 2
    x, _ = view.field_arrows.getData()
    assert len(x) == 6 * regularised.snapshot().extras["field_theta"].size


def test_a_snapshot_of_another_model_clears_the_plane(view, session):
    view.show_snapshot(session.snapshot())
    view.show_snapshot(Session(Config().replace({"model.width": 16, "model.depth": 1})).snapshot())
    assert len(view.trajectory_line.getData()[0]) == 0
    assert len(view.field_arrows.getData()[0]) == 0
    assert len(view.current_point.getData()[0]) == 0


def test_frames_are_cheap(view, session, qtbot):
    view.show()
    qtbot.waitExposed(view)
    session.step(1950)  # a long trajectory
    snapshots = []
    for _ in range(10):
        session.step(1)
        snapshots.append(session.snapshot())
    timings = []
    for snapshot in snapshots:
        started = time.perf_counter()
        view.show_snapshot(snapshot)
        view.graphics.viewport().repaint()
        timings.append(time.perf_counter() - started)
    assert len(view.trajectory_line.getData()[0]) == len(snapshots[-1].extras["trajectory"])
    assert np.median(timings) < 0.030
