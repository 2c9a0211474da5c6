"""Session throughput against the plainest idiomatic PyTorch GAN loop.

Both train the same networks (MLP generator and discriminator of the same width and depth),
the same non-saturating loss, Adam with the same hyperparameters, one D and one G update per
iteration with fresh noise each (Goodfellow et al. 2014, Algorithm 1), on the same target and
batch. The plain loop is what one writes from the PyTorch tutorials: sample a NumPy batch,
``zero_grad``/``backward``/``step`` for each player, ``BCEWithLogitsLoss``, and ``.item()`` to
log the losses. Rounds alternate between the two so drift on a noisy machine hits both.
"""

from __future__ import annotations

import json
import statistics
import time

import numpy as np
import torch
from torch import nn

from advplay.core.config import Config
from advplay.core.nets import mlp
from advplay.core.session import Session
from advplay.core.targets import make_target

SIZES = ((128, 256), (512, 4096))  # (width, batch)


def plain_loop(config: Config):
    """A closure running ``n`` iterations of the tutorial-style loop; returns the losses."""
    torch.manual_seed(config.train.seed)
    model, train = config.model, config.train
    generator = mlp(model.latent_dim, 2, model.width, model.depth, model.activation)
    discriminator = mlp(2, 1, model.width, model.depth, model.activation)
    opt_g = torch.optim.Adam(generator.parameters(), lr=train.lr_g, betas=(train.beta1, train.beta2))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=train.lr_d, betas=(train.beta1, train.beta2))
    criterion = nn.BCEWithLogitsLoss()
    target = make_target(config.target.name, **config.target.params)
    rng = np.random.default_rng(train.seed)
    batch = train.batch_size
    ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)
    history = []

    def run(n: int):
        for _ in range(n):
            real = torch.from_numpy(target.sample(batch, rng)[0]).float()
            fake = generator(torch.randn(batch, model.latent_dim))
            opt_d.zero_grad()
            loss_d = criterion(discriminator(real), ones) + criterion(discriminator(fake.detach()), zeros)
            loss_d.backward()
            opt_d.step()
            opt_g.zero_grad()
            loss_g = criterion(discriminator(generator(torch.randn(batch, model.latent_dim))), ones)
            loss_g.backward()
            opt_g.step()
            history.append((loss_d.item(), loss_g.item()))
        return history

    return run


def measure(width: int, batch: int, steps: int, rounds: int) -> dict:
    """Steps per second of both loops, alternating ``rounds`` times, median of each."""
    config = Config().replace({"model.width": width, "train.batch_size": batch})
    session = Session(config)
    plain = plain_loop(config)
    session.step(max(2, steps // 5))  # warm up allocators and caches
    plain(max(2, steps // 5))
    session_rates, plain_rates = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        session.step(steps)
        session_rates.append(steps / (time.perf_counter() - start))
        start = time.perf_counter()
        plain(steps)
        plain_rates.append(steps / (time.perf_counter() - start))
    ratios = [s / p for s, p in zip(session_rates, plain_rates)]
    return {
        "width": width, "batch": batch, "steps_per_round": steps, "rounds": rounds,
        "steps_per_s": round(statistics.median(session_rates), 2),
        "plain_steps_per_s": round(statistics.median(plain_rates), 2),
        "ratio_vs_plain": round(statistics.median(ratios), 3),
    }


def main(quick: bool = False) -> int:
    threads = torch.get_num_threads()
    print(f"advplay bench speed: torch {torch.__version__}, {threads} thread(s), CPU")
    results = {}
    for width, batch in SIZES:
        steps = 200 if width <= 128 else 6
        rounds = 2 if quick else 5
        if quick:
            steps = max(2, steps // 4)
        row = measure(width, batch, steps, rounds)
        results[f"w{width}_b{batch}"] = row
        print(f"  width {width:4d} batch {batch:5d}: session {row['steps_per_s']:8.1f} steps/s, "
              f"plain loop {row['plain_steps_per_s']:8.1f} steps/s, ratio {row['ratio_vs_plain']:.2f}x")
    print(json.dumps({"benchmark": "speed", "threads": threads, "sizes": results}))
    return 0
