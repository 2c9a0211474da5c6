"""Learning-rate schedules and the moving average of G: formulas, views, determinism, files."""

import math

import numpy as np
import pytest
import torch

from advplay.core.config import Config
from advplay.core.errors import ConfigError
from advplay.core.experiment import load_experiment, save_experiment
from advplay.core.schedules import ema_update, lr_factor
from advplay.core.session import Session

SMALL = {"model.width": 32, "model.depth": 2, "train.batch_size": 64, "train.metrics_every": 10}
SCHEDULED = {"train.ema": 0.9, "train.lr_schedule": "cosine", "train.steps": 60}


def small_session(**changes) -> Session:
    return Session(Config().replace({**SMALL, **changes}))


@pytest.mark.parametrize("schedule, start, middle, end", [
    ("constant", 1.0, 1.0, 1.0), ("cosine", 1.0, 0.5, 0.0), ("linear", 1.0, 0.5, 0.0)])
def test_schedule_values_at_start_middle_and_end(schedule, start, middle, end):
    assert lr_factor(schedule, 0, 1000) == pytest.approx(start)
    assert lr_factor(schedule, 500, 1000) == pytest.approx(middle)
    assert lr_factor(schedule, 1000, 1000) == pytest.approx(end, abs=1e-12)
    assert lr_factor(schedule, 5000, 1000) == pytest.approx(end, abs=1e-12)  # stays at the end
    assert lr_factor("cosine", 250, 1000) == pytest.approx(0.5 * (1 + math.cos(math.pi / 4)))


def test_a_decay_over_the_last_part_of_the_run_ends_at_the_final_factor():
    # constant until 75% of the run, then linear from 1 to 0.1 over the last quarter
    assert lr_factor("linear", 700, 1000, start=0.75, final=0.1) == pytest.approx(1.0)
    assert lr_factor("linear", 875, 1000, start=0.75, final=0.1) == pytest.approx(0.55)
    assert lr_factor("linear", 1000, 1000, start=0.75, final=0.1) == pytest.approx(0.1)
    assert lr_factor("linear", 4000, 1000, start=0.75, final=0.1) == pytest.approx(0.1)
    assert lr_factor("cosine", 875, 1000, start=0.75, final=0.1) == pytest.approx(0.55)
    assert lr_factor("cosine", 1000, 1000, start=1.0, final=0.1) == pytest.approx(0.1)
    assert lr_factor("cosine", 999, 1000, start=1.0, final=0.1) == pytest.approx(1.0)


def test_the_session_keeps_training_after_the_schedule_at_the_final_factor():
    session = small_session(**{**SCHEDULED, "train.lr_schedule": "linear", "train.steps": 20,
                               "train.lr_decay_start": 0.5, "train.lr_final": 0.2})
    session.step(10)
    assert session.model.opt_g.param_groups[0]["lr"] == pytest.approx(1e-3)
    session.step(20)
    assert session.model.opt_g.param_groups[0]["lr"] == pytest.approx(2e-4)
    before = [p.detach().clone() for p in session.model.generator.parameters()]
    session.step(5)
    assert any(not torch.equal(b, p) for b, p in zip(before, session.model.generator.parameters()))


def test_ema_update_follows_the_formula():
    torch.manual_seed(0)
    average, network = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    before = [p.detach().clone() for p in average.parameters()]
    ema_update(average, network, 0.9)
    for old, new, current in zip(before, average.parameters(), network.parameters()):
        torch.testing.assert_close(new, 0.9 * old + 0.1 * current)


def test_optimiser_rates_follow_the_schedule_during_training():
    session = small_session(**SCHEDULED, **{"train.lr_d": 2e-3, "train.lr_g": 1e-3})
    session.step(30)  # the 30th iteration (index 29) ran at factor(29 / 60)
    factor = lr_factor("cosine", 29, 60)
    assert session.model.opt_d.param_groups[0]["lr"] == pytest.approx(2e-3 * factor)
    assert session.model.opt_g.param_groups[0]["lr"] == pytest.approx(1e-3 * factor)
    session.apply({"train.lr_schedule": "constant"})  # may change while training
    assert session.model.opt_g.param_groups[0]["lr"] == pytest.approx(1e-3)


