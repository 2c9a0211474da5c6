"""The Dirac-GAN against the theory of Mescheder, Geiger & Nowozin (2018), Section 2.2-3."""

import math

import numpy as np
import pytest
import torch

from advplay.core.config import Config
from advplay.core.experiment import load_experiment, save_experiment
from advplay.core.models.dirac import FIELD_EXTENT, FIELD_SIDE, TRAJECTORY_POINTS, Trajectory
from advplay.core.session import Session
from advplay.core.views import grid_axes

H = 0.2  # the step size of both players
#: f'(0) of each loss: 1/2 for f(t) = -log(1 + e^-t), 1 for the Wasserstein f(t) = t
SLOPE = {"minimax": 0.5, "nonsaturating": 0.5, "wasserstein": 1.0}


def dirac(**changes) -> Session:
    return Session(Config().replace({"model.name": "dirac", "train.lr_d": H, "train.lr_g": H,
                                     "model.loss": "nonsaturating", **changes}))


def norms(session: Session) -> np.ndarray:
    """|(θ, ψ)| along the trajectory of the session's latest snapshot."""
    return np.linalg.norm(session.snapshot().extras["trajectory"].astype(np.float64), axis=1)


def field_jacobian(model, eps: float = 1e-6) -> np.ndarray:
    """d(θ̇, ψ̇)/d(θ, ψ) at the equilibrium, by central differences of the model's field."""
    columns = []
    for direction in ((eps, 0.0), (0.0, eps)):
        plus = model.vector_field(torch.tensor(direction[0], dtype=torch.float64),
                                  torch.tensor(direction[1], dtype=torch.float64))
        minus = model.vector_field(torch.tensor(-direction[0], dtype=torch.float64),
                                   torch.tensor(-direction[1], dtype=torch.float64))
        columns.append([(float(a) - float(b)) / (2 * eps) for a, b in zip(plus, minus)])
    return np.array(columns).T


def sigmoid(t):
    return 1 / (1 + np.exp(-t))


# -------------------------------------------------------------------- the vector field


@pytest.mark.parametrize("loss", ["minimax", "nonsaturating", "wasserstein"])
def test_field_is_the_papers_and_its_jacobian_has_eigenvalues_plus_minus_i_f_prime(loss):
    snapshot = dirac(**{"model.loss": loss}).snapshot()
    extras = snapshot.extras
    theta, psi, u, v = (extras[k].astype(np.float64)
                        for k in ("field_theta", "field_psi", "field_u", "field_v"))
    assert theta.shape == (FIELD_SIDE, FIELD_SIDE)
    assert theta.min() == -FIELD_EXTENT and theta.max() == FIELD_EXTENT
    np.testing.assert_array_equal(theta[0], theta[-1])  # rows are constant ψ
    # v(θ, ψ) = (-ψ f'(ψθ), θ f'(ψθ)); the non-saturating G uses -f(-ψθ): θ̇ = -ψ f'(-ψθ)
    f_prime = {"minimax": lambda t: sigmoid(-t), "nonsaturating": lambda t: sigmoid(-t),
               "wasserstein": lambda t: np.ones_like(t)}[loss]
    generator_argument = -psi * theta if loss == "nonsaturating" else psi * theta
    np.testing.assert_allclose(u, -psi * f_prime(generator_argument), atol=1e-6)
    np.testing.assert_allclose(v, theta * f_prime(psi * theta), atol=1e-6)
    slope = SLOPE[loss]
    jacobian = field_jacobian(dirac(**{"model.loss": loss}).model)
    np.testing.assert_allclose(jacobian, [[0, -slope], [slope, 0]], atol=1e-6)
    eigenvalues = np.linalg.eigvals(jacobian)
    np.testing.assert_allclose(sorted(eigenvalues.imag), [-slope, slope], atol=1e-6)
    # the minimax and Wasserstein flows keep |(θ, ψ)|; the non-saturating one shrinks it
    radial = theta * u + psi * v
    if loss == "nonsaturating":
        off_axes = (theta != 0) & (psi != 0)
        assert (radial[off_axes] < 0).all()
    else:
        np.testing.assert_allclose(radial, 0, atol=1e-6)


