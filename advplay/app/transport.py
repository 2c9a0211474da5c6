"""Play/Pause, Step, Reset and speed, as a toolbar with actions and shortcuts; the error banner."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QSlider, QSpinBox, QToolBar,
                               QToolButton, QWidget)

from advplay.app.actions import make_action

#: speed slider positions: maximum steps per second (None = as fast as possible)
SPEEDS = (1, 2, 5, 10, 20, 50, 100, 200, 500, None)


class TransportBar(QToolBar):
    """The training transport. Emits what the user asked for; knows nothing of training."""

    play_toggled = Signal(bool)
    step_requested = Signal(int, object)  # count, players (None = both)
    reset_requested = Signal()
    speed_changed = Signal(object)  # steps per second, or None for full speed

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Training", parent)
        self.setObjectName("transportBar")
        self.setMovable(False)
        self.play_action = self._add("Play", "Space", "Start or pause training (Space)",
                                     "playButton", checkable=True)
        self.play_action.toggled.connect(self._on_play_toggled)
        self.step_action = self._add("Step", "S", "Train the chosen number of iterations (S)",
                                     "stepButton")
        self.step_action.triggered.connect(lambda: self.step_requested.emit(self.step_count.value(), None))
        self.step_count = QSpinBox()
        self.step_count.setObjectName("stepCountSpin")
        self.step_count.setRange(1, 100000)
        self.step_count.setSuffix(" it")
        self.step_count.setToolTip("Iterations per Step")
        self.addWidget(self.step_count)
        self.step_d_action = self._add("D step", "Shift+D", "One discriminator-only update: "
                                       "the discriminator's move (Shift+D)", "stepDButton")
        self.step_d_action.triggered.connect(lambda: self.step_requested.emit(1, ("d",)))
        self.step_g_action = self._add("G step", "Shift+G", "One generator-only update: "
                                       "the generator's move (Shift+G)", "stepGButton")
        self.step_g_action.triggered.connect(lambda: self.step_requested.emit(1, ("g",)))
        self.reset_action = self._add("Reset", "R", "New networks from the seed, step 0 (R)",
                                      "resetButton")
        self.reset_action.triggered.connect(self.reset_requested)
        self.addSeparator()
        self._add_speed_slider()

    def _add(self, text, shortcut, tip, object_name, checkable=False) -> QAction:
        action = make_action(self, text, shortcut, tip=tip, checkable=checkable)
        self.addAction(action)
        button = self.widgetForAction(action)
        button.setObjectName(object_name)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        return action

    def _add_speed_slider(self) -> None:
        self.addWidget(QLabel(" Speed "))
        self.speed_slider = QSlider(Qt.Orientation.Horizontal)
        self.speed_slider.setObjectName("speedSlider")
        self.speed_slider.setRange(0, len(SPEEDS) - 1)
        self.speed_slider.setValue(len(SPEEDS) - 1)
        self.speed_slider.setFixedWidth(140)
        self.speed_slider.setToolTip("Cap on training iterations per second (right: no cap)")
        self.speed_label = QLabel("max")
        self.speed_label.setMinimumWidth(70)
        self.speed_slider.valueChanged.connect(self._on_speed)
        self.addWidget(self.speed_slider)
        self.addWidget(self.speed_label)

    def _on_speed(self, position: int) -> None:
        speed = SPEEDS[position]
        self.speed_label.setText("max" if speed is None else f"{speed} it/s")
        self.speed_changed.emit(speed)

    def _on_play_toggled(self, playing: bool) -> None:
        self.play_action.setText("Pause" if playing else "Play")
        self.play_toggled.emit(playing)

    def set_playing(self, playing: bool) -> None:
        """Reflect the worker's state without emitting a new request."""
        blocked = self.play_action.blockSignals(True)
        self.play_action.setChecked(playing)
        self.play_action.setText("Pause" if playing else "Play")
        self.play_action.blockSignals(blocked)

    def actions_for_menu(self) -> list[QAction]:
        return [self.play_action, self.step_action, self.step_d_action, self.step_g_action,
                self.reset_action]


class ErrorBanner(QFrame):
    """A dismissable red strip above the plot: what went wrong and how to recover."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self.setStyleSheet("#errorBanner { background: #7a1f1f; border-radius: 4px; }"
                           "QLabel { color: white; padding: 4px; }")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        self.label = QLabel()
        self.label.setObjectName("errorLabel")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.clicked.connect(self.clear)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.hide()

    def show_error(self, message: str) -> None:
        self.label.setText(message)
        self.show()

    def clear(self) -> None:
        self.label.clear()
        self.hide()
