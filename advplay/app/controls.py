"""The settings panel: one widget per config key, built from the config's own field specs."""

from __future__ import annotations

from dataclasses import fields

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractSpinBox, QComboBox, QDoubleSpinBox, QFormLayout,
                               QGroupBox, QScrollArea, QSpinBox, QStyle, QVBoxLayout, QWidget)

from advplay.core.config import Config, ModelConfig, TrainConfig, allowed_choices, field_help
from advplay.core.device import available_devices
from advplay.core.losses import LOSSES
from advplay.core.models import MODELS
from advplay.core.registry import Registry
from advplay.core.targets import TARGETS, preset_names

#: keys shown in the panel, in order, grouped (train.steps: where a learning-rate schedule ends)
GROUPS = {
    "Model": ["model.name", "model.loss", "model.width", "model.depth", "model.activation",
              "model.latent_dim", "model.latent_prior", "model.latent_codes"],
    "Architecture": ["model.generator_norm", "model.discriminator", "model.maxout_pieces",
                     "model.discriminator_width", "model.discriminator_depth"],
    "Penalties": ["model.r1", "model.r2", "model.gp_weight"],
    "Method options": ["model.pack", "model.ratio_loss", "model.reference", "model.updates",
                       "model.regularizer", "model.noise_std"],
    "Training": ["train.lr_d", "train.lr_g", "train.optimizer", "train.beta1", "train.beta2",
                 "train.batch_size", "train.d_steps", "train.g_steps", "train.ema",
                 "train.lr_schedule", "train.lr_decay_start", "train.lr_final", "train.steps",
                 "train.seed", "train.device",
                 "train.metrics_every"],
}
LABELS = {"lr_d": "D learning rate", "lr_g": "G learning rate", "d_steps": "D steps",
          "g_steps": "G steps", "r1": "R1 γ", "r2": "R2 γ", "gp_weight": "GP weight",
          "latent_dim": "Latent dim", "latent_prior": "Latent prior", "name": "Method",
          "beta1": "β1 / momentum", "beta2": "β2 / α", "metrics_every": "Metrics every",
          "latent_codes": "Latent codes", "generator_norm": "G normalisation",
          "discriminator": "D layers", "maxout_pieces": "Maxout pieces",
          "discriminator_width": "D width (0 = width)", "discriminator_depth": "D depth (-1 = depth)",
          "ema": "G moving average", "lr_schedule": "LR schedule", "steps": "Schedule steps",
          "lr_decay_start": "Decay from (fraction)", "lr_final": "Final LR factor"}
GAN_FAMILY = ("gan", "cgan")


def _all_but(*models: str) -> tuple[str, ...]:
    return tuple(name for name in MODELS if name not in models)


#: settings only some methods read, shown only for those; a group with none shown hides.
#: Dirac-GAN has no networks, batches or optimiser (plain gradient steps on two numbers), the
#: ratio estimator no generator, the VAE no adversary, AVB's adversary T no penalty.
USED_BY = {
    "model.loss": ("gan", "cgan", "ali", "aae", "dirac"),
    **dict.fromkeys(("model.width", "model.depth", "model.activation", "train.optimizer",
                     "train.beta1", "train.beta2", "train.batch_size"), _all_but("dirac")),
    **dict.fromkeys(("model.latent_dim", "model.latent_prior"), _all_but("dirac", "ratio")),
    **dict.fromkeys(("train.lr_g", "train.g_steps"), _all_but("ratio")),
    **dict.fromkeys(("train.lr_d", "train.d_steps"), _all_but("vae")),
    **dict.fromkeys(("model.r1", "model.gp_weight"), ("gan", "cgan", "ali", "aae", "dirac")),
    "model.r2": ("gan", "cgan", "ali", "aae"),
    "model.latent_codes": GAN_FAMILY,
    **dict.fromkeys(GROUPS["Architecture"], ("gan", "cgan", "ali")),
    "model.pack": GAN_FAMILY,
    "model.ratio_loss": ("ratio",), "model.reference": ("ratio",),
    "model.updates": ("dirac",), "model.regularizer": ("dirac",), "model.noise_std": ("dirac",),
    **dict.fromkeys(("train.ema", "train.lr_schedule", "train.lr_decay_start", "train.lr_final",
                     "train.steps"), GAN_FAMILY),
}
#: the method options among them
METHOD_OPTIONS = {key: USED_BY[key] for key in GROUPS["Method options"]}
#: fixed object names the tests and automation rely on (ARCHITECTURE.md)
OBJECT_NAMES = {"model.name": "modelCombo", "model.loss": "lossCombo", "train.device": "deviceCombo"}


def object_name(key: str, widget: QWidget) -> str:
    if key in OBJECT_NAMES:
        return OBJECT_NAMES[key]
    words = key.split(".")[1].split("_")
    kind = "Combo" if isinstance(widget, QComboBox) else "Spin"
    return words[0] + "".join(w.capitalize() for w in words[1:]) + kind


