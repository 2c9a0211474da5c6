"""Draw mode in the main window: paint a target, train on it, import, save and open."""

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from advplay.app.main_window import MainWindow
from advplay.core.config import Config
from advplay.core.drawn import load_drawing

LEFT, NO_MODIFIER = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
START_TIMEOUT = 60_000


@pytest.fixture
def window(qtbot):
    window = MainWindow(Config().replace({"model.width": 32, "train.batch_size": 64}))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.snapshot is not None, timeout=START_TIMEOUT)
    yield window
    window.close()


def stroke(qtbot, canvas, start, end, steps=8):
    def pixel(x, y):
        from PySide6.QtCore import QPointF

        return canvas.mapFromScene(canvas.plot.vb.mapViewToScene(QPointF(x, y)))

    viewport = canvas.viewport()
    qtbot.mousePress(viewport, LEFT, NO_MODIFIER, pixel(*start))
    for fraction in np.linspace(0, 1, steps + 1)[1:]:
        qtbot.mouseMove(viewport, pixel(*(np.asarray(start) + fraction * (np.subtract(end, start)))))
    qtbot.mouseRelease(viewport, LEFT, NO_MODIFIER, pixel(*end))


def test_painting_makes_the_drawing_the_target_and_the_worker_follows(qtbot, window):
    window.draw_mode.action_draw.trigger()
    canvas = window.draw_mode.canvas
    assert window.stack.currentWidget() is window.draw_mode.page
    assert canvas.objectName() == "drawCanvas"
    qtbot.waitExposed(canvas)
    stroke(qtbot, canvas, (-1.5, 1.0), (-0.5, 1.0))
    assert window.config.target.name == "drawn"
    assert window.findChild(type(window.controls.target_combo), "targetCombo").currentText() == "drawn"
    qtbot.waitUntil(lambda: window.snapshot.real[:, 1].min() > 0.3, timeout=20_000)
    real = window.snapshot.real
    assert (real[:, 0] < -0.2).all() and (np.abs(real[:, 1] - 1.0) < 0.5).all()
    window.draw_mode.action_undo.trigger()  # Ctrl+Z: the stroke is gone, the drawing empty
    assert window.draw_mode.drawing.is_empty()
    window.transport.play_action.setChecked(True)
    assert window.banner.isVisible() and "drawing is empty" in window.banner.label.text()
    assert not window.playing


def test_choosing_drawn_with_nothing_painted_does_not_train_the_last_target(qtbot, window):
    window.findChild(type(window.controls.target_combo), "targetCombo").setCurrentText("drawn")
    assert window.stack.currentWidget() is window.draw_mode.page  # the canvas opens
    window.transport.play_action.setChecked(True)
    assert window.banner.isVisible() and "drawing is empty" in window.banner.label.text()
    assert not window.playing and not window.transport.play_action.isChecked()
    window.banner.clear()
    window.transport.step_action.trigger()  # nor does a single step
    assert window.banner.isVisible()
    qtbot.wait(300)
    assert window.snapshot.step == 0


def test_image_import_save_and_open(qtbot, window, tmp_path):
    pixels = np.zeros((20, 20), dtype=np.uint8)
    pixels[2:6, 10:18] = 255  # a bright bar near the top right
    Image.fromarray(pixels, "L").save(tmp_path / "bar.png")
    window.draw_mode.import_image(str(tmp_path / "bar.png"))
    window.draw_mode.wait_for_import()
    assert window.config.target.name == "drawn"
    qtbot.waitUntil(lambda: window.snapshot.real[:, 1].min() > 0.5, timeout=20_000)
    assert (window.snapshot.real[:, 0] > -0.1).all()
    window.draw_mode.save_target(str(tmp_path / "bar.npz"))
    density, bounds = load_drawing(tmp_path / "bar.npz")
    np.testing.assert_array_equal(density, window.draw_mode.drawing.density.astype(np.float32))
    window.draw_mode.canvas.clear()
    window.draw_mode.open_target(str(tmp_path / "bar.npz"))
    np.testing.assert_array_equal(window.draw_mode.drawing.density.astype(np.float32), density)
    window.draw_mode.action_invert.setChecked(True)  # dark pixels dense: the bar is now empty
    window.draw_mode.import_image(str(tmp_path / "bar.png"))
    window.draw_mode.wait_for_import()
    inverted = window.draw_mode.drawing.density[0]
    assert inverted[-4:-2, 10:18].max() == 0 and inverted[:10].min() > 0.9


def test_bad_files_show_an_error_and_change_nothing(qtbot, window, tmp_path):
    window.draw_mode.action_draw.trigger()
    stroke(qtbot, window.draw_mode.canvas, (0.0, -1.0), (1.0, -1.0))
    before = window.draw_mode.drawing.density.copy()
    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")
    window.draw_mode.import_image(str(tmp_path / "broken.png"))
    window.draw_mode.wait_for_import()
    assert "not a readable PNG or JPEG" in window.banner.label.text()
    (tmp_path / "broken.npz").write_bytes(b"garbage")
    window.draw_mode.open_target(str(tmp_path / "broken.npz"))
    assert "target.path" in window.banner.label.text()
    (tmp_path / "points.csv").write_text("x,y\nfoo,bar\n")
    window.draw_mode.import_points(str(tmp_path / "points.csv"))
    assert "points" in window.banner.label.text()
    np.testing.assert_array_equal(window.draw_mode.drawing.density, before)


def test_imported_points_become_the_target(qtbot, window, tmp_path):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "p.npy", rng.normal([3.0, 3.0], 0.2, (400, 2)))
    window.draw_mode.import_points(str(tmp_path / "p.npy"))
    assert "bandwidth" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: np.abs(window.snapshot.real.mean(axis=0) - 3.0).max() < 0.2,
                    timeout=20_000)


def test_choosing_drawn_then_a_preset_keeps_menu_and_view_honest(qtbot, window):
    combo = window.controls.target_combo
    combo.setCurrentText("drawn")  # nothing drawn yet: the canvas opens, ring8 still trains
    assert window.stack.currentWidget() is window.draw_mode.page
    assert window.config.target.name == "ring8"
    window.draw_mode.action_draw.trigger()  # leave draw mode with an empty drawing
    assert combo.currentText() == "ring8"
    window.draw_mode.action_draw.trigger()
    combo.setCurrentText("grid25")
    assert window.stack.currentWidget() is window.data_view
    qtbot.waitUntil(lambda: window.snapshot.bounds[1] > 4, timeout=20_000)
