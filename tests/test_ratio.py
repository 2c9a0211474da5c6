"""The density-ratio estimator: objectives, true log-ratio and KL, training, determinism."""

import dataclasses
import math

import numpy as np
import pytest
import torch

from advplay.core.config import Config
from advplay.core.errors import ConfigError
from advplay.core.experiment import load_experiment, save_experiment
from advplay.core.models import MODELS
from advplay.core.models.ratio import (
    LOG_RATIO_CLIP, RATIO_LOSSES, gaussian_kl, reference_target, true_kl, true_log_ratio,
)
from advplay.core.session import Session
from advplay.core.targets import make_target
from advplay.core.views import grid_axes

#: p = N(0, [[1, rho], [rho, 1]]) against q = N(0, I) has KL[p || q] = -log(1 - rho^2) / 2
RHO = 0.7951
KL_HALF_NAT = -0.5 * math.log(1 - RHO**2)  # 0.50009
CORRELATED = {"target.name": "gaussian", "target.covariance": [[1.0, RHO], [RHO, 1.0]],
              "model.name": "ratio", "model.reference": "gaussian"}
SMALL = {"model.width": 64, "model.depth": 2, "train.batch_size": 512, "train.metrics_every": 500}


def ratio_config(**changes) -> Config:
    return Config().replace({**CORRELATED, **SMALL, **changes})


def correlated_log_ratio(points: np.ndarray) -> np.ndarray:
    """log N(x; 0, Sigma) - log N(x; 0, I), written out independently of the targets."""
    sigma = np.array([[1.0, RHO], [RHO, 1.0]])
    quadratic = np.einsum("ni,ij,nj->n", points, np.linalg.inv(sigma) - np.eye(2), points)
    return -0.5 * np.log(np.linalg.det(sigma)) - 0.5 * quadratic


def inverse_softplus(r: torch.Tensor) -> torch.Tensor:
    """T with softplus(T) = r, stable for large r."""
    return r + torch.log(-torch.expm1(-r))


def trained(loss: str, steps: int, decay_steps: int = 0, seed: int = 0) -> Session:
    """A session trained ``steps`` at lr 1e-3, then ``decay_steps`` at 1e-4."""
    session = Session(ratio_config(**{"model.ratio_loss": loss, "train.seed": seed}))
    session.step(steps)
    if decay_steps:
        session.apply({"train.lr_d": 1e-4})
        session.step(decay_steps)
    return session


# ------------------------------------------------------------------------- the objectives


def test_each_objective_is_optimal_at_its_documented_log_ratio():
    """At the true T the bounds equal the KL, and offsets or scalings of T make each loss worse.

    p = N((0.5, 0), 0.8^2 I) against q = N(0, I): r is bounded, so every sample average is
    tame (for the correlated pair E_q[r^4] is infinite and uLSIF's sample loss is noisy).
    """
    mean, std = np.array([0.5, 0.0]), 0.8
    rng = np.random.default_rng(0)
    x_p = mean + std * rng.standard_normal((200_000, 2))
    x_q = rng.standard_normal((200_000, 2))

    def log_ratio(x):
        return torch.as_tensor(-2 * np.log(std) - ((x - mean) ** 2).sum(1) / (2 * std**2)
                               + (x**2).sum(1) / 2)

    kl = gaussian_kl(mean, std**2 * np.eye(2), np.zeros(2), np.eye(2))
    log_r_p, log_r_q = log_ratio(x_p), log_ratio(x_q)
    optimal = {  # T at the optimum of each objective (module docstring)
        "logistic": (log_r_p, log_r_q),
        "ulsif": (inverse_softplus(log_r_p.exp()), inverse_softplus(log_r_q.exp())),
        "nwj": (log_r_p + 1, log_r_q + 1),
        "dv": (log_r_p + 3.0, log_r_q + 3.0),  # any constant: DV is shift invariant
    }
    for name, (t_p, t_q) in optimal.items():
        objective = RATIO_LOSSES[name]
        best = float(objective.loss(t_p, t_q))
        for shift in (-0.3, 0.3):
            shifted = float(objective.loss(t_p + shift, t_q + shift))
            if name == "dv":
                assert shifted == pytest.approx(best, abs=1e-9)
            else:
                assert shifted > best + 1e-3, name
        for scale in (0.8, 1.2):
            assert float(objective.loss(scale * t_p, scale * t_q)) > best + 1e-3, name
        recovered = objective.log_ratio(t_p, t_q).numpy()
        np.testing.assert_allclose(recovered, log_r_p.numpy(), atol=0.02, err_msg=name)
        if objective.bound is not None:
            assert float(objective.bound(t_p, t_q)) == pytest.approx(kl, abs=0.01)


