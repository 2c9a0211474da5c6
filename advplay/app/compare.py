"""View > Compare (Ctrl+K): a second run beside the window's own, on the same target.

The data view splits in two: the window's run on the left, and on the right a second
:class:`~advplay.app.data_view.DataView` (``compareView``) drawn from a second training worker
with its own config. The axes are linked, the target (a drawing too) is shared, and the
transport (Play, Pause, Step, Reset, speed) and the frame rate drive both. While comparing, a
box at the top of the settings panel chooses which run the panel edits; the right run has its
own settings panel (the target is shared, so it is changed on the left) and can load a config
file. Each run keeps its own snapshot history; an export pairs the frames by step.
"""

from __future__ import annotations

import copy
import dataclasses
import time

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QDockWidget, QFileDialog, QWidget

from advplay.app.actions import make_action
from advplay.app.client import WorkerClient
from advplay.app.compare_panel import (CONFIG_FILTER, CompareSettings, config_title,
                                       make_step_label, read_run_config)
from advplay.app.data_view import LAYERS, DataView
from advplay.app.draw_mode import with_reference_drawing
from advplay.app.transport import SPEEDS
from advplay.core.config import ON_THE_FLY, Config
from advplay.core.errors import ConfigError
from advplay.core.history import SnapshotHistory
from advplay.core.views import OPTIONAL_EXTRAS
from advplay.export.compare import COMPARE_LABEL, COMPARE_PANELS, align_by_step

#: while comparing, the two data views take this share of the window's centre, and the
#: curves beside them the rest but at least SIDE_WIDTH pixels (narrower, their plots are cut);
#: the data views' legends wrap after LEGEND_COLUMNS entries
DATA_SHARE, SIDE_WIDTH, LEGEND_COLUMNS = 0.74, 380, 3
#: a worker told to quit is killed if it has not within this many seconds
RETIRE_SECONDS = 10.0


