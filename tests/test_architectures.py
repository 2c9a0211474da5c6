"""The PacGAN/ALI architecture options: batch-normalised generators and maxout discriminators."""

import numpy as np
import pytest
import torch
from torch import nn

from advplay.core.config import Config, config_from_dict, load_config
from advplay.core.errors import ConfigError
from advplay.core.experiment import load_experiment, save_experiment
from advplay.core.nets import (Maxout, all_finite, discriminator_network, generator_network,
                               maxout_mlp)
from advplay.core.session import Session
from advplay.bench.modes import PRESETS

PACGAN_LIKE = {"model.width": 24, "model.depth": 2, "model.generator_norm": "batch",
               "model.discriminator": "maxout", "model.discriminator_width": 16,
               "model.discriminator_depth": 3, "model.maxout_pieces": 3,
               "train.batch_size": 32, "train.metrics_every": 10}


def small(**changes) -> Session:
    return Session(Config().replace({**PACGAN_LIKE, **changes}))


@pytest.mark.parametrize("key, value", [
    ("generator_norm", "layer"), ("discriminator", "cnn"), ("maxout_pieces", 1),
    ("maxout_pieces", 2.5), ("discriminator_width", -3), ("discriminator_depth", -2),
])
def test_bad_architecture_values_are_refused_naming_the_key(key, value):
    with pytest.raises(ConfigError, match=f"model.{key}"):
        config_from_dict({"model": {key: value}})


def test_defaults_build_the_networks_of_before():
    model = Config().model
    generator, discriminator = generator_network(model, 2), discriminator_network(model, 2)
    assert [type(layer) for layer in generator] == [nn.Linear, nn.ReLU] * 3 + [nn.Linear]
    assert [type(layer) for layer in discriminator] == [nn.Linear, nn.ReLU] * 3 + [nn.Linear]
    assert discriminator[0].out_features == 128


def test_pacgan_options_build_batch_norm_and_maxout_layers():
    model = Config().replace(PACGAN_LIKE).model
    generator = generator_network(model, 2)
    hidden = [nn.Linear, nn.BatchNorm1d, nn.ReLU]
    assert [type(layer) for layer in generator] == hidden * 2 + [nn.Linear]
    assert generator[0].bias is None  # batch norm's shift replaces it
    discriminator = discriminator_network(model, 4)
    assert [type(layer) for layer in discriminator] == [Maxout] * 3 + [nn.Linear]
    assert discriminator[0].linear.in_features == 4
    assert discriminator[0].linear.out_features == 16 * 3 and discriminator[-1].in_features == 16


def test_maxout_takes_the_largest_of_its_pieces():
    layer = maxout_mlp(1, 1, width=2, depth=1, pieces=3)[0]
    with torch.no_grad():
        layer.linear.weight.copy_(torch.tensor([[1.0], [-1.0], [0.0], [2.0], [0.5], [-2.0]]))
        layer.linear.bias.zero_()
    x = torch.tensor([[1.0], [-1.0]])
    # unit 0: max(x, -x, 0); unit 1: max(2x, x/2, -2x)
    expected = torch.tensor([[1.0, 2.0], [1.0, 2.0]])
    torch.testing.assert_close(layer(x), expected)


@pytest.mark.parametrize("name", ["gan", "cgan", "ali"])
def test_the_gan_family_trains_these_networks_deterministically(name):
    first, second = small(**{"model.name": name}), small(**{"model.name": name})
    first.step(12)
    second.step(12)
    assert any(isinstance(layer, Maxout) for layer in first.model.discriminator)
    assert any(isinstance(layer, nn.BatchNorm1d) for layer in first.model.generator)
    a, b = first.snapshot(), second.snapshot()
    np.testing.assert_array_equal(a.fake, b.fake)
    np.testing.assert_array_equal(a.history_losses, b.history_losses)
    assert np.isfinite(a.history_losses).all()


def test_batch_norm_generator_rests_in_evaluation_mode_and_views_do_not_move_its_statistics():
    session = small()
    session.step(5)
    batch_norm = session.model.generator[1]
    assert not session.model.generator.training
    before = batch_norm.running_mean.clone()
    assert int(batch_norm.num_batches_tracked) == 10  # one D and one G update per step
    session.snapshot()
    session.samples(100)
    torch.testing.assert_close(batch_norm.running_mean, before, rtol=0, atol=0)
    # a sample does not depend on the others in its batch: running statistics are used
    z = session.model.sample_latent(8)
    torch.testing.assert_close(session.model.generate(z)[:3], session.model.generate(z[:3]))


def test_frames_see_the_running_statistics_of_the_trained_generator():
    session = small()
    session.step(5)
    fake = session.snapshot().fake
    z = session._view.latent
    np.testing.assert_allclose(fake, session.model.generate(z).numpy(), rtol=1e-6, atol=1e-6)


def test_experiments_restore_batch_norm_statistics_and_continue_exactly(tmp_path):
    straight = small()
    straight.step(20)
    first = small()
    first.step(8)
    save_experiment(tmp_path / "bn.advplay", first)
    continued = load_experiment(tmp_path / "bn.advplay").session()
    continued.step(12)
    np.testing.assert_array_equal(straight.snapshot().fake, continued.snapshot().fake)
    torch.testing.assert_close(straight.model.generator[1].running_var,
                               continued.model.generator[1].running_var, rtol=0, atol=0)


@pytest.mark.parametrize("path", sorted(PRESETS.glob("*-*.toml")), ids=lambda p: p.stem)
def test_shipped_presets_load_and_train_a_step(path):
    config = load_config(path)
    assert config.target.name in ("ring8", "grid25")
    Session(config.replace({"train.metrics_every": 1000})).step(1)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_all_finite_finds_any_nan_or_infinity(bad):
    weights = [torch.ones(3, 4), torch.zeros(5)]
    assert all_finite(weights) and all_finite([])
    weights[1][2] = bad
    assert not all_finite(weights)
    assert not all_finite([torch.tensor([float("inf"), -float("inf")])])  # they do not cancel


def test_all_finite_does_not_overflow_on_huge_finite_weights():
    assert all_finite([torch.full((1000,), 3e38), torch.full((10,), -3e38)])
