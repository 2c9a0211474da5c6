"""The main window: data view and curves in the centre, settings on the left, transport on top."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QDockWidget, QLabel, QMainWindow, QMessageBox,
                               QSplitter, QStackedWidget, QVBoxLayout, QWidget)

from advplay.app.client import WorkerClient
from advplay.app.compare import CompareMode
from advplay.app.controls import ControlPanel, settings_scroll_area
from advplay.app.data_view import DataView
from advplay.app.draw_mode import DrawMode, with_reference_drawing
from advplay.app.experiment_files import ExperimentFiles
from advplay.app.explanations import explanation_html
from advplay.app.export_actions import ExportActions
from advplay.app.labels import fix_label_size
from advplay.app.menus import WindowMenus
from advplay.app.passes import repaint_in_next_pass
from advplay.app.side_views import SideViews
from advplay.app.timeline import TimelineBar
from advplay.app.transport import ErrorBanner, TransportBar
from advplay.core.config import ON_THE_FLY, Config, config_from_dict
from advplay.core.errors import ConfigError
from advplay.core.history import SnapshotHistory
from advplay.core.targets import make_target
from advplay.core.views import grid_axes

DENSITY_RESOLUTION = 128
#: memory the timeline's kept frames may take (about 400 frames of the default experiment)
HISTORY_BYTES = 64 << 20
#: the data view redraws as often as frames come (View > Frame rate); the curves, which
#: change slowly, at most this often
CURVES_FRAME_SECONDS = 1 / 4


class MainWindow(QMainWindow):
    """The advplay window. ``MainWindow(config)`` starts its worker at once.

    ``confirm_reset`` asks before a change that needs a new model throws training away; tests
    replace it (it is a plain attribute holding a function of the question text).
    """

    snapshot_shown = Signal(object)

    def __init__(self, config: Config | None = None):
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("advplay: adversarial learning playground")
        self.resize(1400, 900)
        self.config = config or Config()
        self.snapshot = None
        self.playing = False
        self.confirm_reset = self._ask_reset
        self.history = SnapshotHistory(budget_bytes=HISTORY_BYTES)
        self.target_log_density = None  # (log density (H, W), bounds) where the target has one
        self._pending = None  # the newest frame, not drawn yet
        self._stats: dict = {}  # the worker's numbers that came with the newest frame
        self._drawn_at = {"data": 0.0, "curves": 0.0}
        self._frame_timer = QTimer(self)
        self._frame_timer.setSingleShot(True)
        self._frame_timer.timeout.connect(self._update_frame)
        self._build_views()
        self.draw_mode = DrawMode(self)
        self.stack.addWidget(self.draw_mode.page)
        self._build_controls()
        self._build_status_bar()
        self.client = WorkerClient(self)
        self.files = ExperimentFiles(self)
        self.exports = ExportActions(self)
        self._build_timeline()
        self.compare = CompareMode(self)
        self.menus = WindowMenus(self)
        self.client.snapshot_received.connect(self._on_snapshot)
        self.client.error_reported.connect(self.show_error)
        self.client.worker_died.connect(self.show_error)
        self.client.playing_changed.connect(self._on_playing_changed)
        self.client.skip_extras(self.side.skipped_extras)  # D* only while its tab shows
        self.side.skipped_extras_changed.connect(self.client.skip_extras)
        self.controls.set_config(self.config)
        self._update_target_density()
        self.client.start(self.config)

    # ----------------------------------------------------------------- layout

    def _build_views(self) -> None:
        self.data_view = DataView()
        self.side = SideViews()
        self.curves_view = self.side.curves
        self.banner = ErrorBanner()
        self.explanation = QLabel()
        self.explanation.setObjectName("explanationPanel")
        self.explanation.setWordWrap(True)
        self.explanation.setToolTip("The method's objective, as in the GAN lecture")
        self.explanation.setTextFormat(Qt.TextFormat.RichText)
        self._explained = None
        splitter = QSplitter(Qt.Orientation.Horizontal)
        top = QWidget()
        column = QVBoxLayout(top)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.banner)
        column.addWidget(self.explanation)
        self.stack = QStackedWidget()  # the data view, or the drawing canvas in draw mode
        self.stack.addWidget(self.data_view)
        self.data_row = QSplitter(Qt.Orientation.Horizontal)  # View > Compare adds a view
        self.data_row.setChildrenCollapsible(False)
        self.data_row.addWidget(self.stack)
        column.addWidget(self.data_row, 1)
        splitter.addWidget(top)
        splitter.addWidget(self.side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([660, 440])
        self.setCentralWidget(splitter)

    def _build_controls(self) -> None:
        self.transport = TransportBar(self)
        self.addToolBar(self.transport)
        self.transport.play_toggled.connect(self._on_play_toggled)
        self.transport.step_requested.connect(self._on_step)
        self.transport.reset_requested.connect(self._on_reset)
        self.transport.speed_changed.connect(lambda speed: self.client.set_speed(speed))
        self.controls = ControlPanel()
        self.controls.changed.connect(self._on_setting_changed)
        dock = QDockWidget("Settings", self)
        dock.setObjectName("settingsDock")
        dock.setWidget(settings_scroll_area(self.controls))
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)

    def _build_status_bar(self) -> None:
        self.step_label = QLabel("Step 0")
        self.step_label.setObjectName("stepLabel")
        self.step_label.setToolTip("Training iterations so far")
        self.rate_label = QLabel("")
        self.rate_label.setToolTip("Training speed in the worker process")
        self.device_label = QLabel("")
        self.device_label.setToolTip("Where the networks train")
        # Sizes fixed for the longest text: a label that grows with its digits would make the
        # window lay itself out again on every frame.
        for label, widest in ((self.step_label, "Replay: step 00000000"),
                              (self.rate_label, "00,000 steps/s"),
                              (self.device_label, "device: cuda:0")):
            fix_label_size(label, widest)
            self.statusBar().addPermanentWidget(label)
        self.statusBar().showMessage("Starting the training process…")

    def _build_timeline(self) -> None:
        self.timeline = TimelineBar(self.history, self)
        self.addToolBar(Qt.ToolBarArea.BottomToolBarArea, self.timeline)
        self.timeline.frame_selected.connect(self._show_history_frame)
        self.timeline.live_requested.connect(self._show_live_frame)

    # ----------------------------------------------------------------- handlers

    def _on_play_toggled(self, play: bool) -> None:
        if play and self.draw_mode.nothing_to_train_on():
            self.transport.set_playing(False)
            return
        if play:
            self.banner.clear()
            self.client.play()
        else:
            self.client.pause()

    def _on_step(self, count: int, players) -> None:
        if self.draw_mode.nothing_to_train_on():
            return
        self.banner.clear()
        self.client.step(count, players)

    def _on_reset(self) -> None:
        self.banner.clear()
        self._new_run()
        self.client.reset()

    def _on_playing_changed(self, playing: bool) -> None:
        self.playing = playing
        self.transport.set_playing(playing)
        self.timeline.set_training(playing)

    def _new_run(self) -> None:
        """Training restarts (reset, new settings, another target or file): a new timeline."""
        self.history.clear()
        self.timeline.clear_range()
        self.timeline.refresh()

    def _show_history_frame(self, index: int) -> None:
        """Show a kept frame of the timeline (training is untouched)."""
        snapshot = self.history[index]
        self.data_view.show_snapshot(snapshot)
        self.side.show_snapshot(snapshot)
        self.step_label.setText(f"Replay: step {snapshot.step}")  # plain text: any font has it

    def _show_live_frame(self) -> None:
        if self.snapshot is not None:
            self.step_label.setText(f"Step {self.snapshot.step}")
            self.data_view.show_snapshot(self.snapshot)
            self.side.show_snapshot(self.snapshot)

    # ----------------------------------------------------------------- drawn targets

    def show_draw_page(self, active: bool) -> None:
        self.stack.setCurrentWidget(self.draw_mode.page if active else self.data_view)
        if not active:  # the menu shows the target that trains (not "drawn" with nothing drawn)
            self.controls.set_config(self.config)
        if active and self.snapshot is not None:
            self.draw_mode.canvas.set_overlay_points(self.snapshot.fake)

    def use_target(self, config: Config, drawing) -> None:
        """Switch to a drawn target (a reset: the target's shape is new)."""
        self.config = config
        self.controls.set_config(config)
        self.banner.clear()
        self._update_target_density()
        self._new_run()
        self.client.configure(config, drawing)

    def open_experiment(self, experiment, path: str) -> None:
        """Show a saved run (checked by ExperimentFiles) and let the worker continue it."""
        self.config = experiment.config
        if experiment.drawing is not None:
            self.draw_mode.drawing.set_density(*experiment.drawing)
            canvas = self.draw_mode.canvas
            blocked = canvas.blockSignals(True)  # show it, without retraining toward it
            canvas.set_drawing(self.draw_mode.drawing)
            canvas.blockSignals(blocked)
        self.controls.set_config(self.config)
        self.banner.clear()
        self._update_target_density()
        self._new_run()
        self.client.open(path, experiment.config, experiment.drawing)
        self.setWindowFilePath(path)
        self.statusBar().showMessage(f"Opened {path} at step {experiment.step}", 5000)

    def set_frame_rate(self, frames_per_second: float) -> None:
        """Frames a second while training (View > Frame rate), here and in a compared run."""
        self.client.set_frame_rate(frames_per_second)
        self.compare.set_frame_rate(frames_per_second)

    def update_drawing(self, density, bounds) -> None:
        """The drawing was edited: training goes on toward it."""
        self.banner.clear()
        self._update_target_density()
        self.client.set_drawing(density, bounds)

    # ----------------------------------------------------------------- frames

    def _on_snapshot(self, snapshot, stats: dict) -> None:
        """Keep the newest frame; draw it now or when the frame interval has passed.

        Drawing is rate-limited (a full repaint costs ~10-20 ms of the UI thread here), so a
        burst of frames costs one redraw, and training runs ahead without the UI waiting.
        """
        self.snapshot = snapshot
        self._stats = stats
        self._remember(snapshot)
        self._pending = snapshot
        if not self._frame_timer.isActive():
            wait = self._drawn_at["data"] + 1 / self.client.frame_rate - time.perf_counter()
            self._frame_timer.start(max(0, int(wait * 1000)))

    def _remember(self, snapshot) -> None:
        """Keep the frame for the timeline; a step back in time means a new run."""
        if len(self.history) and snapshot.step < self.history[-1].step:
            self.history.clear()
        self.history.append(snapshot)
        self.timeline.go_live()

    def _update_frame(self) -> None:
        if self._pending is None:
            return
        snapshot, self._pending = self._pending, None
        now = time.perf_counter()
        self._drawn_at["data"] = now
        with repaint_in_next_pass(self.data_view):
            self.data_view.show_snapshot(snapshot)
        self._update_explanation(snapshot.model)
        if snapshot.fake_labels is not None and not self.menus.class_menu.isEnabled():
            self.menus.fill_class_menu(int(snapshot.fake_labels.max()) + 1)
        if self.stack.currentWidget() is self.draw_mode.page:
            self.draw_mode.canvas.set_overlay_points(snapshot.fake)
        stopped = not self._stats.get("playing")
        if stopped:
            self._update_curves()
        elif now - self._drawn_at["curves"] >= CURVES_FRAME_SECONDS:
            # Half a frame later, in its own pass of the event loop: drawn together, the two
            # views held the UI thread for ~12 ms, which delayed input and timers.
            self._drawn_at["curves"] = now
            QTimer.singleShot(int(500 / self.client.frame_rate), self._update_curves)
        if not self.banner.isVisible() and self.statusBar().currentMessage():
            self.statusBar().clearMessage()
        self.snapshot_shown.emit(snapshot)

    def _update_curves(self) -> None:
        """The curves and the status bar's numbers: at most CURVES_FRAME_SECONDS apart while
        training (numbers changing 12 times a second cannot be read, and each change of the
        step and rate labels cost ~0.3 ms of the UI thread), at once when paused."""
        self._drawn_at["curves"] = time.perf_counter()
        if self.snapshot is None:
            return
        # the page on show, not the tab widget: re-enabling that repainted its frame (~1.8 ms)
        with repaint_in_next_pass(self.side.currentWidget() or self.side):
            self.side.show_snapshot(self.snapshot)
        self.step_label.setText(f"Step {self.snapshot.step}")
        playing = self._stats.get("playing")
        rate = self._stats.get("steps_per_s", 0.0)
        self.rate_label.setText(f"{rate:,.0f} steps/s" if playing else "paused")
        self.device_label.setText(f"device: {self.snapshot.device}")

    def _update_explanation(self, model: str) -> None:
        if model != self._explained:
            self._explained = model
            self.explanation.setText(explanation_html(model))
            self.menus.follow_method(model)

    def show_error(self, message: str) -> None:
        """The red banner (and the status bar): what went wrong and how to recover."""
        self.banner.show_error(message)
        self.statusBar().showMessage("Training paused: " + message.splitlines()[0])

    def _on_surface_toggled(self, logit: bool) -> None:
        self.data_view.set_surface("logit" if logit else "output")

    def _on_setting_changed(self, key: str, value) -> None:
        config = with_reference_drawing(self, self.config, key, value)
        if config is None:  # no drawing chosen for the reference q
            self.controls.set_config(self.config)
            return
        self.config = config
        if key == "target.name" and value == "drawn":
            self.draw_mode.set_active(True)
            if not self.draw_mode.drawing.is_empty():
                self.use_target(_with_change(self.config, key, value, check_target=False),
                                self.draw_mode.arrays())
            return
        try:
            candidate = _with_change(self.config, key, value)
        except ConfigError as error:
            self.show_error(str(error))
            self.controls.set_config(self.config)
            return
        if key in ON_THE_FLY:
            self.config = candidate
            self.client.apply({key: candidate.value(key)})
            return
        trained = self.snapshot is not None and self.snapshot.step > 0
        if trained and not self.confirm_reset(f"Changing {key} needs a new model; "
                                               f"the current training (step {self.snapshot.step}) "
                                               "will be lost. Reset now?"):
            self.controls.set_config(self.config)
            return
        self.config = candidate
        self.banner.clear()
        self._update_target_density()
        drawn = candidate.target.name == "drawn"
        self._new_run()
        self.client.configure(candidate, self.draw_mode.arrays() if drawn else None)
        if key == "target.name":  # a preset: show what trains on it
            self.draw_mode.set_active(False)

    def _ask_reset(self, question: str) -> bool:
        answer = QMessageBox.question(self, "Reset training?", question)
        return answer == QMessageBox.StandardButton.Yes

    def _update_target_density(self) -> None:
        if self.config.target.name == "drawn":
            if self.draw_mode.drawing.is_empty():
                return
            target = self.draw_mode.drawing.target()
        else:
            target = make_target(self.config.target.name, **self.config.target.params)
        if not target.has_density:
            self.target_log_density = None
            self.data_view.set_target_density(None, target.bounds)
            return
        xs, ys = grid_axes(target.bounds, DENSITY_RESOLUTION)
        grid_x, grid_y = np.meshgrid(xs, ys)
        log_density = target.log_prob(np.stack([grid_x.ravel(), grid_y.ravel()], axis=1))
        self.target_log_density = (log_density.reshape(grid_x.shape), target.bounds)
        self.data_view.set_target_density(*self.target_log_density)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        if not self.files.confirm_close():
            event.ignore()
            return
        self.client.shutdown()
        self.compare.shutdown()
        self.draw_mode.shutdown()
        super().closeEvent(event)


def _with_change(config: Config, key: str, value, check_target: bool = True) -> Config:
    """``config`` with one key changed; a new target starts from its default parameters."""
    if key != "target.name":
        return config.replace({key: value})
    data = config.to_dict()
    data["target"] = {"name": value}
    return config_from_dict(data, check_target=check_target)