def test_kl_in_closed_form_and_on_a_grid_agree_with_monte_carlo():
    q = reference_target("gaussian")
    p = make_target("gaussian", covariance=[[1.0, RHO], [RHO, 1.0]])
    assert true_kl(p, q) == pytest.approx(KL_HALF_NAT, rel=1e-9)
    shifted = gaussian_kl([1.0, -2.0], np.diag([2.0, 0.5]), [0.0, 0.0], np.eye(2))
    assert shifted == pytest.approx(0.5 * (2.5 + 5 - 2 - math.log(1.0)), rel=1e-12)
    rng = np.random.default_rng(1)
    for name in ("mixture", "ring8", "banana"):  # the grid path: no closed form
        target = make_target(name)
        samples = target.sample(200_000, rng)[0]
        log_ratio = true_log_ratio(target, q, samples)
        monte_carlo, error = log_ratio.mean(), 4 * log_ratio.std() / math.sqrt(len(samples))
        assert abs(true_kl(target, q) - monte_carlo) < error + 0.005 * monte_carlo, name
    # uniform on [-1, 1]^2 against N(0, I): -log 4 + log(2 pi) + E[x^2 + y^2] / 2
    exact = -math.log(4) + math.log(2 * math.pi) + 1 / 3
    assert true_kl(make_target("uniform_square"), q) == pytest.approx(exact, rel=0.005)


def test_a_reference_without_density_is_refused_naming_the_fix():
    config = Config()
    bad = dataclasses.replace(config, model=dataclasses.replace(
        config.model, name="ratio", reference="two_moons"))  # bypasses validation
    with pytest.raises(ConfigError, match=r"model.reference.*no closed-form density.*gaussian"):
        Session(bad)
    with pytest.raises(ConfigError, match="model.reference"):
        Config().replace({"model.name": "ratio", "model.reference": "two_moons"})


# ------------------------------------------------------------------------------ training


def test_logistic_classifier_recovers_half_a_nat():
    session = trained("logistic", 2000, decay_steps=500)
    metrics = session.latest_metrics
    assert metrics["kl_true"] == pytest.approx(KL_HALF_NAT, rel=1e-9)
    assert metrics["kl_estimate"] == pytest.approx(KL_HALF_NAT, rel=0.05)
    assert metrics["kl_error"] == pytest.approx(metrics["kl_estimate"] - metrics["kl_true"])
    assert metrics["log_ratio_rmse"] < 0.15
    history = session.metric_history.series("log_ratio_rmse")
    assert history[0] > 3 * history[-1]  # an untrained T is far off


@pytest.mark.parametrize("loss", ["nwj", "dv"])
def test_variational_bounds_recover_half_a_nat(loss):
    session = trained(loss, 1500)
    metrics = session.latest_metrics
    assert metrics["kl_estimate"] == pytest.approx(KL_HALF_NAT, rel=0.05)
    assert metrics["log_ratio_rmse"] < 0.2


def test_ulsif_estimate_is_close_but_biased_low():
    """uLSIF fits r in L2(q), which weighs little where r is large (q's tails): log r is
    underestimated there and E_p[log r] comes out a few percent low."""
    estimate = trained("ulsif", 2000, decay_steps=500).latest_metrics["kl_estimate"]
    assert 0.8 * KL_HALF_NAT < estimate < 1.02 * KL_HALF_NAT


def test_the_one_player_reports_one_loss_and_can_be_left_out():
    session = Session(ratio_config())
    session.step(3)
    assert list(session.latest_losses) == ["d"] and math.isfinite(session.latest_losses["d"])
    before = [p.detach().clone() for p in session.model.classifier.parameters()]
    session.step(2, players=("g",))  # nobody moves
    assert all(torch.equal(a, b) for a, b in zip(before, session.model.classifier.parameters()))
    assert session.snapshot().history_losses.shape == (5, 1)


