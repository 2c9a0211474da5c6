"""The timeline in the window: kept frames, scrubbing while paused, replay, export range."""

import pytest
from PySide6.QtGui import QImage

from advplay.app.main_window import MainWindow
from advplay.core.config import Config

START_TIMEOUT = 60_000


@pytest.fixture
def window(qtbot):
    window = MainWindow(Config().replace({"model.width": 32, "model.depth": 2,
                                          "train.batch_size": 64}))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.snapshot is not None, timeout=START_TIMEOUT)
    for target in (10, 20, 30, 40):  # one published frame per single step command
        window.client.step(10)
        qtbot.waitUntil(lambda t=target: window.snapshot.step == t, timeout=30_000)
    yield window
    window.close()


def test_every_frame_is_kept_and_the_slider_spans_them(window):
    assert window.history.steps().tolist() == [0, 10, 20, 30, 40]
    slider = window.timeline.slider
    assert slider.objectName() == "timelineSlider" and slider.isEnabled()
    assert (slider.minimum(), slider.maximum(), slider.value()) == (0, 4, 4)


def test_scrubbing_shows_a_kept_frame_and_the_end_returns_to_live(window):
    window.timeline.slider.setValue(1)
    assert window.data_view._snapshot is window.history[1]
    assert window.step_label.text() == "Replay: step 10"  # a kept frame, not the live one
    window.timeline.slider.setValue(4)
    assert window.data_view._snapshot is window.snapshot
    assert window.step_label.text() == "Step 40"


def test_replay_runs_to_the_end_and_stops(qtbot, window):
    window.timeline.slider.setValue(0)
    window.timeline.speed.setCurrentText("4×")
    window.timeline.replay_action.setChecked(True)
    qtbot.waitUntil(lambda: not window.timeline.replay_action.isChecked(), timeout=10_000)
    assert window.timeline.slider.value() == 4


def test_training_locks_the_timeline_and_a_reset_starts_a_new_one(qtbot, window):
    window.transport.play_action.setChecked(True)
    qtbot.waitUntil(lambda: window.playing, timeout=10_000)
    assert not window.timeline.slider.isEnabled()
    window.transport.play_action.setChecked(False)
    qtbot.waitUntil(lambda: not window.playing, timeout=10_000)
    assert window.timeline.slider.isEnabled()
    window.transport.reset_requested.emit()
    qtbot.waitUntil(lambda: window.snapshot.step == 0, timeout=30_000)
    assert window.history.steps().tolist() == [0]


def test_the_marked_range_goes_to_the_export_dialog(window):
    window.timeline.slider.setValue(1)
    window.timeline.mark_start.trigger()
    window.timeline.slider.setValue(3)
    window.timeline.mark_end.trigger()
    assert window.timeline.range == (10, 30)
    assert window.timeline.range_indices() == (1, 3)
    dialog = window.exports.export_animation()
    options = dialog.options()
    assert (options.first, options.last) == (1, 3)
    dialog.reject()


def test_export_image_writes_a_png_at_twice_the_view_size(window, tmp_path):
    written = window.exports.export_image(tmp_path / "frame.png")
    image = QImage(str(written))
    assert image.width() == 2 * window.data_view.width()
    assert image.height() == 2 * window.data_view.height()


def test_export_with_no_frames_says_so(qtbot):
    window = MainWindow(Config().replace({"model.width": 32}))
    qtbot.addWidget(window)
    assert window.exports.export_animation() is None
    assert "Nothing to export" in window.banner.label.text()
    window.close()


def test_while_training_the_slider_catches_up_with_frames_in_batches(qtbot):
    """Frames arrive ~12 times a second while training; the slider follows within
    LIVE_REFRESH_MS instead of moving (and repainting) for each one."""
    import dataclasses

    from advplay.app.timeline import LIVE_REFRESH_MS, TimelineBar
    from advplay.core.history import SnapshotHistory
    from advplay.core.session import Session

    first = Session(Config().replace({"model.width": 16, "model.depth": 1})).snapshot()
    history = SnapshotHistory()
    bar = TimelineBar(history)
    qtbot.addWidget(bar)
    bar.set_training(True)
    for step in range(5):
        history.append(dataclasses.replace(first, step=step))
        bar.go_live()
    assert bar.slider.maximum() == 0  # not yet: one refresh for the batch
    qtbot.waitUntil(lambda: bar.slider.maximum() == 4, timeout=20 * LIVE_REFRESH_MS)
    assert bar.slider.value() == 4 and bar.label.text() == "step 4"
    bar.set_training(False)  # paused: a step shows at once
    history.append(dataclasses.replace(first, step=5))
    bar.go_live()
    assert (bar.slider.maximum(), bar.slider.value()) == (5, 5)
