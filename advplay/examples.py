"""Regenerate the ready-trained experiments of File > Examples.

    python -m advplay.examples [--out resources/examples] [--only NAME ...] [--steps-scale F]

Each example is a config trained headless for its steps and saved as an experiment file, so
a lecturer can open a trained state at once. Nothing here is drawn by hand: the drawn-shape
example paints its target with :class:`advplay.core.drawing.Drawing`, as the app's brush does.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

from advplay.core.config import Config, config_from_dict, load_config
from advplay.core.drawing import Drawing
from advplay.core.experiment import SUFFIX, save_experiment
from advplay.core.session import Session

OUT = Path(__file__).resolve().parents[1] / "resources" / "examples"
#: examples that train a shipped best recipe (the config files beside them), so the two never
#: drift apart
RECIPES = {"ring8-recipe": "ring8-best.toml", "grid25-recipe": "grid25-best.toml"}

#: name -> (description, config changes, steps); the changes apply to the example's recipe
#: file (RECIPES) where it has one, else to the default config
EXAMPLES: dict[str, tuple[str, dict, int]] = {
    "ring8-recipe": (  # RECIPES: the best recipe's file, with denser metric points for the curves
        "the 8-Gaussian ring learned well: non-saturating GAN, light R1, 16 latent codes, "
        "a moving average of G, the learning rate decayed over the last quarter",
        {"train.metrics_every": 100}, 6000),
    "grid25-recipe": (
        "the 25-Gaussian grid learned well: non-saturating GAN, R1, a moving average of G, "
        "the learning rate decayed over the last quarter",
        {"train.metrics_every": 100}, 6000),
    "ring8-collapsed": (
        "a plain minimax GAN with small networks: modes covered unevenly, many samples between them",
        {"target.name": "ring8", "model.loss": "minimax", "model.width": 64, "model.depth": 2,
         "train.lr_d": 2e-3, "train.lr_g": 2e-3, "train.beta1": 0.9}, 4000),
    "grid25-ali": (
        "ALI / BiGAN on the 25-Gaussian grid: generator, encoder and a pair discriminator",
        {"target.name": "grid25", "model.name": "ali", "model.width": 256,
         "train.lr_d": 2e-4, "train.lr_g": 2e-4, "train.batch_size": 256}, 6000),
    "ratio-gaussians": (
        "the density ratio trick: log p/q of a correlated Gaussian against N(0, I), KL 0.5",
        {"target.name": "gaussian", "target.covariance": [[1.0, 0.7951], [0.7951, 1.0]],
         "model.name": "ratio", "model.reference": "gaussian", "model.width": 64,
         "model.depth": 2, "train.lr_d": 3e-4, "train.batch_size": 512}, 4000),
    "drawn-smile": (
        "a drawn target (a smiling face in two colours) learned by a GAN",
        {"model.r1": 0.1, "train.batch_size": 512}, 6000),
}


def smile() -> Drawing:
    """A face painted with the brush: two eyes (class 1) and a mouth (class 2)."""
    drawing = Drawing()
    for x in (-0.7, 0.7):
        drawing.paint(x, 0.6, radius=0.25, strength=1.0, label=0)
        drawing.end_stroke()
    for x in np.linspace(-1.1, 1.1, 23):  # one stroke along the mouth
        drawing.paint(x, -0.6 + 0.5 * x * x, radius=0.18, strength=1.0, label=1)
    drawing.end_stroke()
    return drawing


def example_config(name: str) -> Config:
    """The config example ``name`` trains (before a drawn example's target is set)."""
    base = load_config(OUT / RECIPES[name]) if name in RECIPES else Config()
    return base.replace(EXAMPLES[name][1])


def example_session(name: str) -> tuple[Session, tuple | None]:
    """The untrained session of example ``name`` and its drawing (density, bounds) if any."""
    config = example_config(name)
    if name.startswith("drawn-"):
        drawing = smile()
        data = {**config.to_dict(), "target": {"name": "drawn"}}
        config = config_from_dict(data, check_target=False)
        arrays = (drawing.density.copy(), drawing.bounds)
        return Session(config, drawing.target()), arrays
    return Session(config), None


def write_example(name: str, out: Path, steps_scale: float = 1.0) -> Path:
    session, drawing = example_session(name)
    steps = max(1, int(EXAMPLES[name][2] * steps_scale))
    session.step(steps)
    path = out / f"{name}{SUFFIX}"
    save_experiment(path, session, drawing)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m advplay.examples", description=__doc__.split("\n")[1])
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the .advplay files")
    parser.add_argument("--only", nargs="*", choices=sorted(EXAMPLES), help="examples to write")
    parser.add_argument("--steps-scale", type=float, default=1.0,
                        help="train each example for this fraction of its steps (tests)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # small networks: one thread is fastest, and leaves a core free
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.only or list(EXAMPLES):
        start = time.perf_counter()
        path = write_example(name, args.out, args.steps_scale)
        print(f"{path.name:28s} {time.perf_counter() - start:6.1f} s  {EXAMPLES[name][0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
