"""The View menu's choices are kept between launches; unreadable saved values give defaults."""

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction

from advplay.app.main_window import MainWindow
from advplay.app.menus import FRAME_RATES, LAYER_TOGGLES
from advplay.app.view_preferences import ViewPreferences
from advplay.core.config import Config
from advplay.worker.process import DEFAULT_FRAME_RATE

SMALL = Config().replace({"model.width": 32})


@pytest.fixture
def launch(qtbot):
    """Opens main windows as a launch of the app would (closed at the end of the test)."""
    windows = []

    def open_window():
        window = MainWindow(SMALL)
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield open_window
    for window in windows:
        window.close()


def layer_action(window, label) -> QAction:
    return next(a for a in window.actions() if a.text() == label)


def test_view_choices_hold_for_the_next_launch(launch):
    first = launch()
    layer_action(first, "Generator &gradients").setChecked(True)  # hidden by default
    layer_action(first, "&Contours").setChecked(False)  # shown by default
    first.menus.logit_action.setChecked(True)
    first.menus.log_action.setChecked(True)
    first.findChild(QAction, "actionFrameRate30").trigger()
    first.close()

    second = launch()
    assert second.data_view.layer_visible("gradients")
    assert not second.data_view.layer_visible("contours")
    assert second.data_view.layer_visible("fake")  # untouched: its default
    assert second.data_view.surface == "logit" and second.curves_view._log_scale
    assert second.findChild(QAction, "actionFrameRate30").isChecked()
    assert second.client.frame_rate == 30


def test_a_first_launch_shows_the_defaults(launch):
    window = launch()
    for name, label, _, on in LAYER_TOGGLES:
        assert layer_action(window, label).isChecked() == on, name
        assert window.data_view.layer_visible(name) == on, name
    assert window.data_view.surface == "output" and not window.menus.log_action.isChecked()
    assert window.client.frame_rate == DEFAULT_FRAME_RATE


def test_unreadable_saved_choices_fall_back_to_the_defaults(launch):
    first = launch()
    settings = first.files.settings
    settings.setValue("view/frame_rate", "fast")
    settings.setValue("view/layer_contours", "maybe")
    settings.setValue("view/logit", 3)
    first.close()
    second = launch()
    assert second.client.frame_rate == DEFAULT_FRAME_RATE
    assert layer_action(second, "&Contours").isChecked()
    assert second.data_view.surface == "output"


@pytest.mark.parametrize("saved, read", [(True, True), (False, False), ("true", True),
                                         ("False", False), ("yes", None), (None, None)])
def test_flags_read_back_from_an_ini_file(tmp_path, saved, read):
    preferences = ViewPreferences(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    if saved is not None:
        preferences.settings.setValue("view/x", saved)
    assert preferences.flag("x", True) is (True if read is None else read)
    assert preferences.flag("x", False) is (False if read is None else read)


def test_only_frame_rates_the_menu_offers_are_taken(tmp_path):
    preferences = ViewPreferences(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    preferences.set_frame_rate(15)
    assert preferences.frame_rate(FRAME_RATES, 10.0) == 15
    preferences.set_frame_rate(12)  # offered once, say, and no longer
    assert preferences.frame_rate(FRAME_RATES, 10.0) == 10.0
