"""PacGAN packing (Lin et al. 2018): packed discriminator input, surface, arrows, penalties."""

import numpy as np
import pytest
import torch

from advplay.core.config import Config
from advplay.core.session import RealStream, Session
from advplay.core.targets import make_target

SMALL = {"model.width": 32, "model.depth": 2, "train.batch_size": 64, "train.metrics_every": 10}


def packed_session(pack: int, **changes) -> Session:
    return Session(Config().replace({**SMALL, "model.pack": pack, **changes}),
                   surface_resolution=32)


class RecordingStream:
    """A real stream that remembers what it handed out."""

    def __init__(self, target):
        self.stream = RealStream(target, np.random.default_rng(0), torch.device("cpu"))
        self.handed: list[torch.Tensor] = []

    def __call__(self, n):
        self.handed.append(self.stream(n))
        return self.handed[-1]


@pytest.mark.parametrize("pack", [1, 3])
def test_discriminator_sees_batch_size_packs_of_consecutive_samples(pack):
    session = packed_session(pack)
    model = session.model
    assert model.discriminator[0].in_features == 2 * pack
    seen = []
    model.discriminator.register_forward_pre_hook(lambda module, args: seen.append(args[0].detach()))
    stream = RecordingStream(session.target)
    model.train_iteration(stream, 64, players=("d",))
    (real,) = stream.handed
    assert real.shape == (64 * pack, 2)  # batch_size packs of m samples
    (inputs,) = seen
    assert inputs.shape == (128, 2 * pack)  # real packs, then fake packs
    torch.testing.assert_close(inputs[:64], real.reshape(64, 2 * pack), rtol=0, atol=0)
    assert torch.equal(inputs[:64, :2], real[::pack])  # pack i starts with sample i*m


def test_surface_of_a_packed_discriminator_is_d_of_copies_of_the_point():
    session = packed_session(3)
    session.step(5)
    model = session.model
    points = torch.tensor([[0.3, -0.2], [1.0, 0.5]])
    output, logit = model.discriminator_surface(points)
    with torch.no_grad():
        expected = model.discriminator(torch.cat([points, points, points], dim=1)).squeeze(1)
    torch.testing.assert_close(logit, expected)
    torch.testing.assert_close(output, torch.sigmoid(expected))
    snapshot = session.snapshot()
    with torch.no_grad():
        grid_logit = model.discriminator(session._view.grid.repeat(1, 3)).squeeze(1)
    np.testing.assert_allclose(snapshot.discriminator_logit, grid_logit.numpy().reshape(32, 32),
                               rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("pack", [1, 2, 3])
def test_arrow_on_a_fake_averages_its_gradient_over_the_slots_of_its_cyclic_packs(pack):
    session = packed_session(pack)
    session.step(5)
    model = session.model
    z = model.sample_latent(7, torch.Generator().manual_seed(5))
    fake, arrows = model.fake_gradients(z)
    # The documented definition, one pack at a time: pack i = fakes i, i+1, ..., i+m-1 (mod n).
    expected = torch.zeros_like(fake)
    for start in range(len(fake)):
        members = [(start + slot) % len(fake) for slot in range(pack)]
        pack_points = fake[members].clone().requires_grad_(True)  # (m, 2)
        logit = model.discriminator(pack_points.reshape(1, -1)).squeeze(1)
        (gradient,) = torch.autograd.grad(model.loss.generator(logit), pack_points)
        for slot, member in enumerate(members):
            expected[member] += gradient[slot] / pack
    torch.testing.assert_close(arrows, expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("pack", [1, 3])
def test_arrows_for_the_first_fakes_pack_them_among_themselves(pack):
    session = packed_session(pack)
    session.step(5)
    model = session.model
    z = model.sample_latent(9, torch.Generator().manual_seed(6))
    fake, arrows = model.fake_gradients(z, arrows=4)
    every_fake, _ = model.fake_gradients(z)
    first_fakes, first_arrows = model.fake_gradients(z[:4])
    torch.testing.assert_close(fake, every_fake, rtol=0, atol=0)
    assert arrows.shape == (4, 2)
    torch.testing.assert_close(arrows, first_arrows, rtol=1e-5, atol=1e-7)


def r1_gradient_norm(session, pack):
    real = torch.tensor(np.array(session.snapshot().real))[: 999 // pack * pack]
    packs = real.reshape(-1, 2 * pack).requires_grad_(True)
    (gradient,) = torch.autograd.grad(session.model.discriminator(packs).sum(), packs)
    return gradient.norm(dim=1).mean().item()


def test_r1_penalty_flattens_the_packed_discriminator_on_real_packs():
    plain = packed_session(2, **{"train.lr_d": 1e-2})
    penalised = packed_session(2, **{"train.lr_d": 1e-2, "model.r1": 10.0})
    for session in (plain, penalised):
        session.step(60, players=("d",))
    assert r1_gradient_norm(penalised, 2) < 0.5 * r1_gradient_norm(plain, 2)


@pytest.mark.parametrize("changes", [
    {"model.r1": 1.0, "model.r2": 0.5},
    {"model.loss": "wasserstein"},
    {"model.loss": "hinge", "train.d_steps": 2, "model.latent_prior": "uniform"},
])
def test_packed_game_trains_with_every_penalty(changes):
    session = packed_session(3, **changes)
    session.step(20)
    snapshot = session.snapshot()
    assert np.isfinite(snapshot.history_losses).all()
    assert np.isfinite(snapshot.fake_gradients).all() and np.isfinite(snapshot.discriminator_logit).all()


def test_packed_runs_are_deterministic_and_differ_from_unpacked():
    first, second, plain = packed_session(2), packed_session(2), packed_session(1)
    for session in (first, second, plain):
        session.step(15)
    a, b = first.snapshot(), second.snapshot()
    for name in ("discriminator_output", "fake", "fake_gradients", "manifold", "history_losses"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    np.testing.assert_array_equal(a.extras["optimal_discriminator"],
                                  b.extras["optimal_discriminator"])
    assert not np.array_equal(a.fake, plain.snapshot().fake)


def test_packed_gan_learns_a_single_gaussian():
    config = Config().replace({"target.name": "gaussian", "target.mean": [1.0, -1.0],
                               "model.width": 64, "model.pack": 2, "train.batch_size": 128,
                               "train.seed": 3})
    session = Session(config, surface_resolution=32)
    session.step(600)
    samples = session.samples(2000)
    assert np.abs(samples.mean(axis=0) - [1.0, -1.0]).max() < 0.3
    assert np.abs(samples.std(axis=0) - 1.0).max() < 0.35
    assert session.latest_metrics["js_grid"] < 0.2


def test_real_stream_hands_out_fresh_samples_for_every_pack():
    stream = RecordingStream(make_target("ring8"))
    session = packed_session(4)
    session.model.train_iteration(stream, 64, players=("d",))
    session.model.train_iteration(stream, 64, players=("d",))
    first, second = stream.handed
    assert first.shape == second.shape == (256, 2) and not torch.equal(first, second)
