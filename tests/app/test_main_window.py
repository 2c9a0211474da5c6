"""The main window against a real worker process (pytest-qt, offscreen)."""

import multiprocessing
import os
import subprocess
import sys

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QLabel, QSpinBox, QToolButton

from advplay.app.main_window import MainWindow
from advplay.app.menus import FRAME_RATES
from advplay.bench.soak import child_pids, running
from advplay.core.config import Config
from advplay.worker.process import DEFAULT_FRAME_RATE

START_TIMEOUT = 60_000  # ms: spawning the worker imports torch


def step_of(window) -> int:
    return int(window.findChild(QLabel, "stepLabel").text().split()[-1])


@pytest.fixture
def window(qtbot):
    window = MainWindow(Config().replace({"model.width": 64}))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.snapshot is not None, timeout=START_TIMEOUT)
    yield window
    window.close()


def click(qtbot, window, name):
    qtbot.mouseClick(window.findChild(QToolButton, name), Qt.MouseButton.LeftButton)


def test_window_opens_with_the_default_experiment(window):
    assert window.objectName() == "mainWindow"
    for name in ("playButton", "stepButton", "resetButton", "stepDButton", "stepGButton"):
        assert window.findChild(QToolButton, name) is not None, name
    assert window.findChild(QComboBox, "targetCombo").currentText() == "ring8"
    assert window.findChild(QComboBox, "modelCombo").currentText() == "gan"
    assert window.findChild(QComboBox, "lossCombo").currentText() == "nonsaturating"
    devices = window.findChild(QComboBox, "deviceCombo")
    assert "cpu" in [devices.itemText(i) for i in range(devices.count())]
    assert window.data_view.objectName() == "dataView"
    assert window.curves_view.objectName() == "curvesView"
    assert step_of(window) == 0
    for widget in window.controls.editors.values():
        assert widget.toolTip(), widget.objectName()


def test_play_trains_and_pause_holds(qtbot, window):
    first = window.snapshot
    click(qtbot, window, "playButton")
    qtbot.waitUntil(lambda: step_of(window) > 100, timeout=30_000)
    assert not np.array_equal(window.snapshot.discriminator_output, first.discriminator_output)
    click(qtbot, window, "playButton")  # pause
    qtbot.waitUntil(lambda: not window.playing, timeout=10_000)
    qtbot.wait(300)  # let the frame published on pause arrive
    held = step_of(window)
    qtbot.wait(500)
    assert step_of(window) == held


def test_the_frame_rate_is_chosen_in_the_view_menu_and_reaches_the_worker(qtbot, window):
    actions = [window.findChild(QAction, f"actionFrameRate{rate}") for rate in FRAME_RATES]
    assert [a.isChecked() for a in actions] == [r == DEFAULT_FRAME_RATE for r in FRAME_RATES]
    assert window.client.frame_rate == DEFAULT_FRAME_RATE
    sent, send = [], window.client.handle.send
    window.client.handle.send = lambda *command: (sent.append(command), send(*command))
    actions[-1].trigger()
    assert sent == [("frame_rate", FRAME_RATES[-1])]
    assert window.client.frame_rate == FRAME_RATES[-1]
    assert [a.isChecked() for a in actions] == [False] * (len(actions) - 1) + [True]


def test_step_advances_by_exactly_the_chosen_count_and_reset_returns_to_zero(qtbot, window):
    window.findChild(QSpinBox, "stepCountSpin").setValue(7)
    click(qtbot, window, "stepButton")
    qtbot.waitUntil(lambda: step_of(window) == 7, timeout=10_000)
    click(qtbot, window, "stepDButton")
    qtbot.waitUntil(lambda: step_of(window) == 8, timeout=10_000)
    assert np.isnan(window.snapshot.losses["g"])  # only the discriminator moved
    click(qtbot, window, "resetButton")
    qtbot.waitUntil(lambda: step_of(window) == 0, timeout=10_000)


def test_changing_the_target_redraws(qtbot, window):
    ring_bounds = window.snapshot.bounds
    window.findChild(QComboBox, "targetCombo").setCurrentText("grid25")
    qtbot.waitUntil(lambda: window.snapshot.bounds != ring_bounds, timeout=10_000)
    assert window.snapshot.bounds[1] > 4 and window.config.target.name == "grid25"
    assert window.snapshot.real_labels.max() == 24


def test_the_view_menu_greys_out_layers_the_method_does_not_draw(qtbot, window):
    layers = window.menus.layer_actions
    assert layers["gradients"].isEnabled() and layers["manifold"].isEnabled()
    window.findChild(QComboBox, "modelCombo").setCurrentText("ratio")  # no generator
    # the menu follows the frame drawn, a pass of the event loop after the frame arrives
    qtbot.waitUntil(lambda: not layers["gradients"].isEnabled(), timeout=20_000)
    assert window.snapshot.model == "ratio" and not layers["manifold"].isEnabled()
    assert layers["fake"].isEnabled()  # the samples of q
    window.findChild(QComboBox, "modelCombo").setCurrentText("gan")
    qtbot.waitUntil(lambda: layers["gradients"].isEnabled(), timeout=20_000)
    assert window.snapshot.model == "gan" and layers["manifold"].isEnabled()


