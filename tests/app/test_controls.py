"""The settings panel shows each method's own options and nothing else."""

from PySide6.QtWidgets import QComboBox, QGroupBox

from advplay.app.controls import METHOD_OPTIONS, ControlPanel, settings_scroll_area
from advplay.core.config import Config


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
    assert boxes == {"Target": True, "Model": True, "Architecture": False, "Penalties": True,
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
