"""Mode metrics, grid divergences and the metric history (numpy only, no Qt)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from advplay.core.metrics import (
    MODE_METRIC_SAMPLES,
    GridReference,
    MetricHistory,
    grid_divergences,
    grid_reference,
    mode_metrics,
    target_metrics,
)
from advplay.core.targets.base import Target
from advplay.core.targets.mixtures import gaussian, grid25, mixture, ring8

HQ_2D = 1 - math.exp(-4.5)  # P(chi2 with 2 dof <= 3^2)


def _collapsed(target, n=MODE_METRIC_SAMPLES, mode=0, seed=0):
    """Samples from mode ``mode`` of ``target`` only."""
    rng = np.random.default_rng(seed)
    std = math.sqrt(target.mixture.covariances[mode, 0, 0])
    return target.mixture.means[mode] + std * rng.standard_normal((n, 2))


# ------------------------------------------------------------------------- mode metrics


@pytest.mark.parametrize("factory, n_modes", [(ring8, 8), (grid25, 25)])
def test_perfect_sampler_captures_every_mode(factory, n_modes):
    target = factory()
    samples, _ = target.sample(MODE_METRIC_SAMPLES, np.random.default_rng(1))
    result = mode_metrics(samples, target.mixture)
    assert result["n_modes"] == n_modes
    assert result["modes_captured"] == n_modes
    assert result["high_quality"] == pytest.approx(HQ_2D, abs=0.01)
    assert 0 <= result["reverse_kl"] < 0.05


@pytest.mark.parametrize("factory, n_modes", [(ring8, 8), (grid25, 25)])
def test_collapsed_sampler_captures_one_mode(factory, n_modes):
    target = factory()
    result = mode_metrics(_collapsed(target, mode=3), target.mixture)
    assert result["modes_captured"] == 1
    assert result["high_quality"] == pytest.approx(HQ_2D, abs=0.01)
    assert result["reverse_kl"] == pytest.approx(math.log(n_modes), abs=1e-12)


def test_half_the_modes_gives_log_two():
    target = ring8()
    rng = np.random.default_rng(2)
    labels = rng.choice([0, 2, 4, 6], size=MODE_METRIC_SAMPLES)
    samples = target.mixture.means[labels] + 0.01 * rng.standard_normal((len(labels), 2))
    result = mode_metrics(samples, target.mixture)
    assert result["modes_captured"] == 4
    assert result["reverse_kl"] == pytest.approx(math.log(2), abs=0.01)


def test_samples_far_from_every_mode_are_low_quality():
    target = ring8()
    samples = np.random.default_rng(3).uniform(-0.5, 0.5, size=(MODE_METRIC_SAMPLES, 2))
    result = mode_metrics(samples, target.mixture)
    assert result["high_quality"] == 0
    assert result["modes_captured"] == 0
    assert result["reverse_kl"] == pytest.approx(math.log(8))  # documented fallback
    json.dumps(result, allow_nan=False)


def test_distance_is_standardised_by_each_modes_covariance():
    # one mode, wide along x (std 1), narrow along y (std 0.1)
    target = gaussian(covariance=[[1.0, 0.0], [0.0, 0.01]])
    inside = mode_metrics(np.array([[2.5, 0.0]]), target.mixture)  # 2.5 std
    outside = mode_metrics(np.array([[0.0, 0.35]]), target.mixture)  # 3.5 std
    assert inside["high_quality"] == 1 and inside["modes_captured"] == 1
    assert outside["high_quality"] == 0 and outside["modes_captured"] == 0


def test_nearest_mode_is_nearest_in_standard_deviations():
    # (0.3, 0) is closer to the narrow mode in metres, but 0.3 std from the wide one
    target = mixture(weights=[1, 1], means=[[0, 0], [0.5, 0]], stds=[1.0, 0.01])
    result = mode_metrics(np.array([[0.3, 0.0]]), target.mixture)
    assert result["high_quality"] == 1
    assert result["modes_captured"] == 1
    assert result["reverse_kl"] == pytest.approx(math.log(2))


def test_reverse_kl_is_measured_against_the_mixture_weights():
    target = mixture(weights=[3, 1], means=[[-2, 0], [2, 0]], stds=[0.1, 0.1])
    samples, _ = target.sample(MODE_METRIC_SAMPLES, np.random.default_rng(4))
    assert mode_metrics(samples, target.mixture)["reverse_kl"] < 0.01


def test_non_finite_samples_count_as_low_quality():
    target = ring8()
    samples = _collapsed(target, n=100)
    samples[:50] = np.nan
    result = mode_metrics(samples, target.mixture)
    assert result["high_quality"] == pytest.approx(0.5 * HQ_2D, abs=0.05)
    assert result["modes_captured"] == 1


# --------------------------------------------------------------------- grid divergences


def test_grid_probabilities_are_normalised_and_exact_for_narrow_modes():
    target = ring8()
    reference = GridReference(target, grid_size=64)
    assert reference.probs.shape == (64, 64)
    assert reference.probs.sum() == pytest.approx(1.0)
    # numerical integration with many sub-points per cell agrees with the exact CDF path
    fine = _supersampled(target, reference, per_side=16)
    assert np.abs(fine - reference.probs).sum() < 0.005
    # each mode puts about 1/8 of the mass in the cells around its mean
    for mean in target.mixture.means:
        i = np.searchsorted(reference.x_edges, mean[0]) - 1
        j = np.searchsorted(reference.y_edges, mean[1]) - 1
        assert reference.probs[i - 1:i + 2, j - 1:j + 2].sum() == pytest.approx(1 / 8, abs=1e-3)


def _supersampled(target, reference, per_side):
    class Density(Target):  # the same density, without the mixture shortcut
        has_density = True
        bounds = target.bounds

        def sample(self, n, rng):
            return target.sample(n, rng)

        def log_prob(self, x):
            return target.log_prob(x)

    other = GridReference(Density(), grid_size=reference.grid_size, supersample=per_side)
    return other.probs


def test_correlated_gaussian_grid_is_symmetric():
    target = gaussian(covariance=[[1.0, 0.8], [0.8, 1.0]])
    probs = GridReference(target, grid_size=32).probs
    assert probs.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(probs, probs.T, atol=1e-12)
    assert np.trace(probs) > np.trace(np.fliplr(probs))


@pytest.mark.parametrize("factory", [ring8, grid25])
def test_grid_divergences_of_perfect_and_collapsed_samplers(factory):
    target = factory()
    perfect, _ = target.sample(MODE_METRIC_SAMPLES, np.random.default_rng(5))
    good = grid_divergences(perfect, target)
    bad = grid_divergences(_collapsed(target), target)
    assert good["grid_size"] == 64
    assert good["kl_grid"] < 0.5 and good["js_grid"] < 0.02
    assert bad["kl_grid"] > 20 * good["kl_grid"]
    assert bad["js_grid"] > 10 * good["js_grid"]
    for result in (good, bad):
        assert 0 <= result["js_grid"] <= math.log(2)
        json.dumps(result, allow_nan=False)


def test_js_reaches_log_two_for_samples_outside_the_window():
    target = ring8()
    far = np.full((500, 2), 100.0)
    far[:100] = np.inf  # non-finite samples also land outside
    result = grid_divergences(far, target)
    assert result["js_grid"] <= math.log(2)
    assert result["js_grid"] == pytest.approx(math.log(2), abs=1e-6)
    assert math.isfinite(result["kl_grid"])


def test_js_grows_with_the_shift_of_a_gaussian():
    target = gaussian()
    noise = np.random.default_rng(6).standard_normal((20000, 2))
    shifts = [0.0, 0.5, 1.0, 2.0, 4.0]
    js = [grid_divergences(noise + [s, 0.0], target)["js_grid"] for s in shifts]
    assert all(a < b for a, b in zip(js, js[1:])), js
    assert js[0] < 0.05 and js[-1] > 0.5


def test_grid_reference_is_cached_per_target_and_size():
    target = ring8()
    assert grid_reference(target) is grid_reference(target)
    assert grid_reference(target, 32) is not grid_reference(target)
    assert grid_reference(target, 32).grid_size == 32
    assert grid_reference(ring8()) is not grid_reference(target)


def test_target_without_density_is_rejected():
    class Cloud(Target):
        bounds = (-1.0, 1.0, -1.0, 1.0)

        def sample(self, n, rng):
            return rng.uniform(-1, 1, size=(n, 2)), None

    with pytest.raises(ValueError):
        GridReference(Cloud())
    assert target_metrics(np.zeros((10, 2)), Cloud()) == {}


def test_target_metrics_merges_mode_and_grid_metrics():
    target = ring8()
    samples, _ = target.sample(MODE_METRIC_SAMPLES, np.random.default_rng(7))
    reference = GridReference(target, grid_size=32)
    result = target_metrics(samples, target, grid=reference)
    assert set(result) == {
        "modes_captured", "n_modes", "high_quality", "reverse_kl", "kl_grid", "js_grid",
        "grid_size",
    }
    assert result["grid_size"] == 32 and result["modes_captured"] == 8
    assert target_metrics(samples, target)["grid_size"] == 64


# ------------------------------------------------------------------------------ history


def test_history_thins_evenly_and_keeps_first_and_last():
    history = MetricHistory(capacity=10)
    for step in range(1000):
        history.append(step * 5, {"loss": float(step)})
        assert len(history) <= 10
    steps = history.steps()
    assert steps[0] == 0 and steps[-1] == 999 * 5
    assert np.all(np.diff(steps) > 0)
    gaps = np.diff(steps[:-1])
    assert np.all(gaps == gaps[0])  # evenly spaced apart from the newest record
    assert len(history) >= 5
    np.testing.assert_array_equal(history.series("loss"), steps / 5)


def test_history_series_names_latest_and_json():
    history = MetricHistory(capacity=100)
    assert history.latest() is None and len(history) == 0
    history.append(0, {"d_loss": 1.0})
    history.append(10, {"d_loss": 0.5, "js_grid": 0.3})
    history.append(20, {"d_loss": 0.25, "js_grid": None})
    assert history.names() == ["d_loss", "js_grid"]
    np.testing.assert_array_equal(history.series("js_grid"), [np.nan, 0.3, np.nan])
    assert np.isnan(history.series("unknown")).all() and len(history.series("unknown")) == 3
    step, values = history.latest()
    assert step == 20 and values["d_loss"] == 0.25 and math.isnan(values["js_grid"])
    values["d_loss"] = 9.0  # a copy: the history is unchanged
    assert history.latest()[1]["d_loss"] == 0.25
    data = history.to_dict()
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text) == {"step": [0, 10, 20], "d_loss": [1.0, 0.5, 0.25],
                                "js_grid": [None, 0.3, None]}
    again = MetricHistory.from_dict(json.loads(text))
    np.testing.assert_array_equal(again.steps(), history.steps())
    np.testing.assert_array_equal(again.series("js_grid"), history.series("js_grid"))


def test_history_rejects_step_as_a_name_and_clears():
    history = MetricHistory(capacity=5)
    with pytest.raises(ValueError):
        history.append(0, {"step": 1.0})
    history.append(0, {"a": 1.0})
    history.clear()
    assert len(history) == 0 and history.names() == []


def _thinned_records(appends, capacity):
    """The records a history of ``capacity`` keeps, written out plainly: every stride-th
    append and the newest; the stride doubles while more than ``capacity`` are kept."""
    records, stride = [], 1
    for index, (step, values) in enumerate(appends):
        if records and records[-1][0] % stride:
            records.pop()
        records.append((index, step, values))
        while len(records) > capacity:
            stride *= 2
            records = [r for r in records[:-1] if r[0] % stride == 0] + [records[-1]]
    return records


def test_history_columns_match_the_plain_record_list():
    rng = np.random.default_rng(3)
    appends = []
    for step in range(0, 2000, 7):
        names = ["d"] + (["g"] if step >= 300 else []) + (["kl"] if rng.random() < 0.5 else [])
        values = {name: (None if rng.random() < 0.1 else float(rng.normal())) for name in names}
        appends.append((step, values))
    history = MetricHistory(capacity=37)
    for count, (step, values) in enumerate(appends, start=1):
        history.append(step, values)
        if count % 13 and count != len(appends):
            continue
        records = _thinned_records(appends[:count], 37)
        assert history.steps().tolist() == [r[1] for r in records]
        for name in ("d", "g", "kl", "never"):
            expected = [r[2].get(name) for r in records]
            expected = [math.nan if v is None else v for v in expected]
            np.testing.assert_array_equal(history.series(name), expected)
    assert history.names() == list(dict.fromkeys(n for _, values in appends for n in values))
    series = history.series("d")
    series[:] = 99.0  # a copy: the history is unchanged
    assert not np.any(history.series("d") == 99.0)
    before = (history.steps(), history.series("d"), history.names())
    with pytest.raises(TypeError):
        history.append(10**6, {3: 1.0})
    with pytest.raises((TypeError, ValueError)):
        history.append(10**6, {"d": "not a number"})
    after = (history.steps(), history.series("d"), history.names())  # a refused record: no change
    np.testing.assert_array_equal(after[0], before[0])
    np.testing.assert_array_equal(after[1], before[1])
    assert after[2] == before[2]
