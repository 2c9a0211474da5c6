"""Session throughput against the plainest idiomatic PyTorch GAN loop.

Both train the same networks (MLP generator and discriminator of the same width and depth),
the same non-saturating loss, Adam with the same hyperparameters, one D and one G update per
iteration with fresh noise each (Goodfellow et al. 2014, Algorithm 1), on the same target and
batch. The plain loop is what one writes from the PyTorch tutorials: sample a NumPy batch,
``zero_grad``/``backward``/``step`` for each player, ``BCEWithLogitsLoss``, and ``.item()`` to
log the losses. Rounds alternate between the loops so drift on a noisy machine hits all.

Every model of the GAN family is measured against that same plain GAN loop (``MODELS``: the
GAN, PacGAN2, the conditional GAN, ALI, and the GAN with a batch-normalised generator and a
maxout discriminator), so a ratio says what a method or an architecture costs as well as
what the session's loop saves. Where a GPU is present the same table is measured on CUDA.
"""

from __future__ import annotations

import json
import statistics
import time

import numpy as np
import torch
from torch import nn

from advplay.core.config import Config
from advplay.core.device import resolve_device
from advplay.core.nets import mlp
from advplay.core.session import Session
from advplay.core.targets import make_target

SIZES = ((128, 256), (512, 4096))  # (width, batch)
#: the GAN family, as changes to the default config (ring8, non-saturating loss)
MODELS = {
    "gan": {},
    "pacgan2": {"model.pack": 2},
    "cgan": {"model.name": "cgan"},
    "ali": {"model.name": "ali"},
    "gan bn+maxout": {"model.generator_norm": "batch", "model.discriminator": "maxout"},
}


def plain_loop(config: Config, device: torch.device | None = None):
    """A closure running ``n`` iterations of the tutorial-style loop; returns the losses."""
    torch.manual_seed(config.train.seed)
    device = torch.device("cpu") if device is None else device
    model, train = config.model, config.train
    generator = mlp(model.latent_dim, 2, model.width, model.depth, model.activation).to(device)
    discriminator = mlp(2, 1, model.width, model.depth, model.activation).to(device)
    opt_g = torch.optim.Adam(generator.parameters(), lr=train.lr_g, betas=(train.beta1, train.beta2))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=train.lr_d, betas=(train.beta1, train.beta2))
    criterion = nn.BCEWithLogitsLoss()
    target = make_target(config.target.name, **config.target.params)
    rng = np.random.default_rng(train.seed)
    batch = train.batch_size
    ones, zeros = torch.ones(batch, 1, device=device), torch.zeros(batch, 1, device=device)
    history = []

    def run(n: int):
        for _ in range(n):
            real = torch.from_numpy(target.sample(batch, rng)[0]).float().to(device)
            fake = generator(torch.randn(batch, model.latent_dim, device=device))
            opt_d.zero_grad()
            loss_d = criterion(discriminator(real), ones) + criterion(discriminator(fake.detach()), zeros)
            loss_d.backward()
            opt_d.step()
            opt_g.zero_grad()
            loss_g = criterion(discriminator(generator(torch.randn(batch, model.latent_dim,
                                                                   device=device))), ones)
            loss_g.backward()
            opt_g.step()
            history.append((loss_d.item(), loss_g.item()))
        return history

    return run


def _rate(run, steps: int, device: torch.device) -> float:
    """Steps per second of ``run(steps)``, waiting for the device to finish."""
    start = time.perf_counter()
    run(steps)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return steps / (time.perf_counter() - start)


def measure(width: int, batch: int, steps: int, rounds: int, device: str = "cpu",
            models: dict[str, dict] | None = None) -> dict:
    """Steps per second of the plain loop and of each model's session, in interleaved rounds.

    Each model's ratio is the median over rounds of its rate over the plain loop's rate in
    the same round. The top-level ``steps_per_s`` and ``ratio_vs_plain`` are the plain GAN's.
    """
    models = MODELS if models is None else models
    config = Config().replace({"model.width": width, "train.batch_size": batch,
                               "train.device": device})
    where = resolve_device(device)
    runners = {"plain": plain_loop(config, where)}
    for name, changes in models.items():
        runners[name] = Session(config.replace(changes)).step
    for run in runners.values():  # warm up allocators, caches and kernels
        run(max(2, steps // 5))
    rates: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(rounds):
        for name, run in runners.items():
            rates[name].append(_rate(run, steps, where))
    plain = rates.pop("plain")
    rows = {name: {"steps_per_s": round(statistics.median(values), 2),
                   "ratio_vs_plain": round(statistics.median(
                       [v / p for v, p in zip(values, plain)]), 3)}
            for name, values in rates.items()}
    first = rows[next(iter(rows))]
    return {"width": width, "batch": batch, "device": device, "steps_per_round": steps,
            "rounds": rounds, "plain_steps_per_s": round(statistics.median(plain), 2),
            "steps_per_s": first["steps_per_s"], "ratio_vs_plain": first["ratio_vs_plain"],
            "models": rows}


def devices() -> list[str]:
    """CPU, and CUDA where a GPU is present."""
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def _print_table(results: dict[str, dict]) -> None:
    """One row per model, one column per (device, size): steps/s and the ratio to plain."""
    columns = list(results.values())
    heads = [f"{row['device']} w{row['width']} b{row['batch']}" for row in columns]
    print("  " + f"{'model':<14}" + "".join(f"{head:>26}" for head in heads))
    print("  " + f"{'plain loop':<14}" + "".join(
        f"{row['plain_steps_per_s']:>17.1f} steps/s " for row in columns))
    for name in columns[0]["models"]:
        cells = [row["models"][name] for row in columns]
        print("  " + f"{name:<14}" + "".join(
            f"{cell['steps_per_s']:>10.1f} steps/s {cell['ratio_vs_plain']:5.2f}x "
            for cell in cells))


def main(quick: bool = False) -> int:
    threads = torch.get_num_threads()
    where = ", ".join(devices())
    print(f"advplay bench speed: torch {torch.__version__}, {threads} thread(s), {where}; each "
          "model's session against the plain PyTorch loop of the same size (ratio > 1: faster)")
    results = {}
    for device in devices():
        for width, batch in SIZES:
            steps = 200 if width <= 128 or device != "cpu" else 6
            rounds = 2 if quick else 5
            if quick:
                steps = max(2, steps // 4)
            key = f"w{width}_b{batch}" + ("" if device == "cpu" else f"_{device}")
            results[key] = measure(width, batch, steps, rounds, device)
    _print_table(results)
    print(json.dumps({"benchmark": "speed", "threads": threads, "devices": devices(),
                      "sizes": results}))
    return 0
