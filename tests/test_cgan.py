"""The conditional GAN (Mirza & Osindero 2014): labels in, classes out, refusals, determinism."""

import numpy as np
import pytest
import torch

from advplay.core.config import Config
from advplay.core.drawn import DrawnTarget
from advplay.core.errors import ConfigError
from advplay.core.models import MODELS
from advplay.core.models.cgan import class_frequencies, region_labels, spread_labels
from advplay.core.session import Session
from advplay.core.targets import make_target
from advplay.core.views import ARROW_SAMPLES

SMALL = {"model.name": "cgan", "model.width": 32, "model.depth": 2, "train.batch_size": 64,
         "train.metrics_every": 10}
FIX = "pick a target with classes, e.g. ring8, grid25, a mixture, or a drawing with several colours"
BOUNDS = (-2.0, 2.0, -2.0, 2.0)


def cgan_session(target=None, resolution=32, **changes) -> Session:
    return Session(Config().replace({**SMALL, **changes}), target=target,
                   surface_resolution=resolution)


def drawing(classes: int) -> DrawnTarget:
    """``classes`` painted squares, one colour each, along the diagonal."""
    density = np.zeros((classes, 16, 16))
    for label in range(classes):
        density[label, 3 * label:3 * label + 3, 3 * label:3 * label + 3] = 1.0
    return DrawnTarget(density, BOUNDS)


def per_class_accuracy(session, label: int, n: int = 500) -> float:
    model = session.model
    z = model.sample_latent(n, torch.Generator().manual_seed(11))
    samples = model.generate(z, torch.full((n,), label)).numpy()
    return float(np.mean(region_labels(session.target, samples) == label))


def test_is_registered():
    assert "cgan" in MODELS


@pytest.mark.parametrize("changes", [
    {"target.name": "ring8", "target.std": 0.05},
    {"target.name": "mixture", "target.weights": [0.4, 0.3, 0.2, 0.1],
     "target.means": [[-1, -1], [1, -1], [-1, 1], [1, 1]], "target.stds": [0.2] * 4},
])
def test_samples_drawn_for_a_class_land_in_that_class_region(changes):
    session = Session(Config().replace({**SMALL, "model.width": 64, "train.batch_size": 128,
                                        "train.metrics_every": 200, **changes}),
                      surface_resolution=32)
    classes = session.target.n_classes
    assert session.latest_metrics["class_accuracy"] < 0.6  # untrained: labels are ignored
    session.step(800)
    assert session.latest_metrics["class_accuracy"] >= 0.9
    for label in range(classes):
        assert per_class_accuracy(session, label) >= 0.9, label


@pytest.mark.parametrize("name, params, found", [
    ("swiss_roll", {}, "swiss_roll has no classes"),
    ("gaussian", {}, "gaussian has a single class"),
    ("checkerboard", {}, "checkerboard has no classes"),
])
def test_a_target_without_classes_is_refused_with_the_fix(name, params, found):
    config = Config().replace({**SMALL, "target.name": name,
                               **{f"target.{k}": v for k, v in params.items()}})
    with pytest.raises(ConfigError) as caught:
        Session(config)
    assert caught.value.key == "model.name"
    assert found in str(caught.value) and FIX in str(caught.value)


def test_a_one_colour_drawing_is_refused():
    with pytest.raises(ConfigError, match="drawing with several colours"):
        cgan_session(target=drawing(1))


def test_an_edited_drawing_keeps_its_classes_or_is_refused():
    session = cgan_session(target=drawing(3))
    session.step(3)
    heavier = drawing(3).density.copy()
    heavier[2] *= 2.0
    session.model.set_target(DrawnTarget(heavier, BOUNDS))
    np.testing.assert_allclose(session.model.frequencies, [0.25, 0.25, 0.5])
    with pytest.raises(ConfigError) as caught:
        session.model.set_target(drawing(2))
    message = str(caught.value)
    assert "built for 3 classes" in message and "2" in message and "reset" in message
    session.step(3)  # still trains toward the accepted drawing


def test_frame_labels_surfaces_and_their_class_mean():
    target = make_target("mixture", weights=[0.5, 0.25, 0.25], means=[[-1, 0], [1, 0], [0, 1]],
                         stds=[0.3, 0.3, 0.3])
    session = cgan_session(target=target)
    session.step(5)
    snapshot = session.snapshot()
    assert snapshot.model == "cgan"
    counts = np.bincount(snapshot.fake_labels, minlength=3)
    np.testing.assert_allclose(counts, [500, 250, 250], atol=3)
    assert not np.all(np.diff(snapshot.fake_labels) >= 0)  # interleaved, not blocks
    surfaces = snapshot.extras["class_surfaces"]
    assert surfaces.shape == (3, 32, 32)
    np.testing.assert_allclose(snapshot.discriminator_output,
                               np.tensordot([0.5, 0.25, 0.25], surfaces, axes=1), rtol=1e-5)
    grid = session._view.grid
    output, _ = session.model.discriminator_surface(grid, label=1)
    np.testing.assert_allclose(surfaces[1], output.numpy().reshape(32, 32), rtol=1e-6)
    optimal = snapshot.extras["class_optimal_discriminators"]
    assert optimal.shape == (3, 32, 32) and snapshot.extras["optimal_discriminator"].shape == (32, 32)
    assert snapshot.fake_gradients.shape == (ARROW_SAMPLES, 2)
    assert np.isfinite(snapshot.fake_gradients).all()


