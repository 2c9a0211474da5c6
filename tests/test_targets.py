"""Tests for the registered 2D targets: sampling, bounds, exact densities and validation."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

from advplay.core.errors import ConfigError
from advplay.core.targets import TARGETS, Target, make_target, preset_names, target_defaults

ALL = preset_names()  # file targets (drawn, image, points) are tested in test_drawn.py
WITH_DENSITY = [name for name in ALL if make_target(name).has_density]
WITHOUT_DENSITY = [name for name in ALL if name not in WITH_DENSITY]

#: histogram cells per side for the goodness-of-fit test
CELLS = 20
N_FIT = 20_000


def _inside(points: np.ndarray, bounds) -> np.ndarray:
    x_min, x_max, y_min, y_max = bounds
    return ((points[:, 0] >= x_min) & (points[:, 0] <= x_max)
            & (points[:, 1] >= y_min) & (points[:, 1] <= y_max))


def _log_prob_chunked(target: Target, points: np.ndarray, chunk: int = 1 << 16) -> np.ndarray:
    return np.concatenate([target.log_prob(points[i:i + chunk])
                           for i in range(0, len(points), chunk)])


@functools.lru_cache(maxsize=None)
def _density_grid(name: str):
    """The density of target ``name`` at the midpoints of a fine grid over its bounds.

    The grid has ``CELLS * per_cell`` points a side, so it pools exactly into the
    ``CELLS x CELLS`` histogram cells. Mixtures get a spacing of at most a quarter of their
    narrowest std (ring8: std 0.01), fine enough for the midpoint rule to be very accurate.

    Returns
    -------
    log_p : (n, n) array, x index first
    cell_area : area of one grid point's square
    per_cell : grid points per histogram cell and axis
    """
    target = make_target(name)
    x_min, x_max, y_min, y_max = target.bounds
    per_cell = 80
    if target.mixture is not None:
        narrowest = math.sqrt(float(np.linalg.eigvalsh(target.mixture.covariances).min()))
        width = max(x_max - x_min, y_max - y_min)
        per_cell = max(40, math.ceil(width / (narrowest / 4) / CELLS))
    n = CELLS * per_cell
    xs = x_min + (np.arange(n) + 0.5) * (x_max - x_min) / n  # (n,)
    ys = y_min + (np.arange(n) + 0.5) * (y_max - y_min) / n
    grid = np.stack(np.meshgrid(xs, ys, indexing="ij"), axis=-1).reshape(-1, 2)  # (n*n, 2)
    log_p = _log_prob_chunked(target, grid).reshape(n, n)
    cell_area = (x_max - x_min) * (y_max - y_min) / n**2
    return log_p, cell_area, per_cell


# --------------------------------------------------------------------------- every target


def test_registry_holds_the_expected_targets():
    expected = {"ring8", "grid25", "gaussian", "mixture", "two_moons", "swiss_roll", "spiral",
                "checkerboard", "circles", "banana", "pinwheel", "line", "uniform_square"}
    assert expected <= set(ALL)
    assert {"uniform_square", "checkerboard", "banana", "ring8", "grid25"} <= set(WITH_DENSITY)
    assert {"drawn", "image", "points"} <= set(TARGETS.names()) - set(ALL)
    for entry in TARGETS.entries():
        assert entry.description and "\n" not in entry.description


@pytest.mark.parametrize("name", ALL)
def test_sample_shapes_dtypes_and_labels(name):
    target = make_target(name)
    points, labels = target.sample(5000, np.random.default_rng(0))
    assert points.shape == (5000, 2) and points.dtype == np.float64
    assert np.all(np.isfinite(points))
    if target.n_classes == 0:
        assert labels is None
    else:
        assert labels.shape == (5000,) and labels.dtype == np.int64
        assert labels.min() >= 0 and labels.max() < target.n_classes
        # every class shows up in 5000 draws
        assert len(np.unique(labels)) == target.n_classes


@pytest.mark.parametrize("name", ALL)
def test_sampling_is_deterministic_for_a_seed(name):
    target = make_target(name)
    a_points, a_labels = target.sample(1000, np.random.default_rng(42))
    b_points, b_labels = target.sample(1000, np.random.default_rng(42))
    c_points, _ = target.sample(1000, np.random.default_rng(43))
    np.testing.assert_array_equal(a_points, b_points)
    if a_labels is not None:
        np.testing.assert_array_equal(a_labels, b_labels)
    assert not np.array_equal(a_points, c_points)


@pytest.mark.parametrize("name", ALL)
def test_bounds_are_square_ish_and_hold_the_samples(name):
    target = make_target(name)
    x_min, x_max, y_min, y_max = target.bounds
    assert x_min < x_max and y_min < y_max
    assert 0.8 <= (x_max - x_min) / (y_max - y_min) <= 1.25
    points, _ = target.sample(20_000, np.random.default_rng(1))
    assert _inside(points, target.bounds).mean() >= 0.99


@pytest.mark.parametrize("name", ALL)
def test_defaults_are_toml_values(name):
    def plain(value) -> bool:
        if isinstance(value, (list, tuple)):
            return all(plain(v) for v in value)
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    for key, value in target_defaults(name).items():
        assert plain(value), f"{name}.{key} = {value!r}"
    # the defaults, spelled out as lists the way a TOML file gives them, build the same target
    as_lists = {k: np.asarray(v).tolist() if isinstance(v, tuple) else v
                for k, v in target_defaults(name).items()}
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    np.testing.assert_array_equal(make_target(name, **as_lists).sample(100, rng_a)[0],
                                  make_target(name).sample(100, rng_b)[0])


@pytest.mark.parametrize("name", WITHOUT_DENSITY)
def test_targets_without_density_refuse_log_prob(name):
    target = make_target(name)
    assert not target.has_density
    with pytest.raises(NotImplementedError):
        target.log_prob(np.zeros((3, 2)))


# --------------------------------------------------------------------------- exact densities


@pytest.mark.parametrize("name", WITH_DENSITY)
def test_density_integrates_to_one(name):
    log_p, cell_area, _ = _density_grid(name)
    assert log_p.dtype == np.float64
    assert np.exp(log_p).sum() * cell_area == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("name", WITH_DENSITY)
def test_samples_follow_the_density(name):
    """Chi-square of 20000 samples binned on 20 x 20 cells against the integrated density."""
    target = make_target(name)
    log_p, cell_area, per_cell = _density_grid(name)
    mass = np.exp(log_p).reshape(CELLS, per_cell, CELLS, per_cell).sum(axis=(1, 3)) * cell_area
    points, _ = target.sample(N_FIT, np.random.default_rng(7))
    x_min, x_max, y_min, y_max = target.bounds
    counts, _, _ = np.histogram2d(points[:, 0], points[:, 1], bins=CELLS,
                                  range=[[x_min, x_max], [y_min, y_max]])
    expected = N_FIT * mass.ravel()
    observed = counts.ravel()
    big = expected >= 5
    # cells with tiny expected counts and everything outside the window form one last bin
    rest_expected = N_FIT - expected[big].sum()
    rest_observed = N_FIT - observed[big].sum()
    chi2 = float(np.sum((observed[big] - expected[big]) ** 2 / expected[big]))
    if rest_expected >= 5:
        chi2 += (rest_observed - rest_expected) ** 2 / rest_expected
    else:
        assert rest_observed <= 20
    dof = int(big.sum())
    # about a 1e-6 false-alarm level for chi-square with dof degrees of freedom
    assert chi2 < dof + 6 * math.sqrt(2 * dof) + 10, (chi2, dof)


@pytest.mark.parametrize("name", WITH_DENSITY)
def test_mean_log_prob_of_samples_is_minus_entropy(name):
    target = make_target(name)
    log_p, _, _ = _density_grid(name)
    p = np.exp(log_p)
    positive = p > 0
    minus_entropy = float(np.sum(p[positive] * log_p[positive]) / p.sum())
    points, _ = target.sample(N_FIT, np.random.default_rng(11))
    sample_log_p = target.log_prob(points)
    assert sample_log_p.shape == (N_FIT,) and sample_log_p.dtype == np.float64
    assert np.all(np.isfinite(sample_log_p))  # samples lie in the support
    tolerance = 5 * sample_log_p.std() / math.sqrt(N_FIT) + 0.01
    assert abs(sample_log_p.mean() - minus_entropy) < tolerance


def test_ring8_each_mode_holds_an_eighth_of_the_mass():
    target = make_target("ring8")
    std = 0.01
    offsets = (np.arange(200) + 0.5) / 200 * 12 * std - 6 * std  # (200,) window of +-6 std
    window = np.stack(np.meshgrid(offsets, offsets, indexing="ij"), axis=-1).reshape(-1, 2)
    area = (12 * std / 200) ** 2
    for mean in target.mixture.means:
        mass = np.exp(target.log_prob(mean + window)).sum() * area
        assert mass == pytest.approx(1 / 8, rel=0.01)


def test_grid25_each_mode_holds_a_25th_of_the_mass():
    target = make_target("grid25")
    std = 0.05
    offsets = (np.arange(100) + 0.5) / 100 * 12 * std - 6 * std
    window = np.stack(np.meshgrid(offsets, offsets, indexing="ij"), axis=-1).reshape(-1, 2)
    area = (12 * std / 100) ** 2
    for mean in target.mixture.means:
        mass = np.exp(target.log_prob(mean + window)).sum() * area
        assert mass == pytest.approx(1 / 25, rel=0.01)


def test_uniform_square_log_prob_values():
    target = make_target("uniform_square", centre=[1.0, -1.0], half_width=2.0)
    log_p = target.log_prob(np.array([[1.0, -1.0], [2.9, 0.9], [3.1, -1.0], [1.0, -3.5]]))
    np.testing.assert_allclose(log_p[:2], -math.log(16.0))
    assert np.all(log_p[2:] == -np.inf)
    points, _ = target.sample(5000, np.random.default_rng(0))
    assert np.all(np.abs(points - [1.0, -1.0]) <= 2.0)


def test_checkerboard_is_uniform_on_black_squares_only():
    target = make_target("checkerboard", n_squares=4, size=8.0)
    # the lower-left square (centre (-3, -3)) is black, its neighbours white
    black = np.array([[-3.0, -3.0], [-1.0, -1.0], [3.0, 3.0], [1.0, -3.0]])
    white = np.array([[-1.0, -3.0], [-3.0, -1.0], [1.0, 1.0 + 2.0], [5.0, 0.0]])
    np.testing.assert_allclose(target.log_prob(black), -math.log(8 * 4.0))
    assert np.all(target.log_prob(white) == -np.inf)
    points, _ = target.sample(5000, np.random.default_rng(0))
    cells = np.floor((points + 4.0) / 2.0).astype(int)
    assert np.all((cells.sum(axis=1) % 2) == 0)
    odd = make_target("checkerboard", n_squares=3, size=3.0)
    np.testing.assert_allclose(odd.log_prob(np.zeros((1, 2))), -math.log(5.0))


def test_banana_log_prob_matches_the_gaussian_it_bends():
    target = make_target("banana", curvature=0.8, std_x=1.5, std_y=0.4)
    x = np.array([[0.0, -0.8 * 1.5**2], [1.0, 2.0], [-2.0, 0.5]])
    u2 = x[:, 1] - 0.8 * (x[:, 0] ** 2 - 1.5**2)
    expected = (-math.log(2 * math.pi * 1.5 * 0.4)
                - 0.5 * ((x[:, 0] / 1.5) ** 2 + (u2 / 0.4) ** 2))
    np.testing.assert_allclose(target.log_prob(x), expected)
    points, _ = target.sample(50_000, np.random.default_rng(0))
    np.testing.assert_allclose(points.mean(axis=0), [0.0, 0.0], atol=0.05)
    straight = make_target("banana", curvature=0.0, std_x=1.0, std_y=0.5)
    cov = np.cov(straight.sample(50_000, np.random.default_rng(1))[0].T)
    np.testing.assert_allclose(cov, np.diag([1.0, 0.25]), atol=0.03)


# --------------------------------------------------------------------------- mixtures


def test_ring8_defaults():
    mix = make_target("ring8").mixture
    assert mix.n_components == 8
    np.testing.assert_allclose(np.linalg.norm(mix.means, axis=1), 1.0)
    angles = np.sort(np.mod(np.arctan2(mix.means[:, 1], mix.means[:, 0]), 2 * np.pi))
    np.testing.assert_allclose(np.diff(angles), 2 * np.pi / 8)
    np.testing.assert_allclose(mix.covariances, np.tile(np.eye(2) * 0.01**2, (8, 1, 1)))
    np.testing.assert_allclose(mix.weights, 1 / 8)


def test_grid25_defaults():
    mix = make_target("grid25").mixture
    expected = {(float(x), float(y)) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)}
    assert {tuple(np.round(m, 9)) for m in mix.means} == expected
    np.testing.assert_allclose(mix.covariances, np.tile(np.eye(2) * 0.05**2, (25, 1, 1)))
    np.testing.assert_allclose(mix.weights, 1 / 25)


def test_mixture_parameters_are_overridable():
    mix = make_target("ring8", radius=2.0, std=0.1).mixture
    np.testing.assert_allclose(np.linalg.norm(mix.means, axis=1), 2.0)
    np.testing.assert_allclose(mix.covariances[:, 0, 0], 0.01)
    assert make_target("ring8", n_modes=5).mixture.n_components == 5
    grid = make_target("grid25", spacing=1.0, n_per_side=3).mixture
    assert grid.n_components == 9 and np.abs(grid.means).max() == pytest.approx(1.0)
    points, _ = make_target("ring8", radius=2.0, std=0.1).sample(4000, np.random.default_rng(0))
    assert np.linalg.norm(points, axis=1).mean() == pytest.approx(2.0, abs=0.02)


def test_gaussian_has_the_requested_covariance():
    covariance = [[1.0, 0.8], [0.8, 2.0]]
    target = make_target("gaussian", mean=[1.0, -2.0], covariance=covariance)
    points, _ = target.sample(50_000, np.random.default_rng(3))
    np.testing.assert_allclose(points.mean(axis=0), [1.0, -2.0], atol=0.03)
    np.testing.assert_allclose(np.cov(points.T), covariance, atol=0.05)


def test_mixture_weights_set_component_frequencies():
    weights = [0.2, 0.3, 0.5]
    target = make_target("mixture", weights=weights, means=[[-2, 0], [0, 2], [2, 0]],
                         stds=[0.1, 0.2, 0.3])
    _, labels = target.sample(50_000, np.random.default_rng(4))
    np.testing.assert_allclose(np.bincount(labels, minlength=3) / 50_000, weights, atol=0.01)
    unnormalised = make_target("mixture", weights=[1, 3], means=[[0, 0], [1, 1]], stds=[1, 1])
    np.testing.assert_allclose(unnormalised.mixture.weights, [0.25, 0.75])


# --------------------------------------------------------------------------- shape specifics


def test_two_moons_labels_are_the_moons():
    points, labels = make_target("two_moons", noise=0.0).sample(4000, np.random.default_rng(0))
    upper, lower = points[labels == 0], points[labels == 1]
    assert upper[:, 1].mean() > lower[:, 1].mean()
    # noiseless: each moon lies on its unit half circle
    np.testing.assert_allclose(np.linalg.norm(upper - [-0.5, -0.25], axis=1), 1.0)
    np.testing.assert_allclose(np.linalg.norm(lower - [0.5, 0.25], axis=1), 1.0)


def test_circles_labels_are_the_rings():
    target = make_target("circles", radii=[0.5, 1.5, 3.0], noise=0.02)
    assert target.n_classes == 3
    points, labels = target.sample(6000, np.random.default_rng(0))
    for k, radius in enumerate([0.5, 1.5, 3.0]):
        assert np.linalg.norm(points[labels == k], axis=1).mean() == pytest.approx(radius, abs=0.01)


@pytest.mark.parametrize("name", ["spiral", "pinwheel"])
def test_arms_are_classes(name):
    target = make_target(name, n_arms=3)
    assert target.n_classes == 3
    _, labels = target.sample(3000, np.random.default_rng(0))
    assert set(np.unique(labels)) == {0, 1, 2}


def test_swiss_roll_radius_range():
    target = make_target("swiss_roll", noise=0.0, turns=1.0, scale=0.5)
    points, _ = target.sample(3000, np.random.default_rng(0))
    radius = np.linalg.norm(points, axis=1)
    assert radius.min() >= 0.5 * 1.5 * np.pi - 1e-9 and radius.max() <= 0.5 * 3.5 * np.pi + 1e-9


def test_noiseless_line_lies_on_its_segment():
    target = make_target("line", length=2.0, angle=90.0, centre=[1.0, 1.0], noise=0.0)
    points, _ = target.sample(2000, np.random.default_rng(0))
    np.testing.assert_allclose(points[:, 0], 1.0, atol=1e-12)
    assert points[:, 1].min() >= 0.0 and points[:, 1].max() <= 2.0
    assert points[:, 1].max() - points[:, 1].min() > 1.9


# --------------------------------------------------------------------------- validation


BAD = [
    ("ring8", {"bogus": 1.0}, "bogus"),
    ("two_moons", {"radius": 1.0}, "radius"),
    ("ring8", {"std": -0.1}, "std"),
    ("ring8", {"std": "0.1"}, "std"),
    ("ring8", {"n_modes": 2.5}, "n_modes"),
    ("grid25", {"spacing": 0.0}, "spacing"),
    ("gaussian", {"covariance": [[1.0, 2.0], [2.0, 1.0]]}, "covariance"),
    ("gaussian", {"covariance": [[1.0, 0.5], [0.0, 1.0]]}, "covariance"),
    ("gaussian", {"covariance": [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]}, "covariance"),
    ("gaussian", {"mean": [0.0, 0.0, 0.0]}, "mean"),
    ("gaussian", {"mean": ["a", "b"]}, "mean"),
    ("mixture", {"means": [[0.0, 0.0]]}, "means"),
    ("mixture", {"stds": [0.1]}, "stds"),
    ("mixture", {"stds": [0.1, -0.1]}, "stds"),
    ("mixture", {"weights": [-1.0, 2.0]}, "weights"),
    ("mixture", {"weights": ["a", "b"]}, "weights"),
    ("two_moons", {"noise": -0.1}, "noise"),
    ("two_moons", {"noise": "0.1"}, "noise"),
    ("swiss_roll", {"turns": 0}, "turns"),
    ("spiral", {"n_arms": 0}, "n_arms"),
    ("spiral", {"n_arms": 2.0}, "n_arms"),
    ("checkerboard", {"n_squares": 1}, "n_squares"),
    ("checkerboard", {"size": -8.0}, "size"),
    ("circles", {"radii": []}, "radii"),
    ("circles", {"radii": [1.0, -2.0]}, "radii"),
    ("circles", {"radii": 2.0}, "radii"),
    ("banana", {"curvature": float("nan")}, "curvature"),
    ("banana", {"std_y": 0.0}, "std_y"),
    ("ring8", {"std": 1.3407807929942597e+154}, "std"),  # found by the hardening test
    ("ring8", {"std": 8.387684278750936e+37}, "std"),
    ("grid25", {"spacing": 1e7}, "spacing"),
    ("pinwheel", {"n_arms": True}, "n_arms"),
    ("pinwheel", {"radial_std": 5.0}, "radial_std"),
    ("line", {"centre": [0.0]}, "centre"),
    ("line", {"angle": "north"}, "angle"),
    ("uniform_square", {"half_width": -1.0}, "half_width"),
    ("uniform_square", {"centre": [0.0, 1.0, 2.0]}, "centre"),
]


@pytest.mark.parametrize("name, params, key", BAD, ids=[f"{n}-{k}" for n, _, k in BAD])
def test_bad_parameters_raise_config_error_naming_them(name, params, key):
    with pytest.raises(ConfigError) as caught:
        make_target(name, **params)
    assert caught.value.key == key
    assert str(caught.value).startswith(f"{key} = ")
    assert caught.value.allowed


def test_unknown_target_name():
    with pytest.raises(ConfigError) as caught:
        make_target("no_such_target")
    assert caught.value.key == "name" and "ring8" in caught.value.allowed
