"""View > Compare: a second run beside the window's own (pytest-qt, offscreen, real workers)."""

import multiprocessing
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QLabel, QSpinBox, QWidget

from advplay.app.compare_panel import config_title
from advplay.app.main_window import MainWindow
from advplay.core.config import Config
from advplay.core.drawn import save_drawing
from advplay.export.compare import align_by_step
from advplay.export.frames import FrameRenderer, ViewState

START_TIMEOUT = 60_000  # ms: spawning a worker imports torch
SIZE = (480, 240)


def running_workers() -> int:
    return sum(child.is_alive() for child in multiprocessing.active_children())


@pytest.fixture
def window(qtbot):
    window = MainWindow(Config().replace({"model.width": 32, "model.depth": 2}))
    window.confirm_reset = lambda question: True
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.snapshot is not None, timeout=START_TIMEOUT)
    yield window
    window.close()


@pytest.fixture
def comparing(qtbot, window):
    """The window comparing with a second run that differs in loss and seed."""
    window.findChild(QAction, "actionCompare").trigger()
    compare = window.compare
    qtbot.waitUntil(lambda: compare.snapshot is not None, timeout=START_TIMEOUT)
    compare.settings.controls.editors["model.loss"].setCurrentText("minimax")  # on the fly
    first = compare.snapshot
    compare.settings.controls.editors["train.seed"].setValue(7)  # a new right run, step 0
    qtbot.waitUntil(lambda: compare.snapshot is not first, timeout=10_000)
    return compare


def step_both(qtbot, window, count: int) -> None:
    target = window.snapshot.step + count
    window.findChild(QSpinBox, "stepCountSpin").setValue(count)
    window.transport.step_action.trigger()
    qtbot.waitUntil(lambda: window.snapshot.step == target and window.compare.snapshot.step
                    == target, timeout=20_000)
    # the window draws (and labels) a frame up to a frame interval after it arrives
    label = window.findChild(QLabel, "stepLabel")
    qtbot.waitUntil(lambda: label.text() == f"Step {target}", timeout=10_000)


def test_compare_splits_the_view_links_axes_and_ends_its_worker(qtbot, window, comparing):
    view = window.findChild(QWidget, "compareView")
    assert view is comparing.view and view.isVisible()
    assert running_workers() == 2
    assert view.plot.getViewBox().linkedView(0) is window.data_view.plot.getViewBox()
    assert view.plot.getViewBox().linkedView(1) is window.data_view.plot.getViewBox()
    assert comparing.config.target == window.config.target
    assert window.config.model.loss == "nonsaturating" and comparing.config.model.loss == "minimax"
    assert view.plot.titleLabel.text.startswith("gan · minimax")
    assert window.data_view.plot.titleLabel.text.startswith("gan · nonsaturating")
    step_both(qtbot, window, 5)  # Step drives both runs
    assert int(window.findChild(QLabel, "stepLabel").text().split()[-1]) == 5
    window.findChild(QAction, "actionFrameRate30").trigger()  # so does the frame rate
    assert window.client.frame_rate == comparing.client.frame_rate == 30
    window.findChild(QAction, "actionCompare").trigger()  # off
    assert window.findChild(QWidget, "compareView") is None and comparing.client is None
    qtbot.waitUntil(lambda: running_workers() == 1, timeout=10_000)
    assert not window.data_view.plot.titleLabel.isVisible()


