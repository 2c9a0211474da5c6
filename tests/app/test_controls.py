"""The settings panel shows each method's own options and nothing else."""

import functools
import json

import numpy as np
import pytest
from PySide6.QtWidgets import QComboBox, QGroupBox

from advplay.app.controls import METHOD_OPTIONS, ControlPanel, settings_scroll_area
from advplay.core.config import Config, config_from_dict
from advplay.core.errors import ConfigError
from advplay.core.models import MODELS
from advplay.core.session import Session


def visible_options(panel):
    return {key for key in METHOD_OPTIONS
            if panel._forms[key].isRowVisible(panel.editors[key])}


def test_method_options_follow_the_method(qtbot):
    panel = ControlPanel()
    qtbot.addWidget(panel)
    panel.set_config(Config())
    assert visible_options(panel) == {"model.pack"}
    panel.findChild(QComboBox, "modelCombo").setCurrentText("gan")
    for model, expected in (("ratio", {"model.ratio_loss", "model.reference"}),
                            ("dirac", {"model.updates", "model.regularizer", "model.noise_std"})):
        panel.show_options_for(model)
        assert visible_options(panel) == expected


def test_every_option_has_a_tooltip_naming_its_key(qtbot):
    panel = ControlPanel()
    qtbot.addWidget(panel)
    for key in METHOD_OPTIONS:
        assert key in panel.editors[key].toolTip()


def test_the_loss_shows_only_for_methods_that_play_a_gan_game(qtbot):
    panel = ControlPanel()
    qtbot.addWidget(panel)
    panel.set_config(Config())
    loss = panel.editors["model.loss"]
    shown = {model: (panel.show_options_for(model), panel._forms["model.loss"].isRowVisible(loss))[1]
             for model in ("gan", "cgan", "ali", "aae", "dirac", "ratio", "avb", "vae")}
    assert shown == {"gan": True, "cgan": True, "ali": True, "aae": True, "dirac": True,
                     "ratio": False, "avb": False, "vae": False}
    panel.show_options_for("vae")
    boxes = {box.title(): box.isVisibleTo(panel) for box in panel.findChildren(QGroupBox)}
    assert boxes == {"Target": True, "Model": True, "Architecture": False, "Penalties": False,
                     "Method options": False, "Training": True}  # no empty group


def test_architecture_and_schedules_show_for_the_gan_family_only(qtbot):
    panel = ControlPanel()
    qtbot.addWidget(panel)
    panel.set_config(Config())
    keys = ("model.generator_norm", "model.discriminator", "model.latent_codes", "train.ema",
            "train.lr_schedule", "train.steps")

    def shown(model):
        panel.show_options_for(model)
        return {key: panel._forms[key].isRowVisible(panel.editors[key]) for key in keys}

    assert all(shown("gan").values())
    assert not any(shown("ratio").values())
    assert shown("ali")["model.discriminator"] and not shown("ali")["train.ema"]
    assert panel.findChild(QComboBox, "lrScheduleCombo").count() == 3


def test_the_settings_scroll_up_and_down_only_and_every_method_fits(qtbot):
    panel = ControlPanel()
    area = settings_scroll_area(panel)
    qtbot.addWidget(area)
    area.resize(area.minimumWidth(), 300)  # as narrow as the dock allows, short enough to scroll
    area.show()
    qtbot.waitExposed(area)
    for model in ("gan", "cgan", "ali", "aae", "dirac", "ratio", "avb", "vae"):
        panel.set_config(Config())
        panel.show_options_for(model)
        qtbot.wait(1)  # the area lays itself out again
        assert area.verticalScrollBar().isVisible()
        assert not area.horizontalScrollBar().isVisible()
        assert panel.width() >= panel.minimumSizeHint().width(), model


#: settings whose rows follow the method, and a value other than the default for each
CHANGED = {"model.latent_dim": 3, "model.latent_prior": "uniform", "train.lr_g": 3e-3,
           "train.g_steps": 2, "train.lr_d": 3e-3, "train.d_steps": 2, "model.r1": 1.0,
           "model.r2": 1.0, "model.gp_weight": 1.0, "model.width": 32, "model.depth": 2,
           "model.activation": "tanh", "train.optimizer": "sgd", "train.beta1": 0.9,
           "train.beta2": 0.9, "train.batch_size": 64}


def trained(model: str, changes: dict):
    """Generated points and surface after 3 steps of a small ``model`` (a setting that needs
    another to act, such as the gradient penalty's weight, gets it)."""
    base = {"model.name": model, "model.width": 16, "model.depth": 1}
    if model == "ratio":
        base["target.name"] = "gaussian"  # KL(p || q) in closed form: a quick session
    if "model.gp_weight" in changes:
        base.update({"model.regularizer": "gp"} if model == "dirac" else
                    {"model.loss": "wasserstein"})
    if "model.r1" in changes and model == "dirac":
        base["model.regularizer"] = "r1"
    try:
        config = Config().replace({**base, **changes})
    except ConfigError:
        return "refused"  # the method checks the value: it reads it
    return _trained(json.dumps(config.to_dict(), sort_keys=True))


@functools.lru_cache(maxsize=None)
def _trained(config_json: str):
    """(A setting at its default gives the base config again: trained once.)"""
    try:
        session = Session(config_from_dict(json.loads(config_json)))
    except ConfigError:
        return "refused"
    session.step(3)
    snapshot = session.snapshot()
    return np.concatenate([snapshot.fake.ravel(), snapshot.discriminator_output.ravel()])


@pytest.mark.parametrize("model", sorted(MODELS))
def test_a_setting_shows_for_a_method_exactly_when_it_changes_the_training(qtbot, model):
    panel = ControlPanel()
    qtbot.addWidget(panel)
    panel.show_options_for(model)
    for key, value in CHANGED.items():
        default = Config().value(key) if key != "model.gp_weight" else 10.0
        before, after = trained(model, {key: default}), trained(model, {key: value})
        reads = isinstance(after, str) or not np.allclose(before, after, equal_nan=True)
        assert panel._forms[key].isRowVisible(panel.editors[key]) == reads, (model, key)
