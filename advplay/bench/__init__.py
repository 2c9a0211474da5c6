"""Benchmarks behind ``advplay bench NAME``.

Each prints a human-readable table, then, as its last line, one JSON object. Numbers are
ratios measured side by side in one run (interleaved rounds), since these machines are noisy.
"""

from __future__ import annotations

import importlib

BENCHMARKS = {"speed": "advplay.bench.speed", "gui": "advplay.bench.gui",
              "export": "advplay.bench.export", "soak": "advplay.bench.soak",
              "modes": "advplay.bench.modes"}


def run_benchmark(name: str, quick: bool = False, threads: int | None = None, **options) -> int:
    """Run benchmark ``name``; ``options`` are its own (``modes``: target, models, seeds,
    steps, jobs)."""
    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    module = importlib.import_module(BENCHMARKS[name])
    return module.main(quick=quick, **options)
