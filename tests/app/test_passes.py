"""A view's update and its repaint land in separate passes of the event loop."""

import contextlib
import time

import pytest
from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtWidgets import QWidget

from advplay.app.passes import repaint_in_next_pass


class CountingWidget(QWidget):
    def __init__(self, events: list):
        super().__init__()
        self.events = events

    def paintEvent(self, event):
        self.events.append("paint")


@pytest.fixture
def shown(qtbot):
    events = []
    widget = CountingWidget(events)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    qtbot.waitUntil(lambda: "paint" in events)
    for _ in range(5):  # let the paints of showing the window settle
        QCoreApplication.processEvents()
    events.clear()
    return widget


def update_while_a_timer_falls_due(qtbot, widget, hold) -> list:
    """Update ``widget`` under ``hold`` while a 1 ms timer falls due; the order of the timer
    and the repaint that follow."""
    timer = QTimer()
    timer.setSingleShot(True)
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(lambda: widget.events.append("timer"))
    with hold(widget):
        timer.start(1)
        widget.update()  # what setData does to a view
        time.sleep(0.005)  # the rest of a long update: the timer is due when it ends
    qtbot.waitUntil(lambda: {"timer", "paint"} <= set(widget.events))
    return widget.events


def test_timers_due_after_an_update_run_before_its_repaint(qtbot, shown):
    assert update_while_a_timer_falls_due(qtbot, shown, repaint_in_next_pass)[:2] == [
        "timer", "paint"]
    assert shown.updatesEnabled()


def test_without_the_hold_the_repaint_comes_first(qtbot, shown):
    # the behaviour the hold exists for (Qt serves posted events, the repaint among them,
    # before timers): if Qt changes it, the hold is no longer needed
    order = update_while_a_timer_falls_due(qtbot, shown, lambda w: contextlib.nullcontext())
    assert order[:2] == ["paint", "timer"]


def test_a_nested_hold_is_released_once_by_the_outer_one(qtbot, shown):
    with repaint_in_next_pass(shown):
        with repaint_in_next_pass(shown):
            pass
        assert not shown.updatesEnabled()
    qtbot.waitUntil(shown.updatesEnabled)