def test_structural_change_after_training_asks_first(qtbot, window):
    click(qtbot, window, "stepButton")
    qtbot.waitUntil(lambda: step_of(window) == 1, timeout=10_000)
    questions = []
    window.confirm_reset = lambda text: questions.append(text) or False
    window.findChild(QSpinBox, "widthSpin").setValue(32)
    assert questions and window.config.model.width == 64  # declined: nothing changed
    assert window.findChild(QSpinBox, "widthSpin").value() == 64
    window.findChild(QComboBox, "lossCombo").setCurrentText("hinge")  # on the fly: no question
    assert len(questions) == 1 and window.client.config.model.loss == "hinge"


def test_closing_during_training_ends_the_worker(qtbot, window):
    click(qtbot, window, "playButton")
    qtbot.waitUntil(lambda: step_of(window) > 0, timeout=30_000)
    process = window.client.handle.process
    window.close()
    assert not process.is_alive()
    assert multiprocessing.active_children() == []


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads processes from /proc")
def test_frames_move_to_the_render_process_and_closing_ends_it_too(qtbot, window):
    drawn_in = []
    window.client.snapshot_received.connect(  # live frames say where they were drawn
        lambda snapshot, stats: drawn_in.append(stats.get("drawn_in")))
    click(qtbot, window, "playButton")
    qtbot.waitUntil(lambda: "process" in drawn_in, timeout=60_000)  # after ~2 s of frames
    assert [where for where in drawn_in if where][0] == "thread"  # until it was ready
    worker = window.client.handle.process.pid
    render_processes = child_pids(worker)
    assert len(render_processes) == 1
    window.close()
    assert not running(worker) and not running(render_processes[0])


def test_divergence_is_reported_keeps_the_picture_and_reset_recovers(qtbot, window):
    wild = {"model.loss": "wasserstein", "model.gp_weight": 0.0, "train.optimizer": "sgd",
            "train.lr_d": 10.0, "train.lr_g": 10.0}
    window.config = window.config.replace(wild)
    window.client.configure(window.config)
    click(qtbot, window, "playButton")
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=30_000)
    assert "diverged at step" in window.banner.label.text()
    assert not window.playing and window.snapshot is not None
    assert np.isfinite(window.snapshot.discriminator_output).all()
    click(qtbot, window, "resetButton")
    qtbot.waitUntil(lambda: not window.banner.isVisible() and step_of(window) == 0, timeout=10_000)


def test_a_dead_worker_is_reported_and_restarted_on_play(qtbot, window):
    window.client.handle.process.kill()
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=10_000)
    assert "stopped unexpectedly" in window.banner.label.text()
    click(qtbot, window, "playButton")
    qtbot.waitUntil(lambda: step_of(window) > 10, timeout=START_TIMEOUT)
    # the new worker was told what the window chose: D* stays off while its tab is hidden
    assert window.snapshot.skipped_extras == ("optimal_discriminator",)


def test_d_star_is_computed_only_while_its_tab_shows(qtbot, window):
    assert window.snapshot.skipped_extras == ("optimal_discriminator",)
    assert "optimal_discriminator" not in window.snapshot.extras
    window.side.show_view("optimal")  # paused: the worker sends a frame with D* at once
    qtbot.waitUntil(lambda: "optimal_discriminator" in window.snapshot.extras, timeout=10_000)
    view = window.side.views["optimal"]
    qtbot.waitUntil(lambda: view.images["optimal"].image is not None, timeout=10_000)
    window.side.setCurrentIndex(0)
    click(qtbot, window, "stepButton")
    qtbot.waitUntil(lambda: step_of(window) >= 1, timeout=10_000)
    assert window.snapshot.skipped_extras == ("optimal_discriminator",)


def test_many_signal_emits_do_not_crash(qtbot):
    """PySide6 6.12.0 aborts after ~20k emits on CPython 3.11 (ARCHITECTURE pitfalls)."""
    from PySide6.QtCore import QObject, Signal

    class Emitter(QObject):
        ping = Signal(int)

    emitter, received = Emitter(), []
    emitter.ping.connect(received.append)
    for i in range(50_000):
        emitter.ping.emit(i)
    assert len(received) == 50_000


def test_launched_app_opens_and_quits():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-m", "advplay", "--quit-after", "4"],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    for trouble in ("Traceback", "Error", "terminate called", "Fatal"):
        assert trouble not in result.stderr, result.stderr