def test_many_classes_share_a_budget_of_discriminator_evaluations():
    session = cgan_session(target=make_target("grid25"), resolution=64)
    snapshot = session.snapshot()
    side = session.model.class_resolution(64)
    assert side < 64 and 25 * side**2 <= 4 * 64 * 64
    assert snapshot.extras["class_surfaces"].shape == (25, side, side)
    assert snapshot.discriminator_output.shape == (64, 64)
    assert np.isfinite(snapshot.discriminator_output).all()


def test_same_seed_same_snapshots_other_seed_differs():
    runs = [cgan_session(**{"train.seed": seed}) for seed in (0, 0, 1)]
    for session in runs:
        session.step(12)
    first, second, other = (session.snapshot() for session in runs)
    for name in ("discriminator_output", "fake", "fake_gradients", "manifold", "fake_labels",
                 "history_losses"):
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name), err_msg=name)
    for name in ("class_surfaces", "optimal_discriminator"):
        np.testing.assert_array_equal(first.extras[name], second.extras[name], err_msg=name)
    assert dict(first.metrics) == dict(second.metrics)
    assert not np.array_equal(first.fake, other.fake)


@pytest.mark.parametrize("changes", [
    {"model.pack": 2, "model.r1": 1.0, "model.r2": 1.0},
    {"model.pack": 3, "model.loss": "wasserstein"},
    {"model.loss": "least_squares", "train.d_steps": 2, "train.g_steps": 2},
])
def test_conditional_game_trains_with_packing_and_penalties(changes):
    session = cgan_session(**changes)
    session.step(15)
    snapshot = session.snapshot()
    assert np.isfinite(snapshot.history_losses).all()
    assert session.model.discriminator[0].in_features == (2 + 8) * session.model.pack


def test_penalties_take_gradients_with_respect_to_the_samples_only():
    session = cgan_session(**{"model.r1": 1.0})
    model = session.model
    real = torch.randn(4, 2, requires_grad=True)
    logits = model._critic(real, torch.tensor([[0], [1], [2], [3]]))
    (gradient,) = torch.autograd.grad(logits.sum(), real)
    assert gradient.shape == (4, 2)  # the one-hot labels are appended inside the critic


def test_fake_labels_follow_the_class_frequencies():
    target = make_target("mixture", weights=[0.6, 0.3, 0.1], means=[[-1, 0], [1, 0], [0, 1]],
                         stds=[0.2, 0.2, 0.2])
    model = cgan_session(target=target).model
    labels = model._fake_labels(20000).ravel().numpy()
    np.testing.assert_allclose(np.bincount(labels, minlength=3) / 20000, [0.6, 0.3, 0.1], atol=0.015)


def test_spread_labels_never_use_an_empty_class():
    frequencies = np.array([0.5, 0.0, 0.5, 0.0])
    labels = spread_labels(1001, frequencies)
    counts = np.bincount(labels, minlength=4)
    assert counts[1] == counts[3] == 0 and abs(counts[0] - counts[2]) <= 2
    assert np.ptp(np.bincount(spread_labels(1000, np.full(8, 1 / 8)), minlength=8)) <= 3


def test_class_frequencies_of_each_kind_of_target():
    np.testing.assert_allclose(class_frequencies(make_target("ring8")), np.full(8, 1 / 8))
    three = drawing(3).density.copy()
    three[1] *= 3
    np.testing.assert_allclose(class_frequencies(DrawnTarget(three, BOUNDS)), [0.2, 0.6, 0.2])
    np.testing.assert_allclose(class_frequencies(make_target("spiral", n_arms=3)),
                               np.full(3, 1 / 3), atol=0.02)


@pytest.mark.parametrize("name", ["ring8", "two_moons", "spiral"])
def test_regions_label_real_samples_with_their_own_class(name):
    target = make_target(name)
    points, labels = target.sample(2000, np.random.default_rng(9))
    assert np.mean(region_labels(target, points) == labels) > 0.95


def test_drawing_regions_are_the_colour_with_most_density_in_the_cell():
    density = np.zeros((2, 4, 4))
    density[0, 0, 0] = 1.0
    density[1, 0, 0] = 3.0  # both colours in the lower-left cell: colour 1 has more
    density[0, 3, 3] = 1.0
    target = DrawnTarget(density, BOUNDS)
    points = np.array([[-1.5, -1.5], [1.5, 1.5], [0.5, -0.5], [5.0, 0.0], [np.nan, 0.0],
                       [1e300, -1e300]])
    assert region_labels(target, points).tolist() == [1, 0, -1, -1, -1, -1]


def test_generate_follows_the_marginal_and_state_round_trips():
    first, second = cgan_session(), cgan_session()
    first.step(10)
    second.load_state(first.state())
    first.step(5)
    second.step(5)
    np.testing.assert_array_equal(first.snapshot().fake, second.snapshot().fake)
    samples = first.samples(800)
    assert samples.shape == (800, 2) and np.isfinite(samples).all()
