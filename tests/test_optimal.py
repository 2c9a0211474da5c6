"""The optimal discriminator overlay D* = p / (p + q_G) with q_G a kernel density estimate."""

import time

import numpy as np
import pytest

from advplay.core.config import Config
from advplay.core.drawn import DrawnTarget
from advplay.core.optimal import (density_known, kde_on_grid, optimal_discriminator, scott_bandwidth,
                                  smoothed_density)
from advplay.core.session import Session
from advplay.core.targets import Target, make_target
from advplay.core.views import grid_axes


def grid_points(xs, ys):
    grid_x, grid_y = np.meshgrid(xs, ys)
    return np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)


def gaussian_density(points, mean, variance):
    """Isotropic or axis-aligned Gaussian density at ``points`` (n, 2); variance (2,)."""
    variance = np.broadcast_to(np.asarray(variance, dtype=np.float64), (2,))
    z2 = ((points - mean) ** 2 / variance).sum(axis=1)
    return np.exp(-0.5 * z2) / (2 * np.pi * np.sqrt(variance.prod()))


class DensityOnly(Target):
    """A target that hides its mixture: only ``log_prob`` and ``bounds`` are known."""

    has_density = True

    def __init__(self, target):
        self.inner, self.bounds = target, target.bounds

    def sample(self, n, rng):
        return self.inner.sample(n, rng)

    def log_prob(self, x):
        return self.inner.log_prob(x)


def test_kde_on_grid_equals_the_direct_sum_over_samples():
    rng = np.random.default_rng(0)
    samples = rng.normal(size=(50, 2)) * [1.0, 0.5]
    xs, ys = np.linspace(-2, 2, 9), np.linspace(-1, 1, 7)
    bandwidth = np.array([0.3, 0.2])
    points = grid_points(xs, ys)
    direct = np.mean([gaussian_density(points, s, bandwidth**2) for s in samples], axis=0)
    np.testing.assert_allclose(kde_on_grid(samples, xs, ys, bandwidth), direct.reshape(7, 9),
                               rtol=1e-10)


def test_scott_bandwidth_per_axis_with_a_floor():
    samples = np.random.default_rng(0).normal(size=(4096, 2)) * [2.0, 0.5]
    np.testing.assert_allclose(scott_bandwidth(samples), [2.0 / 4, 0.5 / 4], rtol=0.05)
    collapsed = np.zeros((100, 2))
    np.testing.assert_array_equal(scott_bandwidth(collapsed, floor=[0.1, 0.2]), [0.1, 0.2])


def test_smoothed_mixture_is_exact_and_the_tabulated_path_agrees():
    target = make_target("mixture", weights=[0.3, 0.7], means=[[-1, 0], [1, 0.5]], stds=[0.4, 0.3])
    xs, ys = grid_axes(target.bounds, 48)
    bandwidth = np.array([0.2, 0.1])
    exact = smoothed_density(target, xs, ys, bandwidth)
    points = grid_points(xs, ys)
    by_hand = (0.3 * gaussian_density(points, [-1, 0], 0.4**2 + bandwidth**2)
               + 0.7 * gaussian_density(points, [1, 0.5], 0.3**2 + bandwidth**2))
    np.testing.assert_allclose(exact, by_hand.reshape(48, 48), rtol=1e-10)
    tabulated = smoothed_density(DensityOnly(target), xs, ys, bandwidth)
    np.testing.assert_allclose(tabulated, exact, atol=2e-3 * exact.max())


def test_a_component_of_weight_zero_adds_nothing():
    target = make_target("mixture", weights=[1.0, 0.0], means=[[0, 0], [1, 1]], stds=[0.5, 0.5])
    xs, ys = grid_axes(target.bounds, 16)
    bandwidth = np.array([0.2, 0.2])
    alone = make_target("gaussian", covariance=[[0.25, 0], [0, 0.25]])
    np.testing.assert_allclose(smoothed_density(target, xs, ys, bandwidth),
                               smoothed_density(alone, xs, ys, bandwidth), rtol=1e-12)
    second = smoothed_density(target, xs, ys, bandwidth, label=1)  # p(x | y = 1) still exists
    assert abs(second.sum() * (xs[1] - xs[0]) * (ys[1] - ys[0]) - 1) < 0.05