def test_regularisers_damp_the_equilibrium_as_derived():
    """R1: ψ̇ gains -γψ (Eq. 9); instance noise: ψ̇ gains 2 f''(0) σ² ψ = -σ²ψ/2."""
    r1 = field_jacobian(dirac(**{"model.regularizer": "r1", "model.r1": 0.3}).model)
    np.testing.assert_allclose(r1, [[0, -0.5], [0.5, -0.3]], atol=1e-6)
    noisy = dirac(**{"model.regularizer": "instance_noise", "model.noise_std": 0.5}).model
    np.testing.assert_allclose(field_jacobian(noisy), [[0, -0.5], [0.5, -0.125]], atol=1e-4)
    gp = dirac(**{"model.regularizer": "gp", "model.gp_weight": 2.0, "model.loss": "wasserstein"})
    u, v = gp.model.vector_field(torch.tensor(0.0, dtype=torch.float64),
                                 torch.tensor(0.5, dtype=torch.float64))
    assert (float(u), float(v)) == pytest.approx((-0.5, 2 * 2.0 * 0.5))  # -d/dψ λ(|ψ| - 1)²


# --------------------------------------------------------------------------- the steps


@pytest.mark.parametrize("loss", ["minimax", "nonsaturating", "wasserstein"])
def test_simultaneous_steps_spiral_out_by_the_eigenvalue_modulus(loss):
    """Near (0, 0) one step is x <- (I + hJ) x, eigenvalues 1 ± i h f'(0): the distance grows
    by sqrt(1 + h² f'(0)²) per step (exactly, since I + hJ is a scaled rotation)."""
    session = dirac(**{"model.loss": loss, "model.updates": "simultaneous"})
    if loss != "wasserstein":  # f'(t) is constant only for the Wasserstein loss
        session.model.set_point(1e-3, 0.0)
    steps = 400
    session.step(steps)
    distance = norms(session)
    assert len(distance) == steps + 1
    measured = (distance[-1] / distance[0]) ** (1 / steps)
    theory = math.sqrt(1 + (H * SLOPE[loss]) ** 2)
    assert measured == pytest.approx(theory, rel=1e-5)
    per_step = distance[1:] / distance[:-1]
    np.testing.assert_allclose(per_step, theory, rtol=1e-4)
    # and it turns by atan(h f'(0)) per step, counter-clockwise in the (θ, ψ) plane
    path = session.snapshot().extras["trajectory"].astype(np.float64)
    angles = np.unwrap(np.arctan2(path[:, 1], path[:, 0]))
    assert (angles[-1] - angles[0]) / steps == pytest.approx(math.atan(H * SLOPE[loss]), rel=1e-4)


@pytest.mark.parametrize("loss", ["minimax", "wasserstein"])
def test_alternating_steps_circle_without_growing_or_decaying(loss):
    """Alternating steps have a determinant-1 update (modulus-1 eigenvalues for h f'(0) < 2):
    from (1, 1) the distance wobbles in a narrow band for 1000 steps, with no trend."""
    session = dirac(**{"model.loss": loss, "model.updates": "alternating"})
    session.step(1000)
    distance = norms(session) / math.sqrt(2)
    assert distance.min() > 0.95 and distance.max() < 1.15
    assert distance[-100:].mean() == pytest.approx(distance[:100].mean(), rel=0.02)
    simultaneous = dirac(**{"model.loss": loss, "model.updates": "simultaneous"})
    simultaneous.step(1000)
    assert norms(simultaneous)[-1] > 2 * norms(session).max()  # the contrast the paper draws


def test_r1_converges_to_the_equilibrium_at_the_linear_rate():
    for updates in ("simultaneous", "alternating"):
        session = dirac(**{"model.regularizer": "r1", "model.r1": 0.3, "model.updates": updates})
        session.step(1000)
        assert session.latest_metrics["distance"] < 1e-8, updates
    # the simultaneous rate is the spectral radius of I + hJ, J = [[0, -1/2], [1/2, -γ]]
    theory = max(abs(np.linalg.eigvals(np.eye(2) + H * np.array([[0, -0.5], [0.5, -0.3]]))))
    session = dirac(**{"model.regularizer": "r1", "model.r1": 0.3, "model.updates": "simultaneous"})
    session.step(600)
    distance = norms(session)
    assert (distance[600] / distance[300]) ** (1 / 300) == pytest.approx(theory, rel=1e-3)


