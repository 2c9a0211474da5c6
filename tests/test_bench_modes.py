"""``advplay bench modes``: statistics, tables, model resolution, bad input, a quick run."""

import json
import math
import os
import subprocess
import sys

import pytest

from advplay.bench.modes import (SeedResult, markdown_table, mean_and_error, parse_models,
                                 preset_names, resolve_model, summarise, table_rows)
from advplay.core.errors import ConfigError


def advplay(*args):
    return subprocess.run([sys.executable, "-m", "advplay", *args], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})


def result(model, seed, modes, high_quality, reverse_kl, diverged=False):
    return SeedResult(model, seed, 100, modes, high_quality, reverse_kl, 2.0, diverged)


def test_mean_and_standard_error_on_known_numbers():
    mean, error = mean_and_error([1.0, 2.0, 3.0, 4.0])
    assert mean == 2.5
    assert error == pytest.approx(math.sqrt(5 / 3) / 2)  # sample sd sqrt(5/3), over sqrt(4)
    assert mean_and_error([7.0, 7.0]) == (7.0, 0.0)
    single = mean_and_error([3.0])
    assert single[0] == 3.0 and math.isnan(single[1])


def test_summaries_follow_the_given_order_and_count_divergences():
    results = [result("b", 0, 8, 90.0, 0.1), result("a", 0, 2, 50.0, 1.0),
               result("a", 1, 4, 70.0, 0.5, diverged=True)]
    a, b = summarise(results, ["a", "b"])
    assert (a.model, a.seeds, a.diverged, b.model, b.seeds) == ("a", 2, 1, "b", 1)
    assert a.modes == (3.0, 1.0) and a.high_quality == (60.0, 10.0)
    assert a.reverse_kl == pytest.approx((0.75, 0.25))


def test_tables_hold_the_measured_and_the_published_rows():
    summaries = summarise([result("gan-x", 0, 6, 97.0, 0.4), result("gan-x", 1, 8, 99.0, 0.2)],
                          ["gan-x"])
    header, rows = table_rows(summaries, "grid25")
    assert rows[0] == ["gan-x", "100", "2", "7.0 ± 1.0", "98.0 ± 1.0", "0.300 ± 0.100", "2"]
    assert ["PacGAN4 (PacGAN Table 1)", "", "", "24.8", "93.6", "0.04", ""] in rows
    assert ["VEEGAN (VEEGAN Table 1)", "", "", "24.6", "–", "–", ""] in rows
    markdown = markdown_table(header, rows).splitlines()
    assert markdown[0] == "| model | steps | seeds | modes | high quality % | reverse KL | s/seed |"
    assert markdown[1].startswith("| --- |") and len(markdown) == 2 + len(rows)


def test_models_are_presets_or_files_and_must_train_on_the_target(tmp_path):
    assert {"gan-pacgan", "gan-veegan", "pacgan2"} <= set(preset_names("ring8"))
    assert preset_names("grid25")[:3] == ["gan-veegan", "gan-pacgan", "pacgan4"]
    assert parse_models(["a,b", "c"], "ring8") == ["a", "b", "c"]
    label, config = resolve_model("pacgan2", "ring8")
    assert label == "pacgan2" and config.model.pack == 2
    with pytest.raises(ConfigError, match="--model"):
        resolve_model("pacgan7", "ring8")
    other = tmp_path / "mine.toml"
    other.write_text('[target]\nname = "grid25"\n')
    with pytest.raises(ConfigError, match="trains on grid25, not on ring8"):
        resolve_model(str(other), "ring8")
    assert resolve_model(str(other), "grid25")[0] == "mine"


@pytest.mark.parametrize("args, says", [
    (["--target", "moons"], "--target"), (["--model", "nonsense"], "--model"),
    (["--seeds", "0"], "--seeds"), (["--steps", "0"], "--steps"), (["--jobs", "0"], "--jobs"),
])
def test_bad_input_exits_2_with_a_message(args, says):
    done = advplay("bench", "modes", "--quick", *args)
    assert done.returncode == 2
    assert says in done.stderr and "Traceback" not in done.stderr


def test_modes_options_are_refused_for_other_benchmarks():
    done = advplay("bench", "speed", "--quick", "--seeds", "3")
    assert done.returncode == 2 and "bench modes only" in done.stderr


@pytest.mark.slow
def test_quick_run_trains_two_seeds_in_processes_and_prints_tables_and_json():
    done = advplay("bench", "modes", "--quick", "--target", "grid25", "--model", "gan-veegan",
                   "--steps", "5", "--jobs", "2")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "PacGAN4 (PacGAN Table 1)" in done.stdout and "| model | steps |" in done.stdout
    report = json.loads(lines[-1])
    assert report["benchmark"] == "modes" and report["target"] == "grid25" and report["jobs"] == 2
    assert sorted(seed["seed"] for seed in report["seeds"]) == [0, 1]
    (model,) = report["models"]
    assert model["model"] == "gan-veegan" and model["seeds"] == 2 and model["steps"] == 5
    assert 0 <= model["modes"]["mean"] <= 25 and model["modes"]["se"] is not None
    assert [row["method"] for row in report["published"]][:3] == ["GAN", "ALI", "PacGAN4"]