# --------------------------------------------------------------------------------- frames


def test_snapshot_surfaces_and_points():
    session = Session(ratio_config())
    session.step(300)
    snapshot = session.snapshot()
    extras = snapshot.extras
    height, width = snapshot.discriminator_logit.shape
    xs, ys = grid_axes(snapshot.bounds, (height, width))
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)  # row = y, column = x
    truth = correlated_log_ratio(grid).reshape(height, width)
    np.testing.assert_allclose(extras["true_log_ratio"], np.clip(truth, -LOG_RATIO_CLIP,
                                                                 LOG_RATIO_CLIP), atol=1e-4)
    np.testing.assert_array_equal(extras["log_ratio"], snapshot.discriminator_logit)
    np.testing.assert_array_equal(extras["log_ratio"], snapshot.discriminator_output)
    np.testing.assert_allclose(extras["log_ratio_error"], extras["log_ratio"] - truth, atol=1e-3)
    assert not snapshot.output_is_probability and snapshot.decision_level == 0.0
    # the estimate already has the shape of the truth where p has its mass
    inside = np.linalg.norm(grid, axis=1).reshape(height, width) < 1.5
    assert np.corrcoef(extras["log_ratio"][inside], truth[inside])[0, 1] > 0.9
    # the "fakes" are the view's fixed batch of q = N(0, I); nothing moves them
    assert snapshot.fake.shape == (1000, 2)
    assert np.abs(snapshot.fake.mean(axis=0)).max() < 0.15
    np.testing.assert_allclose(np.cov(snapshot.fake.T), np.eye(2), atol=0.15)
    assert not snapshot.fake_gradients.any() and snapshot.manifold.shape == (0, 0, 2)


def test_support_edges_are_clipped_and_their_error_left_undefined():
    session = Session(Config().replace({"target.name": "uniform_square", "model.name": "ratio",
                                        **SMALL}))
    extras = session.snapshot().extras
    truth = extras["true_log_ratio"]
    outside = truth == -LOG_RATIO_CLIP
    assert outside.any() and (~outside).any()  # the window reaches past the square
    assert np.isnan(extras["log_ratio_error"][outside]).all()
    assert np.isfinite(extras["log_ratio_error"][~outside]).all()


def test_a_target_without_density_gets_the_estimate_only():
    session = Session(Config().replace({"target.name": "two_moons", "model.name": "ratio",
                                        **SMALL}))
    session.step(20)
    snapshot = session.snapshot()
    assert set(snapshot.extras) == {"log_ratio"}
    assert set(session.latest_metrics) == {"kl_estimate"}


def test_samples_are_of_the_reference():
    session = Session(Config().replace({"target.name": "ring8", "model.name": "ratio",
                                        "model.reference": "uniform_square", **SMALL}))
    samples = session.samples(2500)
    assert samples.shape == (2500, 2) and samples.dtype == np.float32
    assert np.abs(samples).max() <= 1.0 and samples.std(axis=0) == pytest.approx([0.577] * 2,
                                                                                  abs=0.03)
    np.testing.assert_array_equal(samples, session.samples(2500))


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_run_and_a_saved_experiment_continues_exactly(tmp_path):
    first, second = Session(ratio_config()), Session(ratio_config())
    first.step(40)
    second.step(20)
    save_experiment(tmp_path / "run.advplay", second)  # the q stream's state goes along
    second.step(20)
    assert first.latest_losses == second.latest_losses
    np.testing.assert_array_equal(first.snapshot().extras["log_ratio"],
                                  second.snapshot().extras["log_ratio"])
    restored = load_experiment(tmp_path / "run.advplay").session()
    restored.step(20)
    assert restored.latest_losses == first.latest_losses
    other = Session(ratio_config(**{"train.seed": 1}))
    other.step(40)
    assert other.latest_losses != first.latest_losses


def test_registered_and_listed():
    assert "ratio" in MODELS
    assert "log" in MODELS.entry("ratio").description
