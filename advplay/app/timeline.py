"""The training timeline: scrub through the kept snapshots while paused, replay them, and
mark the range an animation export covers.

The bar only reads the window's :class:`~advplay.core.history.SnapshotHistory`; it asks the
window to show a frame with ``frame_selected(index)`` and never touches training.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QLabel, QSlider, QToolBar, QToolButton

from advplay.app.actions import make_action
from advplay.app.labels import fix_label_size

#: while training, the slider follows the newest frame at most this often (ms): moving it
#: with every frame cost ~0.8 ms of the UI thread per frame, for a change nobody can follow
LIVE_REFRESH_MS = 250
#: replay speeds: label -> frames per second
REPLAY_SPEEDS = {"0.5×": 7.5, "1×": 15.0, "2×": 30.0, "4×": 60.0}


class TimelineBar(QToolBar):
    """Slider (``timelineSlider``), replay (``replayButton``) and range marks ([ and ]).

    Signals
    -------
    frame_selected(int) : show the history's snapshot at this index
    live_requested() : go back to the newest frame (the end of the timeline)
    """

    frame_selected = Signal(int)
    live_requested = Signal()

    def __init__(self, history, parent=None):
        super().__init__("Timeline", parent)
        self.setObjectName("timelineBar")
        self.history = history
        self.range: tuple[int, int] | None = None  # (first, last) step marked for export
        self._live = True
        self._build()
        self._replay = QTimer(self)
        self._replay.timeout.connect(self._advance)
        self._live_refresh = QTimer(self)
        self._live_refresh.setSingleShot(True)
        self._live_refresh.setInterval(LIVE_REFRESH_MS)
        self._live_refresh.timeout.connect(self.refresh)
        self.set_training(False)

    def _build(self) -> None:
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("timelineSlider")
        self.slider.setToolTip("Scrub through the training run (while paused); ← → step frames")
        self.slider.valueChanged.connect(self._on_moved)
        self.replay_action = make_action(self, "Replay", "Ctrl+Space", checkable=True,
                                         name="actionReplay",
                                         tip="Play the kept frames back (Ctrl+Space)")
        self.replay_action.toggled.connect(self._on_replay)
        replay = QToolButton()
        replay.setDefaultAction(self.replay_action)
        replay.setObjectName("replayButton")
        self.speed = QComboBox()
        self.speed.addItems(list(REPLAY_SPEEDS))
        self.speed.setCurrentText("1×")
        self.speed.setObjectName("replaySpeedCombo")
        self.speed.setToolTip("Replay speed (1× = 15 frames a second)")
        self.speed.currentTextChanged.connect(lambda _: self._on_replay(self._replay.isActive()))
        self.mark_start = make_action(self, "[", "[", name="actionRangeStart",
                                      tip="Start the export range at this frame ([)")
        self.mark_end = make_action(self, "]", "]", name="actionRangeEnd",
                                    tip="End the export range at this frame (])")
        self.mark_start.triggered.connect(lambda: self._mark(0))
        self.mark_end.triggered.connect(lambda: self._mark(1))
        self.label = QLabel()
        fix_label_size(self.label, "step 00000000 · range 00000000–00000000")
        for widget in (replay, self.speed):
            self.addWidget(widget)
        self.addWidget(self.slider)
        self.addAction(self.mark_start)
        self.addAction(self.mark_end)
        self.addWidget(self.label)

    # ----------------------------------------------------------------- state

    def set_training(self, training: bool) -> None:
        """While training the timeline follows the newest frame and cannot be scrubbed."""
        if training:
            self.replay_action.setChecked(False)
            self._live = True
        for widget in (self.slider, self.speed):
            widget.setEnabled(not training)
        self.replay_action.setEnabled(not training)
        self.refresh()

    def refresh(self) -> None:
        """The history changed (a frame was added or thinned): resize the slider."""
        count = len(self.history)
        blocked = self.slider.blockSignals(True)
        self.slider.setRange(0, max(count - 1, 0))
        if self._live:
            self.slider.setValue(max(count - 1, 0))
        self.slider.blockSignals(blocked)
        self._update_label()

    def go_live(self) -> None:
        """Follow the newest frame (a new frame arrived from training): at once while paused
        (a step), within :data:`LIVE_REFRESH_MS` while training."""
        self._live = True
        if self.slider.isEnabled():
            self.refresh()
        elif not self._live_refresh.isActive():
            self._live_refresh.start()

    def clear_range(self) -> None:
        self.range = None
        self._update_label()

    def range_indices(self) -> tuple[int, int] | None:
        """The marked range as history indices (steps are re-found after thinning)."""
        if self.range is None or not len(self.history):
            return None
        first, last = (self.history.index_of_step(step) for step in self.range)
        return min(first, last), max(first, last)

    # ----------------------------------------------------------------- handlers

    def _on_moved(self, index: int) -> None:
        self._live = index >= len(self.history) - 1
        self._update_label()
        if self._live:
            self.live_requested.emit()
        else:
            self.frame_selected.emit(index)

    def _on_replay(self, on: bool) -> None:
        self._replay.stop()
        if on and len(self.history) > 1:
            if self.slider.value() >= len(self.history) - 1:
                self.slider.setValue(0)  # replay from the start
            self._replay.start(int(1000 / REPLAY_SPEEDS[self.speed.currentText()]))
        elif on:
            self.replay_action.setChecked(False)

    def _advance(self) -> None:
        if self.slider.value() >= self.slider.maximum():
            self.replay_action.setChecked(False)
            return
        self.slider.setValue(self.slider.value() + 1)

    def _mark(self, end: int) -> None:
        if not len(self.history):
            return
        step = int(self.history[self.slider.value()].step)
        first, last = self.range or (int(self.history[0].step), int(self.history[-1].step))
        self.range = (step, last) if end == 0 else (first, step)
        self._update_label()

    def _update_label(self) -> None:
        if not len(self.history):
            self.label.setText("no frames yet")
            return
        step = self.history[min(self.slider.value(), len(self.history) - 1)].step
        text = f"step {step}"
        if self.range is not None:
            text += f" · range {min(self.range)}–{max(self.range)}"
        self.label.setText(text)