def test_compare_export_shows_both_runs_side_by_side(qtbot, window, comparing, tmp_path):
    for _ in range(3):
        step_both(qtbot, window, 4)
    frames = comparing.frames()
    assert [frame.step for frame in frames] == [0, 4, 8, 12]
    assert [frame.right.step for frame in frames] == [0, 4, 8, 12]
    dialog = window.exports.export_animation()
    assert dialog.panels_combo.currentData() == "data+compare"
    dialog.path_edit.setText(str(tmp_path / "compare.gif"))
    dialog.size_combo.setCurrentIndex(dialog.size_combo.count() - 1)  # custom
    dialog.width_spin.setValue(SIZE[0])
    dialog.height_spin.setValue(SIZE[1])
    with qtbot.waitSignal(dialog.exported, timeout=60_000):
        assert dialog.start_export()
    with Image.open(tmp_path / "compare.gif") as gif:
        assert gif.n_frames == 4 and gif.size == SIZE
        gif.seek(3)
        both = np.asarray(gif.convert("RGB"), dtype=np.int16)
    with FrameRenderer(SIZE, "data", view_state=ViewState.from_views(window.data_view)) as one:
        single = one.render(frames[-1].left).astype(np.int16)
    half = SIZE[0] // 2
    for side in (slice(0, half), slice(half, None)):  # each half: a whole data view of its own
        assert both[:, side].std() > 10  # a picture, not an empty page
        assert np.abs(both[:, side] - single[:, side]).mean() > 5  # not the one-view frame
    assert np.abs(both[:, :half] - both[:, half:]).mean() > 2  # two different runs


def test_the_right_run_follows_the_target_and_refuses_an_unusable_config(qtbot, window,
                                                                        comparing, tmp_path):
    ring = window.snapshot.bounds
    window.findChild(QComboBox, "targetCombo").setCurrentText("grid25")  # the left settings
    qtbot.waitUntil(lambda: comparing.snapshot.bounds != ring
                    and comparing.snapshot.bounds == window.snapshot.bounds, timeout=20_000)
    assert comparing.config.target.name == "grid25"
    for x_min, x_max in ((-2.0, -1.0), (1.0, 2.0)):  # a drawing, then an edit of it
        density = np.zeros((1, 32, 32))
        density[0, 8:24, round((x_min + 3) / 6 * 32):round((x_max + 3) / 6 * 32)] = 1.0
        save_drawing(tmp_path / "bar.npz", density, (-3.0, 3.0, -3.0, 3.0))
        window.draw_mode.open_target(str(tmp_path / "bar.npz"))
        qtbot.waitUntil(lambda: (x_min - 0.1 <= comparing.snapshot.real[:, 0]).all()
                        and (comparing.snapshot.real[:, 0] <= x_max + 0.1).all(), timeout=20_000)
    assert comparing.config.target.name == "drawn"
    bad = tmp_path / "bad.toml"
    bad.write_text('[model]\nloss = "no-such-loss"\n')
    before = comparing.config
    assert not comparing.load_config(bad)
    assert not comparing.load_config(tmp_path / "missing.advplay")
    assert comparing.config is before
    assert window.banner.isVisible() and "right run" in window.banner.label.text()
    good = tmp_path / "good.toml"
    good.write_text('[target]\nname = "grid25"\n[model]\nloss = "least_squares"\nr1 = 0.1\n')
    assert comparing.load_config(good)
    assert comparing.config.target == window.config.target  # the target stays shared
    assert comparing.view.plot.titleLabel.text.startswith("gan · least_squares + R1 0.1")


def test_titles_name_the_method_and_what_differs():
    plain = Config().replace({"model.loss": "minimax"})
    recipe = Config().replace({"model.r1": 0.1, "train.lr_d": 3e-4})
    assert config_title(plain) == "gan · minimax"
    assert config_title(recipe, plain) == "gan · nonsaturating + R1 0.1 · lr_d 0.0003"
    assert config_title(plain, recipe) == "gan · minimax · lr_d 0.001"


def test_frames_pair_by_nearest_step_over_the_steps_both_reached():
    left = [SimpleNamespace(step=s) for s in (0, 10, 20, 30, 40)]
    right = [SimpleNamespace(step=s) for s in (0, 12, 19, 33)]
    pairs = align_by_step(left, right)
    assert [(p.left.step, p.right.step) for p in pairs] == [(0, 0), (10, 12), (20, 19), (30, 33)]
    assert align_by_step(left, []) == []
