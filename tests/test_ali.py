"""ALI / BiGAN: the pair game, the encoder's mirrored loss, frames, and a known answer."""

import math

import numpy as np
import pytest
import torch

from advplay.core.config import Config
from advplay.core.losses import LOSSES
from advplay.core.models.ali import mirror_level
from advplay.core.models.encoding import POSTERIOR_INPUTS, POSTERIOR_SAMPLES
from advplay.core.session import Session
from advplay.core.views import ARROW_SAMPLES

#: four Gaussians of std 0.05 on the unit circle: the small mixture of the known answers
FOUR = {"target.name": "ring8", "target.n_modes": 4, "target.std": 0.05}
SMALL = {"model.width": 64, "model.depth": 2, "train.batch_size": 128}


def ali_config(**changes) -> Config:
    return Config().replace({**FOUR, **SMALL, "model.name": "ali", **changes})


def tensor(array: np.ndarray) -> torch.Tensor:
    """A writable float32 copy of a read-only snapshot array."""
    return torch.from_numpy(np.array(array, dtype=np.float32))


@pytest.fixture(scope="module")
def trained():
    """A short ALI run and its snapshot (enough for the frame checks, not for quality)."""
    session = Session(ali_config(**{"train.metrics_every": 10}), surface_resolution=24)
    session.step(30)
    return session, session.snapshot()


@pytest.mark.parametrize("name", LOSSES.names())
def test_every_loss_is_symmetric_under_the_mirror_that_swaps_real_and_fake(name):
    # The premise of the encoder's loss: D's loss is unchanged when the real and fake logits
    # are swapped and reflected about the undecided level, so the generator's loss on the
    # reflected encoder logits is the generator's loss for the swapped roles.
    loss = LOSSES[name]
    level = mirror_level(loss)
    real, fake = torch.randn(64) * 3 + 1, torch.randn(64) * 3 - 1
    swapped = loss.discriminator(2 * level - fake, 2 * level - real)
    torch.testing.assert_close(loss.discriminator(real, fake), swapped)


@pytest.mark.parametrize("name, expected", [
    # minimax: the lecture's V = E log D(x, E(x)) + E log(1 - D(G(z), z)), minimised by G, E
    ("minimax", lambda d_real, d_fake: d_real.log().mean() + (1 - d_fake).log().mean()),
    # non-saturating: BiGAN's inverted labels, -E log(1 - D(x, E(x))) - E log D(G(z), z)
    ("nonsaturating", lambda d_real, d_fake: -(1 - d_real).log().mean() - d_fake.log().mean()),
    # least squares: encoder pairs pushed to D = 0, generator pairs to D = 1
    ("least_squares", lambda d_real, d_fake: 0.5 * (d_real.square().mean()
                                                    + (d_fake - 1).square().mean())),
])
def test_generator_and_encoder_objective_is_the_papers(name, expected):
    model = Session(ali_config(**{"model.loss": name, "model.width": 8})).model
    encoded, generated = torch.randn(32), torch.randn(32)
    if LOSSES[name].probability:
        d_real, d_fake = torch.sigmoid(encoded), torch.sigmoid(generated)
    else:
        d_real, d_fake = encoded, generated
    torch.testing.assert_close(model.generator_objective(encoded, generated),
                               expected(d_real, d_fake))


def test_frame_holds_the_pair_surface_fakes_and_latent_extras(trained):
    session, snapshot = trained
    assert snapshot.model == "ali" and set(snapshot.losses) == {"d", "g"}
    assert snapshot.discriminator_output.shape == (24, 24)
    assert ((snapshot.discriminator_output >= 0) & (snapshot.discriminator_output <= 1)).all()
    assert snapshot.fake.shape == (1000, 2) and snapshot.fake_gradients.shape == (ARROW_SAMPLES, 2)
    assert np.isfinite(snapshot.fake_gradients).all() and np.abs(snapshot.fake_gradients).sum() > 0
    assert snapshot.manifold.shape == (22, 48, 2)
    extras = snapshot.extras
    for name in ("latent_real", "latent_prior", "reconstructions"):
        assert extras[name].shape == (1000, 2) and np.isfinite(extras[name]).all(), name
    np.testing.assert_array_equal(extras["latent_labels"], snapshot.real_labels)
    assert extras["posterior_samples"].shape == (POSTERIOR_INPUTS, POSTERIOR_SAMPLES, 2)
    # the chosen inputs are real samples, one of each of the four classes
    chosen = [int(np.flatnonzero((snapshot.real == x).all(axis=1))[0])
              for x in extras["posterior_inputs"]]
    assert sorted(snapshot.real_labels[chosen].tolist()) == [0, 1, 2, 3]


def test_extras_are_what_the_networks_compute(trained):
    session, snapshot = trained
    model, extras = session.model, snapshot.extras
    with torch.no_grad():
        codes = tensor(extras["latent_real"])
        np.testing.assert_allclose(model.generator(codes).numpy(), extras["reconstructions"],
                                   atol=1e-5)
        # the fakes are G of the prior batch shown beside the codes
        prior = tensor(extras["latent_prior"])
        np.testing.assert_allclose(model.generator(prior).numpy(), snapshot.fake, atol=1e-5)
        # the posterior draws of x scatter around the encoder's mean mu(x)
        mean = model.encoder(tensor(extras["posterior_inputs"])).chunk(2, dim=1)[0]
    np.testing.assert_allclose(extras["posterior_samples"].mean(axis=1), mean.numpy(),
                               atol=0.35)


def test_a_one_player_step_moves_only_that_player():
    session = Session(ali_config())
    model = session.model
    before = {name: [p.detach().clone() for p in getattr(model, name).parameters()]
              for name in model.networks}
    session.step(3, players=("d",))
    moved = {name: any(not torch.equal(a, b) for a, b in zip(before[name],
                                                             getattr(model, name).parameters()))
             for name in model.networks}
    assert moved == {"encoder": False, "generator": False, "discriminator": True}
    assert math.isnan(session.latest_losses["g"]) and math.isfinite(session.latest_losses["d"])


@pytest.mark.parametrize("changes", [
    {"model.loss": "wasserstein"},  # WGAN-GP on (x, z) pairs
    {"model.r1": 1.0, "model.r2": 0.5, "model.loss": "hinge"},
    {"model.latent_dim": 1, "model.latent_prior": "uniform"},
])
def test_other_losses_penalties_and_latents_train(changes):
    session = Session(ali_config(**{**changes, "model.width": 16}))
    session.step(20)
    snapshot = session.snapshot()
    assert np.isfinite(snapshot.history_losses).all()
    assert snapshot.extras["latent_real"].shape == (1000, 2)


def test_ali_captures_four_modes_and_learns_to_invert_the_generator():
    # Known answer: on 4 Gaussians the generator reaches every mode and G(E(x)) returns near
    # x. ALI's pairing of E and G keeps drifting (reconstructions sometimes land in a
    # neighbouring mode), so the late evaluations are judged by their median.
    session = Session(ali_config(**{"train.metrics_every": 250}), surface_resolution=16)
    session.step(4000)
    history = session.metric_history
    untrained = history.series("reconstruction_error")[0]
    late = history.series("reconstruction_error")[-6:]  # steps 2750 ... 4000
    assert untrained > 0.8  # G(E(x)) of random networks lands near the origin
    assert np.median(late) < 0.4 * untrained, late
    assert np.median(history.series("modes_captured")[-6:]) == 4
    assert np.median(history.series("high_quality")[-6:]) > 0.6
