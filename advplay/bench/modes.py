"""Mode collapse on the 8-Gaussian ring and the 25-Gaussian grid, beside the published tables.

``advplay bench modes`` trains K seeds of each model headless (one process per seed where
cores allow, one torch thread each), scores 2500 generator samples of each final generator
with the PacGAN/VEEGAN mode metrics (:func:`advplay.core.metrics.mode_metrics`) and prints,
per model, modes captured, the high-quality percentage and the reverse KL as mean ± standard
error over seeds, then the published rows (:mod:`advplay.core.published`), a Markdown
version of both, and one JSON object as the last line.

A model is a preset, ``resources/examples/<target>-<name>.toml`` named by ``<name>``
(``gan-pacgan``, ``pacgan2``, ``gan-veegan``, ...), or the path of a TOML config. A run that
diverges counts as capturing nothing (its samples are NaN: 0 modes, 0% high quality, reverse
KL log K), so a failing recipe cannot look better by dropping its failures.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from advplay.core.config import Config, config_from_dict, load_config
from advplay.core.errors import ConfigError
from advplay.core.published import BENCHMARK_TARGETS, published_rows

PRESETS = Path(__file__).resolve().parents[2] / "resources" / "examples"
#: presets listed first, in this order, when no --model is given; others follow by name
PREFERRED = ("gan-veegan", "gan-pacgan", "pacgan2", "pacgan4", "best")
DEFAULT_SEEDS = 3
QUICK_SEEDS, QUICK_STEPS = 2, 20


@dataclass(frozen=True)
class SeedResult:
    """The mode metrics of one trained seed."""

    model: str
    seed: int
    steps: int
    modes: float
    high_quality: float  # percent
    reverse_kl: float
    seconds: float
    diverged: bool


@dataclass(frozen=True)
class Summary:
    """A model's results over its seeds: (mean, standard error) of each metric."""

    model: str
    seeds: int
    steps: int
    modes: tuple[float, float]
    high_quality: tuple[float, float]
    reverse_kl: tuple[float, float]
    seconds: float
    diverged: int


# ----------------------------------------------------------------------------- models


def preset_names(target: str) -> list[str]:
    """The presets for ``target`` (``<target>-<name>.toml`` in resources/examples), in order."""
    paths = PRESETS.glob(f"{target}-*.toml")
    names = sorted(path.stem.removeprefix(f"{target}-") for path in paths)
    first = [name for name in PREFERRED if name in names]
    return first + [name for name in names if name not in first]


def resolve_model(spec: str, target: str) -> tuple[str, Config]:
    """(label, config) for a preset name or a TOML path; ConfigError if it is neither, or if
    it trains on another target."""
    path = Path(spec)
    if spec.endswith(".toml") or path.exists():
        label, config = path.stem, load_config(path)
    else:
        preset = PRESETS / f"{target}-{spec}.toml"
        if not preset.exists():
            raise ConfigError("--model", spec, "must be a TOML file or a preset for "
                              f"{target}: {', '.join(preset_names(target)) or 'none'}")
        label, config = spec, load_config(preset)
    if config.target.name != target:
        raise ConfigError("--model", spec, f"trains on {config.target.name}, not on {target}")
    return label, config


def parse_models(specs: list[str] | None, target: str) -> list[str]:
    """``--model`` values (repeated or comma lists) as a flat list; all presets by default."""
    if not specs:
        return preset_names(target)
    return [part.strip() for spec in specs for part in spec.split(",") if part.strip()]


# ----------------------------------------------------------------------------- training


def train_seed(task: tuple[str, dict, int, int]) -> SeedResult:
    """Train one seed headless and score its final generator (runs in a worker process)."""
    import torch

    from advplay.core.errors import TrainingDiverged
    from advplay.core.metrics import MODE_METRIC_SAMPLES, mode_metrics
    from advplay.core.session import Session

    torch.set_num_threads(1)
    label, data, seed, steps = task
    config = config_from_dict(data).replace(
        {"train.seed": seed, "train.steps": steps, "train.metrics_every": max(1, steps)})
    start = time.perf_counter()
    session = Session(config)
    try:
        session.step(steps)
        samples = session.samples(MODE_METRIC_SAMPLES)
        diverged = False
    except TrainingDiverged:
        samples, diverged = np.full((MODE_METRIC_SAMPLES, 2), np.nan), True
    seconds = time.perf_counter() - start
    scores = mode_metrics(samples, session.target.mixture)
    return SeedResult(label, seed, steps, scores["modes_captured"], 100 * scores["high_quality"],
                      scores["reverse_kl"], seconds, diverged)


def run_seeds(tasks: list[tuple[str, dict, int, int]], jobs: int, report=print) -> list[SeedResult]:
    """Every task, ``jobs`` at a time in spawned processes (in this one for ``jobs = 1``)."""
    results = []
    if jobs <= 1:
        outcomes = map(train_seed, tasks)
        pool = None
    else:
        pool = multiprocessing.get_context("spawn").Pool(jobs)
        outcomes = pool.imap_unordered(train_seed, tasks)
    try:
        for result in outcomes:
            results.append(result)
            report(f"  {len(results)}/{len(tasks)}: {result.model} seed {result.seed}: "
                   f"{result.modes:g} modes, {result.high_quality:.1f}% HQ, reverse KL "
                   f"{result.reverse_kl:.3f}, {result.seconds:.0f} s"
                   + (" (diverged)" if result.diverged else ""))
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    return sorted(results, key=lambda r: (r.model, r.seed))