class CompareMode(QObject):
    """The comparison of ``window`` (a MainWindow): its action, second worker and second view.

    Attributes
    ----------
    action : QAction ``actionCompare``, checkable
    config : the right run's config (kept when comparing stops, for the next time)
    client : the right run's WorkerClient, None when not comparing
    view : the right run's DataView (``compareView``), None when not comparing
    history : the right run's kept snapshots
    settings : the Left / Right choice above the settings, and the right run's settings
    """

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.config: Config | None = None
        self.client: WorkerClient | None = None
        self._retiring: list[WorkerClient] = []  # workers told to quit, not yet gone
        self.view: DataView | None = None
        self.snapshot = None
        self.history = SnapshotHistory(budget_bytes=window.history.budget_bytes)
        self._pending = None
        self._titles = None
        self._layout = None  # (centre splitter sizes, legend columns) to restore
        self.step_label = make_step_label()
        self._frame_timer = QTimer(self)
        self._frame_timer.setSingleShot(True)
        self._frame_timer.timeout.connect(self._update_frame)
        self.action = make_action(window, "&Compare two runs", "Ctrl+K", name="actionCompare",
                                  checkable=True,
                                  tip="Train a second configuration beside this one on the "
                                      "same target, with linked axes (Ctrl+K)")
        self.action.toggled.connect(self._on_toggled)
        self.settings = CompareSettings(window.findChild(QDockWidget, "settingsDock"), self)
        self.settings.changed.connect(self._on_setting_changed)
        self.settings.load_requested.connect(self._on_load_requested)
        self._connect_window()

    @property
    def active(self) -> bool:
        """Whether two runs are being compared."""
        return self.client is not None

    # ----------------------------------------------------------------- building

    def _connect_window(self) -> None:
        window, transport = self.window, self.window.transport
        transport.play_toggled.connect(self._on_play_toggled)  # after the window's own handler
        transport.step_requested.connect(self._on_step)
        transport.reset_requested.connect(self._on_reset)
        transport.speed_changed.connect(self._on_speed)
        window.client.snapshot_received.connect(self._on_left_snapshot)
        window.timeline.frame_selected.connect(self._show_frame_of)
        window.timeline.live_requested.connect(self._show_live)
        window.data_view.layer_toggled.connect(self._on_layer_toggled)

    def _build_view(self) -> None:
        left = self.window.data_view
        self.view = DataView()
        self.view.setObjectName("compareView")
        for name in LAYERS:
            self.view.set_layer_visible(name, left.layer_visible(name))
        self.view.set_surface(left.surface)
        self.view.plot.setXLink(left.plot)
        self.view.plot.setYLink(left.plot)
        self._show_target_density()
        self._widen_data_row()

    def _widen_data_row(self) -> None:
        """Put the right view beside the left one, the two of them sharing more of the centre."""
        window, centre = self.window, self.window.centralWidget()
        self._layout = (centre.sizes(), window.data_view.legend.columnCount)
        total = sum(centre.sizes())
        side = max(total - round(total * DATA_SHARE), min(SIDE_WIDTH, centre.sizes()[1]))
        centre.setSizes([total - side, side])
        for view in (window.data_view, self.view):
            view.legend.setColumnCount(LEGEND_COLUMNS)
        # Equal halves: linked axes with locked aspect agree only on views of one size (the
        # drawing page's tool strip would otherwise hold the left half wider).
        window.stack.setMinimumWidth(1)
        window.data_row.addWidget(self.view)
        window.data_row.setSizes([1000] * window.data_row.count())

    def _restore_layout(self) -> None:
        sizes, columns = self._layout
        self.window.stack.setMinimumWidth(0)
        self.window.data_view.legend.setColumnCount(columns)
        self.window.centralWidget().setSizes(sizes)

    # ----------------------------------------------------------------- on and off

    def _on_toggled(self, on: bool) -> None:
        if on and not self.active:
            self.start()
        elif not on and self.active:
            self.stop()

    def start(self) -> None:
        """Split the data view and start the right run (step 0, the config it had last time,
        or a copy of the left one), on the window's target."""
        window = self.window
        self.config = self._with_shared_target(self.config or window.config)
        self.client = WorkerClient(self, pin_training=False)  # the window's keeps its CPU
        self.client.drawing = window.client.drawing
        self.client.skip_extras(OPTIONAL_EXTRAS)  # the right run has only a data view
        self.client.snapshot_received.connect(self._on_snapshot)
        self.client.error_reported.connect(self._on_error)
        self.client.worker_died.connect(self._on_error)
        self._build_view()
        self.client.set_frame_rate(window.client.frame_rate)  # kept, told to the new worker first
        self.client.start(self.config)
        speed = SPEEDS[window.transport.speed_slider.value()]
        if speed is not None:
            self.client.set_speed(speed)
        self._offer_reset()
        if window.transport.play_action.isChecked():  # playing, or asked to a moment ago
            self.client.play()
        self.settings.open(self.config)
        self._update_titles()
        window.statusBar().insertPermanentWidget(0, self.step_label)
        self.step_label.show()
        window.statusBar().showMessage("Comparing: the settings now edit the right run "
                                       "(choose Left or Right above them)", 8000)

    def _offer_reset(self) -> None:
        """A run already trained may restart with the new one, so both show the same steps."""
        snapshot = self.window.snapshot
        if snapshot is not None and snapshot.step > 0 and self.window.confirm_reset(
                f"The right run starts at step 0. Reset the left run too (it is at step "
                f"{snapshot.step}), so that both train side by side from the start?"):
            self.window.transport.reset_action.trigger()

    def stop(self) -> None:
        """End the right run's worker and return to one data view."""
        if not self.active:
            return
        self._retire(self.client)
        self.client = None
        self._frame_timer.stop()
        self._pending = self.snapshot = self._titles = None
        self.history.clear()
        self.window.statusBar().removeWidget(self.step_label)
        self.step_label.setText("")
        self.settings.close()
        self.view.plot.setXLink(None)
        self.view.plot.setYLink(None)
        self.view.hide()
        self.view.setParent(None)
        self.view.deleteLater()
        self.view = None
        self._restore_layout()
        self.window.data_view.plot.setTitle(None)
        blocked = self.action.blockSignals(True)
        self.action.setChecked(False)
        self.action.blockSignals(blocked)

    def _retire(self, client: WorkerClient) -> None:
        """End ``client``'s worker without freezing the window: ask it to quit, and close the
        handle once it has (or kill it after RETIRE_SECONDS; a loaded machine is slow to quit)."""
        client.blockSignals(True)  # its death is expected now
        if client.handle.alive:
            client.handle.send("quit")
        deadline = time.monotonic() + RETIRE_SECONDS
        self._retiring.append(client)

        def check() -> None:
            if client.handle.alive and time.monotonic() < deadline:
                return
            timer.stop()
            timer.deleteLater()
            if client in self._retiring:
                self._retiring.remove(client)
                client.shutdown()
                client.deleteLater()

        timer = QTimer(self)
        timer.timeout.connect(check)
        timer.start(100)

    def shutdown(self) -> None:
        """The window closes: end the right run's worker, and any still quitting."""
        for client in [*self._retiring, self.client]:
            if client is not None:
                client.shutdown()
        self._retiring.clear()

    # ----------------------------------------------------------------- training

    def _on_play_toggled(self, play: bool) -> None:
        if not self.active:
            return
        if not play:
            self.client.pause()
        elif self.window.transport.play_action.isChecked():  # the window did not refuse
            self.client.play()

    def _on_step(self, count: int, players) -> None:
        if self.active:
            self.client.step(count, players)

    def _on_speed(self, steps_per_second) -> None:
        if self.active:
            self.client.set_speed(steps_per_second)

    def set_frame_rate(self, frames_per_second: float) -> None:
        if self.active:
            self.client.set_frame_rate(frames_per_second)

    def _on_layer_toggled(self, name: str, visible: bool) -> None:
        if self.view is not None:
            self.view.set_layer_visible(name, visible)

    def _on_reset(self) -> None:
        if self.active:
            self.history.clear()
            self.client.reset()

    def _on_error(self, message: str) -> None:
        self.window.show_error(f"Right run ({config_title(self.config)}): {message}")

    def _with_shared_target(self, config: Config) -> Config:
        """``config`` with the window's target."""
        return dataclasses.replace(config, target=copy.deepcopy(self.window.config.target))

    def _on_left_snapshot(self, snapshot, stats: dict) -> None:
        """The left run changed or moved: follow its target, and name both runs."""
        if self.active:
            self._follow_target()
            self._update_titles()

    def _follow_target(self) -> None:
        """Train the right run on the window's target (a new one, or the drawing as edited)."""
        drawing = self.window.client.drawing
        same = self.config.target == self.window.config.target
        if same and drawing is self.client.drawing:
            return
        if same and drawing is not None and self.client.drawing is not None:
            self.client.set_drawing(*drawing)  # an edit: train on toward it, as on the left
        else:
            self.config = self._with_shared_target(self.config)
            self.history.clear()
            self.client.configure(self.config, drawing)
            self.settings.set_config(self.config)
        self._show_target_density()

    def _show_target_density(self) -> None:
        density = self.window.target_log_density
        self.view.set_target_density(*(density or (None, ())))

    # ----------------------------------------------------------------- settings

    def _on_setting_changed(self, key: str, value) -> None:
        """An edit in the right run's settings: on the fly, or a new right run from step 0."""
        config = with_reference_drawing(self.window, self.config, key, value)
        if config is None:  # no drawing chosen for the reference q
            self.settings.set_config(self.config)
            return
        try:
            candidate = config.replace({key: value})
        except ConfigError as error:
            self._on_error(str(error))
            self.settings.set_config(self.config)
            return
        if key in ON_THE_FLY:
            self.config = candidate
            self.client.apply({key: candidate.value(key)})
        else:
            self._use_config(candidate)
        self._update_titles()

    def _use_config(self, config: Config) -> None:
        """Start the right run again with ``config`` (its target is the shared one)."""
        self.config = self._with_shared_target(config)
        self.history.clear()
        self.client.configure(self.config, self.window.client.drawing)
        self.settings.set_config(self.config)

    def _on_load_requested(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Config for the right run", "",
                                              CONFIG_FILTER)
        if path:
            self.load_config(path)

    def load_config(self, path) -> bool:
        """Train the right run with the config in ``path`` (TOML or ``.advplay``) on the shared
        target; False, with a message and nothing changed, if the file is unusable."""
        if not self.active:
            return False
        try:
            config = read_run_config(path)
        except ConfigError as error:
            self.window.show_error(f"Cannot use {path} for the right run: {error}")
            return False
        self._use_config(config)
        self.settings.panel.set_side("right")
        self._update_titles()
        self.window.statusBar().showMessage(
            f"Right run: {config_title(self.config)} from {path}, on the shared target "
            f"{self.config.target.name}", 8000)
        return True

    def _update_titles(self) -> None:
        left, right = self.window.config, self.config
        titles = (config_title(left, right), config_title(right, left))
        if titles != self._titles:
            self._titles = titles
            self.window.data_view.plot.setTitle(titles[0])
            self.view.plot.setTitle(titles[1])
            self.settings.panel.set_titles(*titles)

    @property
    def titles(self) -> tuple[str, str]:
        """The names of the left and right runs (shown above their views)."""
        return self._titles or ("", "")

    # ----------------------------------------------------------------- frames

    def _on_snapshot(self, snapshot, stats: dict) -> None:
        self.snapshot = snapshot
        self.step_label.setText(f"Right: step {snapshot.step}")
        if len(self.history) and snapshot.step < self.history[-1].step:
            self.history.clear()  # a new right run
        self.history.append(snapshot)
        self._pending = snapshot
        if not self._frame_timer.isActive():
            self._frame_timer.start(int(1000 / self.client.frame_rate))  # as the window's

    def _update_frame(self) -> None:
        if self._pending is None or self.view is None:
            return
        snapshot, self._pending = self._pending, None
        if self.view.surface != self.window.data_view.surface:  # View > Show logit
            self.view.set_surface(self.window.data_view.surface)
        self.view.show_snapshot(snapshot)

    def _show_frame_of(self, index: int) -> None:
        """The timeline shows the left run's frame ``index``: show the right run at its step."""
        if self.active and len(self.history):
            step = self.window.history[index].step
            self.view.show_snapshot(self.history[self.history.index_of_step(step)])

    def _show_live(self) -> None:
        if self.active and self.snapshot is not None:
            self.view.show_snapshot(self.snapshot)

    # ----------------------------------------------------------------- export

    def frames(self) -> list:
        """Both runs' kept frames, paired by step (see :func:`align_by_step`)."""
        return align_by_step(self.window.history, self.history)

    def offer_layout(self, dialog) -> None:
        """An export dialog opened while comparing exports both runs side by side."""
        combo = dialog.panels_combo
        combo.clear()
        combo.addItem(COMPARE_LABEL, COMPARE_PANELS)
        combo.setToolTip("While comparing, the animation shows both runs, paired by step")

    def image_widget(self) -> QWidget:
        """What File > Export image saves while comparing: both data views."""
        return self.window.data_row

