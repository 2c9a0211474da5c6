"""``advplay bench speed``: every GAN-family model against the same plain loop."""

import torch

from advplay.bench import speed


def test_every_gan_family_model_is_measured_against_the_plain_loop():
    torch.set_num_threads(1)
    row = speed.measure(width=8, batch=16, steps=2, rounds=2)
    assert set(row["models"]) == set(speed.MODELS) >= {"gan", "pacgan2", "cgan", "ali"}
    for cell in row["models"].values():
        assert cell["steps_per_s"] > 0 and cell["ratio_vs_plain"] > 0
    assert row["ratio_vs_plain"] == row["models"]["gan"]["ratio_vs_plain"]
    assert row["device"] == "cpu" and row["plain_steps_per_s"] > 0


def test_plain_loop_trains_the_same_networks_on_the_given_device():
    config = speed.Config().replace({"model.width": 8, "train.batch_size": 4})
    history = speed.plain_loop(config, torch.device("cpu"))(3)
    assert len(history) == 3 and all(len(losses) == 2 for losses in history)
