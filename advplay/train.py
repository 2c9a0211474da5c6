"""``advplay train``: train headless and write metrics, samples and the resolved config.

Everything is written into a temporary folder beside ``--out`` and moved into place at the
end, so a failed or interrupted run leaves nothing partial behind.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from advplay.core.config import Config, dump_config, load_config
from advplay.core.drawn import DrawnTarget
from advplay.core.errors import ConfigError, TrainingDiverged
from advplay.core.experiment import is_experiment_file, load_experiment, save_experiment
from advplay.core.metrics import MODE_METRIC_SAMPLES
from advplay.core.session import Session


def train_command(args) -> int:
    from advplay.export.headless import export_request

    out = Path(args.out) if args.out else Path("runs") / Path(args.config).stem
    if out.exists() and not out.is_dir():
        raise ConfigError("--out", str(out), "must be a folder (a file of that name exists)")
    export = export_request(args)  # checked before training: a bad --export wastes no time
    session, until = session_from_args(args)
    animation = None
    try:
        if export is None:
            train_with_progress(session, until, sys.stderr)
            write_results(session, out)
        else:
            animation = _train_and_export(session, until, export, out)
    except TrainingDiverged as error:
        print(f"advplay: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nadvplay: interrupted; nothing written", file=sys.stderr)
        return 130
    print(f"wrote {out}/metrics.json, samples.npy, config.toml, experiment.advplay"
          + (f" and {animation}" if animation else ""))
    return 0


def _train_and_export(session: Session, steps: int, export, out: Path) -> Path:
    """Train while keeping ``export.frames`` snapshots, then write the animation with the
    results; returns where it went. A bare file name is written into the staging folder and
    moves into ``out`` with the rest; a path is written there (atomically) first."""
    from advplay.export.headless import offscreen_qt, train_with_snapshots, write_animation

    history = train_with_snapshots(session, steps, export.frames, sys.stderr)

    def stage(staging: Path | None) -> None:
        write_animation(history, export.target(staging), export.options, sys.stderr)

    with offscreen_qt():
        if export.name is None:
            stage(None)
            write_results(session, out)
            return export.path
        write_results(session, out, stage=stage)
        return out / export.name


def session_from_args(args) -> tuple[Session, int]:
    """The session to train and the step to train it to.

    A TOML config starts a new run of ``train.steps`` (or ``--steps``) steps; an experiment
    file (``.advplay``) continues its saved run for ``--steps`` more (default: its
    ``train.steps``), exactly as if it had never stopped.
    """
    if not is_experiment_file(args.config):
        config = config_with_overrides(args)
        return Session(config), config.train.steps
    if args.seed is not None:
        raise ConfigError("--seed", args.seed, "cannot change a saved run, which continues its "
                          "own random streams; leave it out")
    experiment = load_experiment(args.config)
    if args.device is not None:
        experiment.config = experiment.config.replace({"train.device": args.device})
    session = experiment.session()
    more = args.steps if args.steps is not None else experiment.config.train.steps
    return session, session.step_count + more


def config_with_overrides(args) -> Config:
    config = load_config(args.config)
    changes = {"train.steps": args.steps, "train.seed": args.seed, "train.device": args.device}
    return config.replace({k: v for k, v in changes.items() if v is not None})


def train_with_progress(session: Session, steps: int, stream) -> None:
    """Train ``steps`` iterations, showing a bar on a terminal and plain lines otherwise."""
    progress = Progress(steps, stream)
    chunk = max(1, min(200, steps // 100 or 1))
    while session.step_count < steps:
        session.step(min(chunk, steps - session.step_count))
        progress.update(session.step_count, session.latest_losses)
    progress.finish()


class Progress:
    """A one-line bar on a terminal; a line per 10% when the output is a file or pipe."""

    def __init__(self, total: int, stream):
        self.total, self.stream = max(total, 1), stream
        self.is_terminal = hasattr(stream, "isatty") and stream.isatty()
        self.start = time.perf_counter()
        self._last_decile = -1

    def update(self, step: int, losses: dict) -> None:
        fraction = step / self.total
        rate = step / max(time.perf_counter() - self.start, 1e-9)
        loss_text = " ".join(f"{k}={v:.3f}" for k, v in losses.items() if math.isfinite(v))
        if self.is_terminal:
            filled = int(30 * fraction)
            bar = "#" * filled + "-" * (30 - filled)
            self.stream.write(f"\r[{bar}] {step}/{self.total} {rate:6.0f} it/s {loss_text}  ")
            self.stream.flush()
        elif int(fraction * 10) > self._last_decile:
            self._last_decile = int(fraction * 10)
            self.stream.write(f"step {step}/{self.total} ({fraction:.0%}) {rate:.0f} it/s {loss_text}\n")

    def finish(self) -> None:
        if self.is_terminal:
            self.stream.write("\n")


def _json_number(value):
    value = float(value)
    return value if math.isfinite(value) else None


def write_results(session: Session, out: Path, stage=None) -> None:
    """Write metrics.json, samples.npy, config.toml and experiment.advplay (the run, to
    continue with ``advplay train out/experiment.advplay``) into ``out`` atomically.

    ``stage(staging_folder)``, if given, writes more files (an animation) beside them first.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        metrics = {
            "step": session.step_count,
            "final": {k: _json_number(v) for k, v in session.latest_metrics.items()},
            "losses": {k: _json_number(v) for k, v in session.latest_losses.items()},
            "history": _clean(session.metric_history.to_dict()),
            "loss_history": _clean(session.losses.to_dict()),
        }
        (staging / "metrics.json").write_text(json.dumps(metrics, indent=1), encoding="utf-8")
        np.save(staging / "samples.npy", session.samples(MODE_METRIC_SAMPLES))
        (staging / "config.toml").write_text(dump_config(session.config.resolved()), encoding="utf-8")
        target = session.target
        drawing = (target.density, target.bounds) if isinstance(target, DrawnTarget) else None
        save_experiment(staging / "experiment.advplay", session, drawing)
        if stage is not None:
            stage(staging)
        out.mkdir(exist_ok=True)
        for item in staging.iterdir():
            item.replace(out / item.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _clean(history: dict) -> dict:
    return {k: [_json_number(v) if k != "step" else int(v) for v in values]
            for k, values in history.items()}
