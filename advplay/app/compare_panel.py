"""The part of the settings panel a comparison adds, and the names its two runs go by.

While View > Compare is on, a small box at the top of the settings panel chooses which run the
panel edits (the left one, the window's own, or the right one) and loads a config file for
the right run. :func:`config_title` names a run by its method, loss and penalties, plus what
differs from the other run, e.g. ``"gan · nonsaturating + R1 0.1"``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (QButtonGroup, QDockWidget, QGroupBox, QLabel, QPushButton,
                               QRadioButton, QStackedWidget, QVBoxLayout, QWidget)

from advplay.app.controls import ControlPanel, settings_scroll_area
from advplay.app.labels import fix_label_size

from advplay.core.config import Config, load_config
from advplay.core.errors import ConfigError

#: sides of a comparison: the window's own run, and the second run beside it
SIDES = ("left", "right")
#: keys :func:`config_title` always states when they matter; others only when they differ
_NAMED = {"model.name", "model.loss", "model.r1", "model.r2", "model.gp_weight", "model.pack",
          "model.ratio_loss", "model.updates", "model.regularizer"}
#: keys that do not change what a run learns, never worth a title
_QUIET = {"train.steps", "train.device", "train.metrics_every"}
#: differences shown in a title, at most
MAX_DIFFERENCES = 3
#: files the right run's config can come from
CONFIG_FILTER = "Configs and experiments (*.toml *.advplay);;All files (*)"


def config_title(config: Config, other: Config | None = None) -> str:
    """A short name for the run ``config`` trains, with what differs from ``other``."""
    model = config.model
    parts = [model.name]
    if model.name in ("gan", "cgan"):
        parts.append(model.loss)
    elif model.name == "ratio":
        parts.append(model.ratio_loss)
    elif model.name == "dirac":
        parts.append(model.updates if model.regularizer == "none"
                     else f"{model.updates} + {model.regularizer}")
    title = " · ".join(parts)
    if model.name in ("gan", "cgan"):
        title += _penalties(config)
    differences = _differences(config, other) if other is not None else []
    if differences:
        shown = differences[:MAX_DIFFERENCES]
        title += " · " + ", ".join(shown) + (" …" if len(differences) > len(shown) else "")
    return title


def _penalties(config: Config) -> str:
    model, text = config.model, ""
    for label, value in (("R1", model.r1), ("R2", model.r2)):
        if value > 0:
            text += f" + {label} {value:g}"
    if model.loss == "wasserstein":
        text += f" + GP {model.gp_weight:g}"
    if model.pack > 1:
        text += f" · pack {model.pack}"
    return text


def _differences(config: Config, other: Config) -> list[str]:
    """``"key value"`` for each model or train key whose value differs from ``other``'s."""
    mine, theirs = config.to_dict(), other.to_dict()
    found = []
    for section in ("model", "train"):
        for name, value in mine[section].items():
            key = f"{section}.{name}"
            if key in _NAMED or key in _QUIET or value == theirs[section].get(name):
                continue
            found.append(f"{name} {value:g}" if isinstance(value, float) else f"{name} {value}")
    return found


def read_run_config(path) -> Config:
    """The config of a TOML file or of an experiment file (``.advplay``); ConfigError if the
    file cannot be read or holds no usable config."""
    path = Path(path)
    if path.suffix.lower() == ".advplay":
        from advplay.core.experiment import load_experiment  # reads weights: only when asked

        try:
            return load_experiment(path).config
        except OSError as error:
            raise ConfigError("experiment", str(path), f"cannot be read ({error})") from None
    return load_config(path)


