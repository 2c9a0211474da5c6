"""The main window's menu bar: File, Edit, Training (with the Benchmarks panel), View, Help.

Actions owned by other parts (files, exports, draw mode, transport) are gathered here; the
View menu's layer toggles act on the data view directly, and its choices are kept between
launches (``advplay.app.view_preferences``).
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox

from advplay.app.actions import make_action
from advplay.app.benchmarks_panel import BenchmarksPanel
from advplay.app.shortcuts import ShortcutsDialog, about_text
from advplay.app.surface_names import surface_names
from advplay.app.view_preferences import ViewPreferences
from advplay.worker.process import DEFAULT_FRAME_RATE

#: data view layers in the View menu: (layer, label, shortcut, shown at start)
LAYER_TOGGLES = (("contours", "&Contours", "C", True),
                 ("density", "Target &density", "T", True),
                 ("real", "&Real samples", "Shift+R", True),
                 ("fake", "&Generated samples", "G", True),
                 ("gradients", "Generator &gradients", "A", False),
                 ("manifold", "Generator &manifold", "M", False))
#: View > Frame rate: the choices of frames a second while training
FRAME_RATES = (5, 10, 15, 30)


class WindowMenus(QObject):
    """Builds ``window``'s menu bar; ``class_menu`` lists a conditional model's classes."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.preferences = ViewPreferences(window.files.settings)
        bar = window.menuBar()
        self._file_menu(bar.addMenu("&File"))
        edit = bar.addMenu("&Edit")
        for action in (window.draw_mode.action_draw, window.draw_mode.action_undo,
                       window.draw_mode.action_redo):
            edit.addAction(action)
        training = bar.addMenu("&Training")
        for action in window.transport.actions_for_menu():
            training.addAction(action)
        training.addSeparator()
        self.benchmarks = None
        self.benchmarks_action = self._action(training, "Mode-collapse &benchmarks…", "Ctrl+B",
                                              self.show_benchmarks)
        self.benchmarks_action.setObjectName("actionBenchmarks")
        self.benchmarks_action.setToolTip("This run's modes captured, high-quality samples and "
                                          "reverse KL beside the PacGAN and VEEGAN tables")
        self._view_menu(bar.addMenu("&View"))
        help_menu = bar.addMenu("&Help")
        self.shortcuts_action = self._action(help_menu, "&Keyboard shortcuts",
                                             QKeySequence.StandardKey.HelpContents,
                                             lambda: ShortcutsDialog(window).exec())
        self._action(help_menu, "&About advplay", "",
                     lambda: QMessageBox.about(window, "About advplay", about_text()))

    def _file_menu(self, menu: QMenu) -> None:
        window = self.window
        window.files.add_to_menu(menu)
        menu.addSeparator()
        window.exports.add_to_menu(menu)
        menu.addSeparator()
        for action in window.draw_mode.file_actions():
            menu.addAction(action)
            window.addAction(action)
        menu.addSeparator()
        self._action(menu, "&Quit", QKeySequence.StandardKey.Quit, window.close)

    def _view_menu(self, view: QMenu) -> None:
        window = self.window
        self.logit_action = self._toggle(view, "Show discriminator &logit", "L", "logit", False,
                                         window._on_surface_toggled)
        self.layer_actions = {
            name: self._toggle(view, label, key, f"layer_{name}", on,
                               lambda shown, n=name: window.data_view.set_layer_visible(n, shown))
            for name, label, key, on in LAYER_TOGGLES}
        self.class_menu = view.addMenu("Show &class")
        self.class_menu.setToolTip("Conditional models: show the samples of one class only")
        self.class_menu.setEnabled(False)
        view.addSeparator()
        self.log_action = self._toggle(view, "&Log-scale losses", "Ctrl+L", "log_losses", False,
                                       window.curves_view.set_log_scale)
        self.frame_rate_menu = self._frame_rate_menu(view.addMenu("&Frame rate"))
        view.addSeparator()
        view.addAction(window.compare.action)
        window.addAction(window.compare.action)

    def _toggle(self, menu, text, shortcut, preference: str, default: bool, apply) -> QAction:
        """A checkable View entry that starts as it was last left (``default`` the first
        time), applies its state now and on every change, and remembers it."""
        action = self._action(menu, text, shortcut, None, checkable=True)
        on = self.preferences.flag(preference, default)
        action.setChecked(on)
        apply(on)
        action.toggled.connect(apply)
        action.toggled.connect(lambda checked: self.preferences.set_flag(preference, checked))
        return action

    def _frame_rate_menu(self, menu: QMenu) -> QMenu:
        """One checkable entry per frame rate; the rate last chosen is checked and used."""
        menu.setObjectName("frameRateMenu")
        menu.setToolTipsVisible(True)
        menu.setToolTip("How often the picture is redrawn while training: each frame takes "
                        "the training process a little time, so fewer frames train faster")
        chosen = self.preferences.frame_rate(FRAME_RATES, DEFAULT_FRAME_RATE)
        group = QActionGroup(menu)
        for rate in FRAME_RATES:
            default = rate == DEFAULT_FRAME_RATE
            action = menu.addAction(f"{rate} frames/s" + (" (default)" if default else ""))
            action.setObjectName(f"actionFrameRate{rate}")
            action.setCheckable(True)
            action.setChecked(rate == chosen)
            action.setToolTip(f"Redraw up to {rate} times a second while training")
            group.addAction(action)
            action.triggered.connect(lambda _=False, r=rate: self._choose_frame_rate(r))
        if chosen != DEFAULT_FRAME_RATE:
            self.window.set_frame_rate(chosen)
        return menu

    def _choose_frame_rate(self, rate: float) -> None:
        self.window.set_frame_rate(rate)
        self.preferences.set_frame_rate(rate)

    def show_benchmarks(self) -> None:
        """Open (or raise) the Benchmarks panel; it follows the run while it is open."""
        window = self.window
        if self.benchmarks is None:
            self.benchmarks = BenchmarksPanel(window)
            window.snapshot_shown.connect(self._refresh_benchmarks)
        self.benchmarks.show_snapshot(window.snapshot, window.config.target.name)
        self.benchmarks.show()
        self.benchmarks.raise_()

    def _refresh_benchmarks(self, snapshot) -> None:
        if self.benchmarks.isVisible():
            self.benchmarks.show_snapshot(snapshot, self.window.config.target.name)

    def _action(self, menu, text, shortcut, slot, checkable=False) -> QAction:
        action = make_action(self.window, text, shortcut, checkable=checkable)
        if slot is not None:
            action.triggered.connect(slot)
        menu.addAction(action)
        self.window.addAction(action)
        return action

    def follow_method(self, model: str) -> None:
        """A new method is shown: grey out the layers it does not draw (the ratio estimator's
        arrows and latent grid, say), and the class menu until its classes are known."""
        names = surface_names(model)
        self.layer_actions["gradients"].setEnabled(names.arrows is not None)
        self.layer_actions["manifold"].setEnabled(names.manifold is not None)
        self.class_menu.setEnabled(False)

    def fill_class_menu(self, classes: int) -> None:
        """One checkable entry per class and "All classes" (conditional models)."""
        self.class_menu.clear()
        group = QActionGroup(self.class_menu)
        for label in [None, *range(classes)]:
            text = "&All classes" if label is None else f"Class &{label + 1}"
            action = self.class_menu.addAction(text)
            action.setCheckable(True)
            action.setChecked(label is None)
            group.addAction(action)
            action.triggered.connect(
                lambda _=False, k=label: self.window.data_view.set_visible_class(k))
        self.class_menu.setEnabled(True)