def registry_combo(registry: Registry, names: list[str] | None = None) -> QComboBox:
    """A combo box of registry names, each with its description as tooltip."""
    combo = QComboBox()
    for name in names or registry.names():
        combo.addItem(name)
        if name in registry:
            combo.setItemData(combo.count() - 1, registry.entry(name).description, 3)  # ToolTipRole
    return combo


def _field_widget(section: str, spec) -> QWidget:
    meta = spec.metadata
    if meta.get("choices") is not None:
        if spec.name == "device":
            return registry_combo(Registry("device"), available_devices() + ["auto"])
        registry = {"losses": LOSSES, "models": MODELS}.get(meta["choices"])
        if registry is not None:
            return registry_combo(registry)
        combo = QComboBox()
        combo.addItems(allowed_choices(meta["choices"]))
        return combo
    if spec.type in ("int", int):
        box = QSpinBox()
        box.setRange(int(meta["low"]), int(min(meta["high"], 2**31 - 1)))
        return box
    box = QDoubleSpinBox()
    box.setDecimals(6)
    box.setRange(float(meta["low"]), float(meta["high"]))
    box.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
    return box


class ControlPanel(QWidget):
    """Editors for the target and every model/train key; emits ``changed(key, value)``.

    ``set_config`` fills the editors without emitting; a user edit emits one signal.
    """

    changed = Signal(str, object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.editors: dict[str, QWidget] = {}
        layout = QVBoxLayout(self)
        target_box = QGroupBox("Target")
        target_form = QFormLayout(target_box)
        self.target_combo = registry_combo(TARGETS, preset_names() + ["drawn"])
        self.target_combo.setObjectName("targetCombo")
        self.target_combo.setToolTip("The 2D distribution to learn (presets; hover for details)")
        self.target_combo.currentTextChanged.connect(lambda name: self._emit("target.name", name))
        target_form.addRow("Distribution", self.target_combo)
        self.editors["target.name"] = self.target_combo
        layout.addWidget(target_box)
        specs = {f"model.{f.name}": ("model", f) for f in fields(ModelConfig)}
        specs.update({f"train.{f.name}": ("train", f) for f in fields(TrainConfig)})
        self._forms: dict[str, QFormLayout] = {}
        for title, keys in GROUPS.items():
            box = QGroupBox(title)
            form = QFormLayout(box)
            for key in keys:
                form.addRow(self._label(key), self._make_editor(key, *specs[key]))
                self._forms[key] = form
            layout.addWidget(box)
        layout.addStretch(1)

    def _label(self, key: str) -> str:
        name = key.split(".")[1]
        return LABELS.get(name, name.replace("_", " ").capitalize())

    def _make_editor(self, key: str, section: str, spec) -> QWidget:
        widget = _field_widget(section, spec)
        widget.setObjectName(object_name(key, widget))
        widget.setToolTip(f"{field_help(section, spec.name)}  [{key}]")
        if isinstance(widget, QComboBox):
            widget.currentTextChanged.connect(lambda value, k=key: self._emit(k, value))
            if key == "model.name":
                widget.currentTextChanged.connect(self.show_options_for)
        else:
            widget.setKeyboardTracking(False)  # emit on Enter / focus loss, not per keystroke
            widget.valueChanged.connect(lambda value, k=key: self._emit(k, value))
        self.editors[key] = widget
        return widget

    def _emit(self, key: str, value) -> None:
        if not self.signalsBlocked():
            self.changed.emit(key, value)

    def set_value(self, key: str, value) -> None:
        widget = self.editors[key]
        blocked = self.blockSignals(True)
        try:
            if isinstance(widget, QComboBox):
                widget.setCurrentText(str(value))
            else:
                widget.setValue(value)
        finally:
            self.blockSignals(blocked)

    def set_config(self, config: Config) -> None:
        data = config.to_dict()
        for key in self.editors:
            section, name = key.split(".")
            self.set_value(key, data[section][name])
        self.show_options_for(config.model.name)

    def show_options_for(self, model: str) -> None:
        """Show the settings ``model`` reads, hide the rest (and a group left empty)."""
        for key, models in USED_BY.items():
            self._forms[key].setRowVisible(self.editors[key], model in models)
        for keys in GROUPS.values():
            form = self._forms[keys[0]]
            shown = any(form.isRowVisible(self.editors[key]) for key in keys)
            form.parentWidget().setVisible(shown)


def settings_scroll_area(panel: ControlPanel) -> QScrollArea:
    """``panel`` in a scroll area that scrolls up and down only, at least as wide as the panel's
    widest rows and the vertical scroll bar beside them.

    A plain scroll area took the scroll bar's width from the panel: the group boxes lost their
    right edge under the bar and a horizontal scroll bar appeared. Built before any row is
    hidden (``set_config`` hides what a method does not read), the panel's width hint covers
    the rows of every method.
    """
    area = QScrollArea()
    area.setWidget(panel)
    area.setWidgetResizable(True)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    bar = area.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, area)
    area.setMinimumWidth(panel.minimumSizeHint().width() + bar + 2 * area.frameWidth())
    return area