class CompareSidePanel(QGroupBox):
    """Which run the settings panel edits (``compareSidePanel``), and Load config for the right.

    Signals: ``side_changed(str)`` with ``"left"`` or ``"right"``; ``load_requested()``.
    """

    side_changed = Signal(str)
    load_requested = Signal()

    def __init__(self, parent=None):
        super().__init__("Compare: these settings edit", parent)
        self.setObjectName("compareSidePanel")
        self.setToolTip("While comparing, the settings below edit one run at a time; the "
                        "target is shared by both")
        layout = QVBoxLayout(self)
        self._buttons = QButtonGroup(self)
        self.radios = {}
        for side in SIDES:
            radio = QRadioButton(side.title())
            radio.setObjectName(f"compare{side.title()}Radio")
            radio.setToolTip(f"Edit the {side} run's settings")
            radio.toggled.connect(lambda on, s=side: on and self.side_changed.emit(s))
            self._buttons.addButton(radio)
            layout.addWidget(radio)
            self.radios[side] = radio
        self.radios["left"].setChecked(True)
        self.load_button = QPushButton("Load config for the right run…")
        self.load_button.setObjectName("compareLoadButton")
        self.load_button.setToolTip("Train the right run with the settings of a TOML config "
                                    "or an experiment file (.advplay); the target stays shared")
        self.load_button.clicked.connect(self.load_requested)
        layout.addWidget(self.load_button)

    @property
    def side(self) -> str:
        """The run the settings panel edits: ``"left"`` or ``"right"``."""
        return "right" if self.radios["right"].isChecked() else "left"

    def set_side(self, side: str) -> None:
        """Select ``side`` (emits ``side_changed`` if it changes)."""
        self.radios[side].setChecked(True)

    def set_titles(self, left: str, right: str) -> None:
        """Name each run in its button."""
        self.radios["left"].setText(f"Left: {left}")
        self.radios["right"].setText(f"Right: {right}")


class CompareSettings(QObject):
    """The settings dock while comparing: the Left / Right choice above two pages of settings,
    the window's own and (while comparing) the right run's, whose target editor is disabled.

    Signals: ``changed(key, value)`` from the right run's settings; ``load_requested()``.
    """

    changed = Signal(str, object)
    load_requested = Signal()

    def __init__(self, dock: QDockWidget, parent=None):
        super().__init__(parent)
        self.controls: ControlPanel | None = None  # the right run's settings, while comparing
        self.panel = CompareSidePanel()
        self.panel.hide()
        self.panel.side_changed.connect(self._on_side_changed)
        self.panel.load_requested.connect(self.load_requested)
        self.pages = QStackedWidget()
        self.pages.addWidget(dock.widget())  # the window's own settings
        container = QWidget()
        column = QVBoxLayout(container)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.panel)
        column.addWidget(self.pages, 1)
        dock.setWidget(container)

    def open(self, config: Config) -> None:
        """Show the choice, and the right run's settings (filled from ``config``), selected."""
        self.controls = ControlPanel()
        self.controls.setObjectName("compareControls")
        page = settings_scroll_area(self.controls)  # before set_config hides rows
        self.controls.set_config(config)
        self.controls.target_combo.setEnabled(False)
        self.controls.target_combo.setToolTip("Both runs train on the same target: change it "
                                              "in the left run's settings")
        self.controls.changed.connect(self.changed)
        self.pages.addWidget(page)
        self.panel.show()
        self.panel.set_side("right")

    def close(self) -> None:
        """Back to the window's own settings alone."""
        self.panel.set_side("left")
        self.panel.hide()
        page = self.pages.widget(1)
        self.pages.removeWidget(page)
        page.deleteLater()
        self.controls = None

    def set_config(self, config: Config) -> None:
        """Show the right run's ``config`` in its settings."""
        if self.controls is not None:
            self.controls.set_config(config)

    def _on_side_changed(self, side: str) -> None:
        self.pages.setCurrentIndex(1 if side == "right" and self.pages.count() > 1 else 0)


def make_step_label() -> QLabel:
    """The status bar's "Right: step N" (fixed size: a growing label re-lays out the window)."""
    label = QLabel()
    label.setObjectName("compareStepLabel")
    label.setToolTip("Training iterations of the right run (the two runs train at their own "
                     "speed)")
    fix_label_size(label, "Right: step 00000000")
    return label
