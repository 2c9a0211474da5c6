"""MGAN-style latent codes: the prior cut into K equal-probability slabs, one-hot given to G."""

import numpy as np
import pytest
import torch

from advplay.core.config import Config
from advplay.core.errors import ConfigError
from advplay.core.experiment import load_experiment, save_experiment
from advplay.core.session import Session

SMALL = {"model.width": 32, "model.depth": 2, "train.batch_size": 64, "train.metrics_every": 10}


def small_session(**changes) -> Session:
    return Session(Config().replace({**SMALL, **changes}))


@pytest.mark.parametrize("prior", ["normal", "uniform"])
def test_slabs_have_equal_probability_and_follow_z1(prior):
    model = small_session(**{"model.latent_codes": 5, "model.latent_prior": prior}).model
    z = model.sample_latent(50_000, torch.Generator().manual_seed(1))
    coded = model._with_code(z)
    assert coded.shape == (50_000, 2 + 5)
    torch.testing.assert_close(coded[:, :2], z)
    assert torch.all(coded[:, 2:].sum(dim=1) == 1)
    slab = coded[:, 2:].argmax(dim=1)
    np.testing.assert_allclose(np.bincount(slab.numpy(), minlength=5) / 50_000, 0.2, atol=0.01)
    order = torch.argsort(z[:, 0])
    assert torch.all(torch.diff(slab[order]) >= 0)  # slabs are intervals of z_1, in order


def test_generator_takes_the_code_and_off_is_the_old_network():
    coded = small_session(**{"model.latent_codes": 8}).model
    assert coded.generator[0].in_features == 2 + 8
    plain = small_session().model
    assert plain.generator[0].in_features == 2
    z = torch.randn(10, 2)
    torch.testing.assert_close(plain._with_code(z), z)


def test_coded_runs_train_view_and_round_trip(tmp_path):
    session = small_session(**{"model.latent_codes": 4, "train.ema": 0.9})
    session.step(20)
    save_experiment(tmp_path / "coded.advplay", session)
    restored = load_experiment(tmp_path / "coded.advplay").session()
    np.testing.assert_array_equal(restored.snapshot().fake, session.snapshot().fake)
    np.testing.assert_array_equal(restored.snapshot().manifold, session.snapshot().manifold)


def test_a_conditional_gan_takes_codes_too():
    session = small_session(**{"model.name": "cgan", "model.latent_codes": 3})
    session.step(5)
    assert np.isfinite(session.snapshot().fake).all()


def test_out_of_range_is_refused():
    with pytest.raises(ConfigError, match="latent_codes"):
        Config().replace({"model.latent_codes": -1})