def test_instance_noise_converges_where_the_plain_game_circles():
    noisy = dirac(**{"model.regularizer": "instance_noise", "model.noise_std": 0.5,
                     "model.loss": "minimax"})
    noisy.step(1500)
    assert noisy.latest_metrics["distance"] < 1e-3
    plain = dirac(**{"model.loss": "minimax"})
    plain.step(1500)
    assert plain.latest_metrics["distance"] > 1.3


def test_a_player_left_out_does_not_move():
    session = dirac()
    session.step(3, players=("d",))
    assert float(session.model.theta) == 1.0 and float(session.model.psi) != 1.0
    assert math.isnan(session.latest_losses["g"]) and math.isfinite(session.latest_losses["d"])


# ------------------------------------------------------------------------- the picture


def test_snapshot_shows_the_game_in_data_space():
    session = dirac()
    session.step(7)
    snapshot = session.snapshot()
    theta, psi = snapshot.extras["theta_psi"].astype(np.float64)
    assert (theta, psi) == pytest.approx((float(session.model.theta), float(session.model.psi)),
                                         rel=1e-6)
    height, width = snapshot.discriminator_output.shape
    xs, _ = grid_axes(snapshot.bounds, (height, width))
    np.testing.assert_allclose(snapshot.discriminator_output, np.tile(psi * xs, (height, 1)),
                               rtol=1e-5, atol=1e-6)
    assert not snapshot.output_is_probability and snapshot.decision_level == 0.0
    assert not snapshot.real.any() and snapshot.real_labels is None  # the data is δ0
    np.testing.assert_allclose(snapshot.fake, np.tile([theta, 0.0], (len(snapshot.fake), 1)))
    # the non-saturating generator loss softplus(ψx): its gradient at x = θ is ψ sigmoid(ψθ)
    np.testing.assert_allclose(snapshot.fake_gradients[:, 0], psi * sigmoid(psi * theta),
                               rtol=1e-5)
    assert not snapshot.fake_gradients[:, 1].any() and snapshot.manifold.shape == (0, 0, 2)
    assert set(snapshot.metrics) == {"theta", "psi", "distance", "speed"}
    np.testing.assert_allclose(session.samples(2500), np.tile([theta, 0.0], (2500, 1)), rtol=1e-6)


def test_trajectory_is_bounded_and_keeps_its_ends():
    session = dirac(**{"model.updates": "simultaneous", "model.loss": "minimax"})
    session.step(4321)
    path = session.snapshot().extras["trajectory"]
    assert len(path) <= TRAJECTORY_POINTS
    np.testing.assert_array_equal(path[0], [1.0, 1.0])
    np.testing.assert_array_equal(path[-1], session.snapshot().extras["theta_psi"])
    trajectory = Trajectory(100)
    for i in range(1001):
        trajectory.append(i, float(i), 0.0)
    kept = trajectory.points()[:, 0]
    assert len(kept) <= 100 and kept[0] == 0 and kept[-1] == 1000
    assert len(set(np.diff(kept[:-1]))) == 1  # evenly spaced, then the newest


def test_same_config_same_run_and_a_saved_experiment_continues_exactly(tmp_path):
    config = {"model.loss": "minimax", "model.regularizer": "instance_noise"}
    first, second = dirac(**config), dirac(**config)
    first.step(60)
    second.step(30)
    save_experiment(tmp_path / "run.advplay", second)  # θ, ψ and the trajectory go along
    second.step(30)
    restored = load_experiment(tmp_path / "run.advplay").session()
    restored.step(30)
    for other in (second, restored):
        np.testing.assert_array_equal(other.snapshot().extras["trajectory"],
                                      first.snapshot().extras["trajectory"])
        assert other.latest_losses == first.latest_losses