def test_smoothed_drawing_keeps_its_mass_and_sharpens_back_to_the_cells():
    density = np.zeros((2, 16, 16))
    density[0, 4:8, 2:6] = 1.0
    density[1, 10:13, 9:14] = 3.0
    target = DrawnTarget(density, (-2.0, 2.0, -2.0, 2.0))
    xs, ys = grid_axes(target.bounds, 64)
    cell_area = (4 / 64) ** 2
    smooth = smoothed_density(target, xs, ys, np.array([0.1, 0.1]))
    assert abs(smooth.sum() * cell_area - 1) < 1e-3
    sharp = smoothed_density(target, xs, ys, np.array([1e-4, 1e-4]))
    exact = np.exp(target.log_prob(grid_points(xs, ys))).reshape(64, 64)
    np.testing.assert_allclose(sharp, exact, rtol=1e-6, atol=1e-9)
    second = smoothed_density(target, xs, ys, np.array([1e-4, 1e-4]), label=1)
    assert abs(second.sum() * cell_area - 1) < 1e-6 and second[:40].max() == 0


def test_optimal_discriminator_matches_p_over_p_plus_q_for_a_known_generator():
    target = make_target("gaussian")
    xs, ys = grid_axes(target.bounds, 64)
    mean, std = np.array([0.7, -0.3]), 0.8
    samples = mean + std * np.random.default_rng(1).standard_normal((4000, 2))
    optimal = optimal_discriminator(target, samples, xs, ys)
    points = grid_points(xs, ys)
    p, q = gaussian_density(points, 0, 1), gaussian_density(points, mean, std**2)
    truth = (p / (p + q)).reshape(64, 64)
    bulk = ((p + q) > 0.1 * (p + q).max()).reshape(64, 64)  # ~550 cells around both means
    error = np.abs(optimal - truth)[bulk]
    assert error.mean() < 0.03 and error.max() < 0.15
    assert optimal[bulk].min() < 0.3 and optimal[bulk].max() > 0.7  # far from a constant


@pytest.mark.parametrize("name", ["gaussian", "ring8", "banana", "checkerboard"])
def test_optimal_discriminator_is_one_half_when_the_generator_equals_the_target(name):
    target = make_target(name)
    xs, ys = grid_axes(target.bounds, 64)
    samples, _ = target.sample(1000, np.random.default_rng(2))
    optimal = optimal_discriminator(target, samples, xs, ys)
    mass = smoothed_density(target, xs, ys, scott_bandwidth(samples))
    support = mass > 0.2 * mass.max()
    assert np.abs(optimal[support] - 0.5).mean() < 0.04
    assert np.abs(optimal[support] - 0.5).max() < 0.2


def test_optimal_discriminator_sees_a_missing_mode():
    target = make_target("ring8", std=0.05)
    xs, ys = grid_axes(target.bounds, 64)
    samples, labels = target.sample(2000, np.random.default_rng(3))
    optimal = optimal_discriminator(target, samples[labels != 0], xs, ys)  # mode 0 at (1, 0)
    column, row = np.argmin(np.abs(xs - 1.0)), np.argmin(np.abs(ys))
    assert optimal[row, column] > 0.8
    opposite = np.argmin(np.abs(xs + 1.0))  # mode 4 at (-1, 0) is over-covered
    assert optimal[row, opposite] < 0.5


def test_degenerate_samples_are_handled():
    target = make_target("gaussian")
    xs, ys = grid_axes(target.bounds, 32)
    collapsed = optimal_discriminator(target, np.zeros((500, 2)), xs, ys)
    assert np.isfinite(collapsed).all() and collapsed.min() >= 0 and collapsed.max() <= 1
    assert collapsed[16, 16] < 0.5 < collapsed[16, 2]  # the generator's point vs elsewhere
    with_nan = np.vstack([np.random.default_rng(0).normal(size=(300, 2)), [[np.nan, 0.0]]])
    assert np.isfinite(optimal_discriminator(target, with_nan, xs, ys)).all()
    assert optimal_discriminator(target, np.full((5, 2), np.inf), xs, ys) is None
    assert optimal_discriminator(make_target("two_moons"), np.zeros((9, 2)), xs, ys) is None


@pytest.mark.parametrize("name", ["ring8", "grid25", "checkerboard"])
def test_optimal_discriminator_costs_a_few_milliseconds(name):
    target = make_target(name)
    xs, ys = grid_axes(target.bounds, 64)
    samples, _ = target.sample(1000, np.random.default_rng(0))
    optimal_discriminator(target, samples, xs, ys)  # warm: tabulates a density once
    times = []
    for _ in range(5):
        start = time.perf_counter()
        optimal_discriminator(target, samples, xs, ys)
        times.append(time.perf_counter() - start)
    assert min(times) < 0.025, f"{min(times) * 1e3:.1f} ms"  # measured 1-3 ms


