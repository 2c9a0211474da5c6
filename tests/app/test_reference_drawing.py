"""Choosing a drawing file as the reference q of a density-ratio run, in the window."""

import numpy as np
import pytest
from PySide6.QtWidgets import QComboBox

from advplay.app import draw_mode
from advplay.app.main_window import MainWindow
from advplay.core.config import Config
from advplay.core.drawn import save_drawing

START_TIMEOUT = 60_000  # ms: spawning the worker imports torch


@pytest.fixture
def window(qtbot):
    config = Config().replace({"target.name": "gaussian", "model.name": "ratio",
                               "model.width": 32, "model.depth": 1})
    window = MainWindow(config)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.snapshot is not None, timeout=START_TIMEOUT)
    yield window
    window.close()


def answer_dialog(monkeypatch, path: str) -> None:
    monkeypatch.setattr(draw_mode.QFileDialog, "getOpenFileName",
                        staticmethod(lambda *args, **kwargs: (path, "")))


def test_choosing_drawn_asks_for_the_file_and_trains_against_it(qtbot, window, monkeypatch,
                                                                tmp_path):
    square = tmp_path / "square.npz"  # q uniform on [-1, 1]^2
    save_drawing(square, np.ones((1, 8, 8)), (-1.0, 1.0, -1.0, 1.0))
    answer_dialog(monkeypatch, str(square))
    window.findChild(QComboBox, "referenceCombo").setCurrentText("drawn")
    assert window.config.model.reference == "drawn"
    assert window.config.model.reference_path == str(square)
    qtbot.waitUntil(lambda: window.snapshot.fake is not None
                    and np.abs(window.snapshot.fake).max() <= 1.0, timeout=START_TIMEOUT)


@pytest.mark.parametrize("content", [None, b"not a drawing"])
def test_a_cancelled_or_bad_file_keeps_the_preset_reference(window, monkeypatch, tmp_path,
                                                            content):
    path = ""
    if content is not None:
        path = str(tmp_path / "bad.npz")
        (tmp_path / "bad.npz").write_bytes(content)
    answer_dialog(monkeypatch, path)
    combo = window.findChild(QComboBox, "referenceCombo")
    combo.setCurrentText("drawn")
    assert window.config.model.reference == "gaussian"
    assert combo.currentText() == "gaussian"
    if content is not None:
        assert "Cannot use" in window.banner.label.text()


class Banner:
    """Stands in for the window (or the compare mode's window): records error messages."""

    def __init__(self):
        self.errors = []

    def show_error(self, message):
        self.errors.append(message)


def test_the_reference_chooser_serves_any_settings_panel(qtbot, monkeypatch, tmp_path):
    config = Config().replace({"model.name": "ratio", "target.name": "gaussian"})
    banner = Banner()
    assert draw_mode.with_reference_drawing(banner, config, "train.lr_d", 0.1) is config
    answer_dialog(monkeypatch, "")
    assert draw_mode.with_reference_drawing(banner, config, "model.reference", "drawn") is None
    square = tmp_path / "square.npz"
    save_drawing(square, np.ones((1, 4, 4)), (-1.0, 1.0, -1.0, 1.0))
    answer_dialog(monkeypatch, str(square))
    chosen = draw_mode.with_reference_drawing(banner, config, "model.reference", "drawn")
    assert chosen.model.reference_path == str(square) and not banner.errors
