"""A drawing as the reference q of the density-ratio estimator: config, truth, training,
refusals, and experiment files that carry the drawing with them."""

import math

import numpy as np
import pytest

from advplay.cli import main
from advplay.core.config import Config
from advplay.core.drawn import save_drawing
from advplay.core.errors import ConfigError
from advplay.core.experiment import load_experiment, save_experiment
from advplay.core.session import Session

BOUNDS = (-2.0, 2.0, -2.0, 2.0)


@pytest.fixture
def squares(tmp_path, monkeypatch):
    """p uniform on [-1, 1]^2 and q uniform on [-2, 2]^2, both drawn: KL[p || q] = log 4."""
    monkeypatch.setenv("ADVPLAY_DATA_DIR", str(tmp_path / "data"))
    inner = np.zeros((1, 40, 40))
    inner[0, 10:30, 10:30] = 1.0
    save_drawing(tmp_path / "p.npz", inner, BOUNDS)
    save_drawing(tmp_path / "q.npz", np.ones((1, 40, 40)), BOUNDS)
    return tmp_path


def drawn_ratio(folder, **changes) -> Config:
    return Config().replace({
        "target.name": "drawn", "target.path": str(folder / "p.npz"), "model.name": "ratio",
        "model.reference": "drawn", "model.reference_path": str(folder / "q.npz"),
        "model.width": 64, "model.depth": 2, "train.lr_d": 3e-3, "train.batch_size": 512,
        "train.metrics_every": 500, **changes})


def test_drawn_reference_gives_the_exact_truth_and_training_recovers_the_kl(squares):
    session = Session(drawn_ratio(squares))
    session.step(1500)
    metrics = session.snapshot().metrics
    assert metrics["kl_true"] == pytest.approx(math.log(4.0), rel=1e-9)
    assert metrics["kl_estimate"] == pytest.approx(math.log(4.0), rel=0.1)
    truth = session.snapshot().extras["true_log_ratio"]
    assert np.nanmax(truth) == pytest.approx(math.log(4.0))  # inside the inner square


def test_samples_of_a_drawn_reference_fill_its_drawing(squares):
    session = Session(drawn_ratio(squares))
    fakes = session.snapshot().fake
    assert np.all(np.abs(fakes) <= 2.0) and np.abs(fakes).max() > 1.5  # beyond p's square


@pytest.mark.parametrize("path, words", [("", "must name the drawing file"),
                                         ("missing.npz", "not a readable drawing")])
def test_a_drawn_reference_without_a_readable_file_is_refused_naming_the_key(squares, path, words):
    config = drawn_ratio(squares, **{"model.reference_path": path})
    with pytest.raises(ConfigError, match=words) as caught:
        Session(config)
    assert caught.value.key == "model.reference_path"


def test_reference_path_must_be_text():
    with pytest.raises(ConfigError, match="must be text"):
        Config().replace({"model.reference_path": 3})


def test_experiment_carries_its_reference_drawing_after_the_file_is_gone(squares):
    session = Session(drawn_ratio(squares))
    session.step(20)
    save_experiment(squares / "run.advplay", session, (session.target.density, BOUNDS))
    (squares / "q.npz").unlink()
    experiment = load_experiment(squares / "run.advplay")
    unpacked = experiment.config.model.reference_path
    assert unpacked.startswith(str(squares / "data" / "references"))
    reopened = experiment.session()
    np.testing.assert_array_equal(reopened.model.reference.density, session.model.reference.density)
    session.step(10)
    reopened.step(10)
    assert reopened.snapshot().losses == session.snapshot().losses
    assert reopened.snapshot().metrics == session.snapshot().metrics


def test_cli_refuses_a_missing_reference_drawing_with_exit_2(squares, capsys):
    config = squares / "run.toml"
    config.write_text('[target]\nname = "gaussian"\n[model]\nname = "ratio"\n'
                      'reference = "drawn"\nreference_path = "nowhere.npz"\n')
    assert main(["train", str(config), "--steps", "5", "--out", str(squares / "out")]) == 2
    assert "model.reference_path" in capsys.readouterr().err
