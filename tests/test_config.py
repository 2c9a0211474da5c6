"""Config files: defaults, round trips, and messages that name the key, value and what is allowed."""

import pytest

from advplay.core.config import Config, config_from_dict, dump_config, load_config
from advplay.core.errors import ConfigError


def write(tmp_path, text, name="c.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_target_name_alone_is_a_valid_file(tmp_path):
    config = load_config(write(tmp_path, '[target]\nname = "grid25"\n'))
    assert config.target.name == "grid25"
    assert config.model == Config().model and config.train == Config().train


def test_resolved_config_round_trips_through_toml(tmp_path):
    config = Config().replace({"target.std": 0.05, "model.loss": "hinge", "train.lr_g": 2e-4})
    text = dump_config(config.resolved())
    loaded = load_config(write(tmp_path, text))
    assert loaded.to_dict() == config.resolved().to_dict()
    assert loaded.target.params == {"radius": 1.0, "std": 0.05, "n_modes": 8}


@pytest.mark.parametrize("data, key, words", [
    ({"train": {"lr_d": -1.0}}, "train.lr_d", "from 0.0 to 10.0"),
    ({"train": {"lr_d": "fast"}}, "train.lr_d", "must be a number"),
    ({"train": {"batch_size": 2.5}}, "train.batch_size", "whole number"),
    ({"train": {"steps": True}}, "train.steps", "whole number"),
    ({"train": {"optimizer": "adamw"}}, "train.optimizer", "adam, sgd, rmsprop"),
    ({"train": {"device": "tpu"}}, "train.device", "cpu, cuda, mps, auto"),
    ({"train": {"speed": 3}}, "train.speed", "allowed: steps"),
    ({"model": {"loss": "fancy"}}, "model.loss", "nonsaturating"),
    ({"model": {"name": "transformer"}}, "model.name", "gan"),
    ({"model": {"activation": "sin"}}, "model.activation", "leaky_relu"),
    ({"model": {"width": 0}}, "model.width", "from 1 to 4096"),
    ({"target": {"name": "ring9"}}, "target.name", "ring8"),
    ({"target": {"name": "ring8", "sigma": 0.1}}, "target.sigma", "radius, std, n_modes"),
    ({"target": {"name": "ring8", "std": -0.1}}, "target.std", "> 0"),
    ({"targets": {}}, "targets", "target, model, train"),
])
def test_bad_values_name_the_key_the_value_and_what_is_allowed(data, key, words):
    with pytest.raises(ConfigError) as caught:
        config_from_dict(data)
    assert caught.value.key == key
    assert words in str(caught.value)
    assert str(caught.value).startswith(f"{key} = ")


def test_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="cannot be read"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[train\nlr = "))
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="cannot be read"):
        load_config(binary)


def test_replace_rejects_malformed_keys():
    with pytest.raises(ConfigError, match="must be a key like"):
        Config().replace({"lr_d": 1e-3})