def test_the_average_tracks_g_and_is_what_views_and_metrics_sample():
    session = small_session(**SCHEDULED)
    model = session.model
    session.step(9)
    before = [p.detach().clone() for p in model.generator_ema.parameters()]
    session.step(1)
    for old, new, current in zip(before, model.generator_ema.parameters(),
                                 model.generator.parameters()):
        torch.testing.assert_close(new, 0.9 * old + 0.1 * current)
    assert not all(torch.equal(a, b) for a, b in zip(model.generator_ema.parameters(),
                                                     model.generator.parameters()))
    snapshot = session.snapshot()
    with torch.no_grad():
        expected = model.generator_ema(session._view.latent).numpy()
    np.testing.assert_array_equal(snapshot.fake, expected)
    samples = session.samples(50, seed=7)
    z = model.sample_latent(50, torch.Generator().manual_seed(7))
    np.testing.assert_array_equal(samples, model.generator_ema(z).detach().numpy())


def test_a_generator_only_step_moves_the_average_and_a_discriminator_step_does_not():
    session = small_session(**SCHEDULED)
    session.step(3)
    before = [p.detach().clone() for p in session.model.generator_ema.parameters()]
    session.step(1, players=("d",))
    assert all(torch.equal(a, b) for a, b in zip(before, session.model.generator_ema.parameters()))
    session.step(1, players=("g",))
    assert not all(torch.equal(a, b)
                   for a, b in zip(before, session.model.generator_ema.parameters()))


def test_defaults_keep_the_old_behaviour():
    config = Config()
    assert (config.train.ema, config.train.lr_schedule) == (0.0, "constant")
    session = small_session(**{"train.lr_g": 3e-4})
    session.step(20)
    assert session.model.generator_ema is None
    assert session.model.sampler is session.model.generator
    assert session.model.opt_g.param_groups[0]["lr"] == 3e-4


def test_same_seed_same_run_with_schedules():
    a, b = small_session(**SCHEDULED), small_session(**SCHEDULED)
    a.step(25)
    b.step(25)
    np.testing.assert_array_equal(a.snapshot().fake, b.snapshot().fake)
    assert a.latest_metrics == b.latest_metrics


def test_continuing_a_scheduled_run_from_a_file_is_exact(tmp_path):
    straight = small_session(**SCHEDULED)
    straight.step(50)
    first = small_session(**SCHEDULED)
    first.step(20)
    save_experiment(tmp_path / "half.advplay", first)
    restored = load_experiment(tmp_path / "half.advplay").session()
    for mine, theirs in zip(first.model.generator_ema.parameters(),
                            restored.model.generator_ema.parameters()):
        assert torch.equal(mine, theirs)
    np.testing.assert_array_equal(restored.snapshot().fake, first.snapshot().fake)
    restored.step(30)
    np.testing.assert_array_equal(restored.snapshot().fake, straight.snapshot().fake)
    assert restored.latest_metrics == straight.latest_metrics
    assert restored.model.opt_d.param_groups[0]["lr"] == straight.model.opt_d.param_groups[0]["lr"]


@pytest.mark.parametrize("key, value", [("train.ema", 1.0), ("train.ema", -0.1),
                                        ("train.lr_schedule", "step")])
def test_bad_values_are_refused(key, value):
    with pytest.raises(ConfigError, match=key.split(".")[1]):
        Config().replace({key: value})


def test_turning_the_average_on_needs_a_new_session():
    session = small_session()
    with pytest.raises(ConfigError, match="cannot change while training"):
        session.apply({"train.ema": 0.99})