def test_gan_frames_carry_the_optimal_discriminator_where_the_density_is_known():
    small = {"model.width": 32, "model.depth": 2, "train.batch_size": 64}
    session = Session(Config().replace({**small, "target.name": "ring8", "target.std": 0.05}),
                      surface_resolution=32)
    session.step(10)
    snapshot = session.snapshot()
    optimal = snapshot.extras["optimal_discriminator"]
    assert optimal.shape == (32, 32) and not optimal.flags.writeable
    xs, ys = grid_axes(snapshot.bounds, 32)
    np.testing.assert_allclose(optimal, optimal_discriminator(session.target, snapshot.fake, xs, ys),
                               rtol=1e-6)
    moons = Session(Config().replace({**small, "target.name": "two_moons"}), surface_resolution=32)
    assert "optimal_discriminator" not in moons.snapshot().extras


def test_optimal_discriminator_follows_an_edited_drawing():
    density = np.zeros((1, 16, 16))
    density[0, 2:5, 2:5] = 1.0
    small = {"model.width": 32, "model.depth": 2, "train.batch_size": 64}
    session = Session(Config().replace(small), target=DrawnTarget(density, (-2, 2, -2, 2)),
                      surface_resolution=32)
    before = session.snapshot().extras["optimal_discriminator"]
    moved = np.zeros((1, 16, 16))
    moved[0, 11:14, 11:14] = 1.0
    session.set_target(DrawnTarget(moved, (-2, 2, -2, 2)))
    after = session.snapshot().extras["optimal_discriminator"]
    # The painted square moved from the lower left to the upper right: so does the region
    # where D* says "real".
    assert before[5, 5] > before[26, 26] and after[26, 26] > after[5, 5]


def test_which_densities_d_star_can_compare_with():
    assert density_known(make_target("ring8")) and density_known(make_target("ring8"), label=3)
    drawing = DrawnTarget(np.ones((2, 4, 4)), (-1, 1, -1, 1))
    assert density_known(drawing, label=1)
    checkerboard = make_target("checkerboard")  # a density, but no class-conditional one
    assert density_known(checkerboard) and not density_known(checkerboard, label=0)
    assert not density_known(make_target("two_moons")) and not density_known(None)


def test_frames_skip_d_star_on_request_and_say_so_where_it_could_be_computed():
    from advplay.core.errors import ConfigError

    small = {"model.width": 32, "model.depth": 2, "train.batch_size": 64}
    for model in ("gan", "cgan"):
        session = Session(Config().replace({**small, "model.name": model}), surface_resolution=16)
        session.skip_extras(["optimal_discriminator"])
        snapshot = session.snapshot()
        assert "optimal_discriminator" not in snapshot.extras
        assert "class_optimal_discriminators" not in snapshot.extras
        assert snapshot.skipped_extras == ("optimal_discriminator",)
        session.skip_extras([])  # asked for again: computed again
        snapshot = session.snapshot()
        assert "optimal_discriminator" in snapshot.extras and snapshot.skipped_extras == ()
    moons = Session(Config().replace({**small, "target.name": "two_moons"}), surface_resolution=16)
    moons.skip_extras(["optimal_discriminator"])
    assert moons.snapshot().skipped_extras == ()  # nothing to skip without a known density
    with pytest.raises(ConfigError, match="only optimal_discriminator"):
        moons.skip_extras(["latent_real"])


def test_where_neither_player_has_mass_the_verdict_is_one_half():
    target = make_target("ring8")
    xs, ys = grid_axes(target.bounds, 64)
    samples, labels = target.sample(1000, np.random.default_rng(0))
    optimal = optimal_discriminator(target, 0.8 * samples[labels < 4], xs, ys)
    # the window's corners: p * K_h ~ 1e-14 and q_hat ~ 1e-71 there, a ratio of far tails
    corners = optimal[[0, 0, -1, -1], [0, -1, 0, -1]]
    assert np.abs(corners - 0.5).max() < 0.01
    column, row = np.argmin(np.abs(xs + 1.0)), np.argmin(np.abs(ys))
    assert optimal[row, column] > 0.9  # mode 4 at (-1, 0), which the generator left
