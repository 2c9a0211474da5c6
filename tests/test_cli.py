"""The command line end to end, in a subprocess as a user runs it."""

import json
import subprocess
import sys
import tomllib

import numpy as np
import pytest

SMALL = """
[target]
name = "grid25"
[model]
width = 32
depth = 2
[train]
steps = 60
batch_size = 64
metrics_every = 20
"""


def advplay(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "advplay", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300, env={**__import__("os").environ,
                                                     "OMP_NUM_THREADS": "1"})


def test_train_writes_metrics_samples_and_resolved_config(tmp_path):
    config = tmp_path / "small.toml"
    config.write_text(SMALL)
    out = tmp_path / "run"
    result = advplay("train", str(config), "--steps", "40", "--seed", "5", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "step 40/40 (100%)" in result.stderr  # plain progress lines when not a terminal
    samples = np.load(out / "samples.npy")
    assert samples.shape == (2500, 2) and samples.dtype == np.float32
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["step"] == 40
    assert metrics["final"]["n_modes"] == 25
    assert {"modes_captured", "high_quality", "reverse_kl", "kl_grid", "js_grid"} <= set(metrics["final"])
    assert metrics["history"]["step"] == [0, 20, 40]
    assert len(metrics["loss_history"]["step"]) == 40
    resolved = tomllib.loads((out / "config.toml").read_text())
    assert resolved["train"]["steps"] == 40 and resolved["train"]["seed"] == 5
    assert resolved["target"] == {"name": "grid25", "spacing": 2.0, "std": 0.05, "n_per_side": 5}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".run-")]  # no staging left


def test_same_seed_same_samples(tmp_path):
    config = tmp_path / "small.toml"
    config.write_text(SMALL)
    for name in ("a", "b"):
        assert advplay("train", str(config), "--steps", "20", "--out", str(tmp_path / name)).returncode == 0
    np.testing.assert_array_equal(np.load(tmp_path / "a/samples.npy"), np.load(tmp_path / "b/samples.npy"))


@pytest.mark.parametrize("text, key", [
    ('[train]\nlr_d = "x"\n', "train.lr_d"),
    ('[target]\nname = "nope"\n', "target.name"),
    ("[train\n", "config"),
])
def test_bad_config_exits_2_with_one_message_and_writes_nothing(tmp_path, text, key):
    config = tmp_path / "bad.toml"
    config.write_text(text)
    out = tmp_path / "out"
    result = advplay("train", str(config), "--out", str(out))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and key in result.stderr
    assert not out.exists()


def test_missing_file_and_bad_override_exit_2(tmp_path):
    result = advplay("train", str(tmp_path / "missing.toml"))
    assert result.returncode == 2 and "cannot be read" in result.stderr
    config = tmp_path / "ok.toml"
    config.write_text(SMALL)
    result = advplay("train", str(config), "--steps", "-3", "--out", str(tmp_path / "o"))
    assert result.returncode == 2 and "train.steps = -3" in result.stderr
    result = advplay("train", str(config), "--device", "quantum", "--out", str(tmp_path / "o"))
    assert result.returncode == 2 and "train.device" in result.stderr
    assert not (tmp_path / "o").exists()


def test_divergence_exits_1_and_leaves_nothing(tmp_path):
    config = tmp_path / "wild.toml"
    config.write_text('[model]\nloss = "wasserstein"\ngp_weight = 0.0\n'
                      '[train]\noptimizer = "sgd"\nlr_d = 10.0\nlr_g = 10.0\nsteps = 2000\n')
    result = advplay("train", str(config), "--out", str(tmp_path / "out"))
    assert result.returncode == 1 and "diverged at step" in result.stderr
    assert not (tmp_path / "out").exists()


def test_presets_lists_targets_models_and_losses():
    result = advplay("presets")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    for name in ("ring8", "grid25", "two_moons", "gan", "wasserstein"):
        assert any(line.split()[:1] == [name] for line in lines), name


def test_example_configs_are_valid():
    from pathlib import Path

    from advplay.core.config import load_config

    examples = sorted((Path(__file__).parents[1] / "resources" / "examples").glob("*.toml"))
    assert examples
    for path in examples:
        load_config(path)


def test_train_continues_an_experiment_file_exactly(tmp_path):
    from advplay.cli import main
    from advplay.core.experiment import load_experiment

    config = tmp_path / "small.toml"
    config.write_text('[model]\nwidth = 32\ndepth = 2\n[train]\nbatch_size = 64\n'
                      'metrics_every = 10\n')
    assert main(["train", str(config), "--steps", "30", "--out", str(tmp_path / "a")]) == 0
    saved = tmp_path / "a" / "experiment.advplay"
    assert load_experiment(saved).step == 30
    assert main(["train", str(saved), "--steps", "20", "--out", str(tmp_path / "b")]) == 0
    assert main(["train", str(config), "--steps", "50", "--out", str(tmp_path / "c")]) == 0
    continued = np.load(tmp_path / "b" / "samples.npy")
    straight = np.load(tmp_path / "c" / "samples.npy")
    np.testing.assert_array_equal(continued, straight)
    assert load_experiment(tmp_path / "b" / "experiment.advplay").step == 50


def test_a_bad_experiment_file_exits_2_with_a_message(tmp_path, capsys):
    from advplay.cli import main

    bad = tmp_path / "bad.advplay"
    bad.write_bytes(b"not a zip at all")
    assert main(["train", str(bad), "--out", str(tmp_path / "out")]) == 2
    assert "experiment" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