# ----------------------------------------------------------------------------- statistics


def mean_and_error(values: list[float]) -> tuple[float, float]:
    """Mean and standard error of the mean (sample standard deviation / sqrt n; NaN for n = 1)."""
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, math.nan
    return mean, statistics.stdev(values) / math.sqrt(len(values))


def summarise(results: list[SeedResult], order: list[str]) -> list[Summary]:
    """One Summary per model, in ``order``."""
    summaries = []
    for label in order:
        mine = [r for r in results if r.model == label]
        summaries.append(Summary(
            label, len(mine), mine[0].steps,
            mean_and_error([r.modes for r in mine]),
            mean_and_error([r.high_quality for r in mine]),
            mean_and_error([r.reverse_kl for r in mine]),
            statistics.fmean(r.seconds for r in mine), sum(r.diverged for r in mine)))
    return summaries


# ----------------------------------------------------------------------------- tables


def _pm(value: tuple[float, float], digits: int) -> str:
    mean, error = value
    return f"{mean:.{digits}f}" + ("" if math.isnan(error) else f" ± {error:.{digits}f}")


def _number(value: float | None, digits: int) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def table_rows(summaries: list[Summary], target: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the measured and the published results, as text cells."""
    header = ["model", "steps", "seeds", "modes", "high quality %", "reverse KL", "s/seed"]
    rows = [[s.model, str(s.steps), str(s.seeds), _pm(s.modes, 1), _pm(s.high_quality, 1),
             _pm(s.reverse_kl, 3), f"{s.seconds:.0f}"] for s in summaries]
    for row in published_rows(target):
        rows.append([f"{row.method} ({row.source})", "", "", _number(row.modes, 1),
                     _number(row.high_quality, 1), _number(row.reverse_kl, 2), ""])
    return header, rows


def plain_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header))]
    return "\n".join("  " + "  ".join(cell.ljust(width) for cell, width in zip(line, widths))
                     for line in [header, *rows])


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = [header, ["---"] * len(header), *rows]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


# ----------------------------------------------------------------------------- command


def check_options(target: str, seeds: int, steps: int | None, jobs: int | None) -> None:
    if target not in BENCHMARK_TARGETS:
        raise ConfigError("--target", target, f"must be one of {', '.join(BENCHMARK_TARGETS)}")
    if seeds < 1:
        raise ConfigError("--seeds", seeds, "must be at least 1")
    if steps is not None and steps < 1:
        raise ConfigError("--steps", steps, "must be at least 1")
    if jobs is not None and jobs < 1:
        raise ConfigError("--jobs", jobs, "must be at least 1")


def available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def main(quick: bool = False, target: str = "ring8", models: list[str] | None = None,
         seeds: int | None = None, steps: int | None = None, jobs: int | None = None) -> int:
    seeds = seeds if seeds is not None else (QUICK_SEEDS if quick else DEFAULT_SEEDS)
    check_options(target, seeds, steps, jobs)
    steps = steps if steps is not None else (QUICK_STEPS if quick else None)
    configs = dict(resolve_model(spec, target) for spec in parse_models(models, target))
    if not configs:
        raise ConfigError("--model", "", f"no presets for {target} in {PRESETS}")
    jobs = min(jobs or available_cores(), seeds * len(configs))
    tasks = [(label, config.to_dict(), seed, steps or config.train.steps)
             for label, config in configs.items() for seed in range(seeds)]
    print(f"advplay bench modes: {target}, {len(configs)} model(s) x {seeds} seed(s), "
          f"{jobs} process(es), one torch thread each")
    results = run_seeds(tasks, jobs)
    summaries = summarise(results, list(configs))
    header, rows = table_rows(summaries, target)
    print(f"\nmodes captured (of {_modes_of(target)}), high-quality samples "
          "and reverse KL of 2500 samples, mean ± standard error over seeds; published below")
    print(plain_table(header, rows))
    print("\nMarkdown:\n")
    print(markdown_table(header, rows))
    print(json.dumps({"benchmark": "modes", "target": target, "jobs": jobs,
                      "models": [_json_summary(s) for s in summaries],
                      "seeds": [asdict(r) for r in results],
                      "published": [asdict(row) for row in published_rows(target)]},
                     allow_nan=False, default=str))
    return 0


def _modes_of(target: str) -> int:
    from advplay.core.targets import make_target

    return len(make_target(target).mixture.weights)


def _json_summary(summary: Summary) -> dict:
    def pair(value):
        mean, error = value
        return {"mean": mean, "se": None if math.isnan(error) else error}

    return {"model": summary.model, "seeds": summary.seeds, "steps": summary.steps,
            "modes": pair(summary.modes), "high_quality": pair(summary.high_quality),
            "reverse_kl": pair(summary.reverse_kl), "seconds_per_seed": summary.seconds,
            "diverged": summary.diverged}
