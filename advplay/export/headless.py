"""Exports with no window: ``advplay train ... --export FILE`` and ``advplay render``.

Qt renders offscreen (``QT_QPA_PLATFORM=offscreen`` unless the user chose a platform), so
both work over SSH, in CI and in containers with no display.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from advplay.core.history import SnapshotHistory
from advplay.export.animation import ExportOptions, export_animation, parse_size
from advplay.export.files import (ExportPathError, atomic_path, check_destination,
                                  format_for_path)


#: most frames ``train --export`` keeps (about 0.2 MB each at the default surface resolution)
MAX_FRAMES = 1000


@contextlib.contextmanager
def offscreen_qt():
    """A QApplication that needs no display (created if none exists).

    On leaving, widgets deleted with ``deleteLater`` are destroyed at once: a pyqtgraph
    widget still alive when the interpreter exits can crash it.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])
    try:
        yield app
    finally:
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        app.processEvents()


# ---------------------------------------------------------------------------- train --export


@dataclass(frozen=True)
class ExportRequest:
    """An animation asked for on the command line.

    ``name`` is set when the file goes into the output folder (a bare file name); otherwise
    ``path`` is where it goes. ``frames`` snapshots are taken, evenly over the training.
    """

    options: ExportOptions
    frames: int
    name: str | None = None
    path: Path | None = None

    def target(self, staging: Path | None) -> Path:
        """Where to write, given the staging folder of the output folder."""
        return staging / self.name if self.name is not None else self.path


def export_request(args) -> ExportRequest | None:
    """The ``--export`` of ``args`` checked before training starts, or None if not asked for.

    Raises ExportPathError (exit status 2) for a bad size, fps, frame count, theme or path.
    """
    if not getattr(args, "export", None):
        return None
    given = Path(args.export)
    format = format_for_path(given)
    frames = 100 if args.frames is None else args.frames
    options = ExportOptions(size=parse_size(args.size), fps=args.fps, theme=args.theme)
    if not 2 <= frames <= MAX_FRAMES:
        raise ExportPathError(f"--frames {frames}: must be 2 to {MAX_FRAMES} (the snapshots "
                              "are held in memory until the export)")
    options.validate(given)
    if len(given.parts) == 1 and not args.export.startswith(("./", ".\\")):
        return ExportRequest(options, frames, name=given.name)  # goes into --out
    return ExportRequest(options, frames, path=check_destination(given, format))


def snapshot_steps(start: int, stop: int, frames: int) -> np.ndarray:
    """``frames`` steps from ``start`` to ``stop`` inclusive, evenly spread (fewer, without
    repeats, when there are fewer steps than frames)."""
    return np.unique(np.round(np.linspace(start, stop, frames)).astype(np.int64))


def train_with_snapshots(session, steps: int, frames: int, stream) -> SnapshotHistory:
    """Train ``session`` up to step ``steps``, keeping ``frames`` snapshots evenly spread
    (the first at the current step, the last at ``steps``), with a progress display."""
    from advplay.train import Progress

    history = SnapshotHistory(budget_frames=max(frames, 2), budget_bytes=2**40)
    progress = Progress(steps, stream)
    chunk = max(1, min(200, steps // 100 or 1))
    for target in snapshot_steps(session.step_count, steps, frames):
        while session.step_count < target:
            session.step(min(chunk, int(target) - session.step_count))
            progress.update(session.step_count, session.latest_losses)
        history.append(session.snapshot())
    progress.finish()
    return history


def write_animation(history, path: Path, options: ExportOptions, stream) -> Path:
    """Export ``history`` to ``path`` with a progress line; returns the path written."""
    return export_animation(history, path, options, progress=FrameProgress(path, stream))


class FrameProgress:
    """``progress`` for :func:`export_animation`: a bar on a terminal, else a line per 25%."""

    def __init__(self, path: Path, stream):
        self.name, self.stream = Path(path).name, stream
        self.is_terminal = hasattr(stream, "isatty") and stream.isatty()
        self.start = time.perf_counter()
        self._last_quarter = -1

    def __call__(self, done: int, total: int) -> None:
        fraction = done / max(total, 1)
        if self.is_terminal:
            end = "\n" if done == total else ""
            self.stream.write(f"\rexporting {self.name}: frame {done}/{total}{end}")
            self.stream.flush()
        elif int(fraction * 4) > self._last_quarter:
            self._last_quarter = int(fraction * 4)
            seconds = time.perf_counter() - self.start
            self.stream.write(f"exporting {self.name}: frame {done}/{total} ({seconds:.1f} s)\n")


# ---------------------------------------------------------------------------- render


def render_command(args) -> int:
    """``advplay render EXPERIMENT --png FILE``: train (a config) or open (an experiment
    file), then draw the final frame as the window would and save it as a PNG."""
    from advplay.core.errors import TrainingDiverged

    options = ExportOptions(size=parse_size(args.size), theme=args.theme, panels=args.panels,
                            title=args.title or "", step_counter=not args.no_step)
    png = Path(args.png)
    if png.suffix.lower() != ".png":
        raise ExportPathError(f"--png {png}: the file name must end in .png")
    options.check("png")
    check_destination(png, "file")
    session, steps = _session_for(args)
    try:
        _train_quietly(session, steps, sys.stderr)
    except TrainingDiverged as error:
        print(f"advplay: {error}", file=sys.stderr)
        return 1
    write_png(render_snapshot(session.snapshot(), options), png)
    print(f"wrote {png}")
    return 0


def _session_for(args):
    """(session, step to train to) for a TOML config or an ``.advplay`` experiment file."""
    from advplay.core.experiment import is_experiment_file, load_experiment
    from advplay.core.session import Session

    if is_experiment_file(args.experiment):
        session = load_experiment(args.experiment).session()
        return session, session.step_count + (args.steps or 0)
    from advplay.train import config_with_overrides

    config = config_with_overrides(argparse.Namespace(  # the same overrides as train
        config=args.experiment, steps=args.steps, seed=args.seed, device=args.device))
    return Session(config), config.train.steps


def _train_quietly(session, steps: int, stream) -> None:
    from advplay.train import train_with_progress

    if steps > session.step_count:
        train_with_progress(session, steps, stream)


def render_snapshot(snapshot, options: ExportOptions, view_state=None) -> np.ndarray:
    """One frame of ``snapshot`` as an RGB array, drawn offscreen."""
    from advplay.export.frames import FrameRenderer

    with offscreen_qt(), FrameRenderer(options.size, options.panels, options.theme,
                                       options.title, options.step_counter,
                                       view_state) as renderer:
        return renderer.render(snapshot)


def write_png(frame: np.ndarray, path) -> Path:
    """Save an RGB array as a PNG atomically."""
    from PIL import Image

    with atomic_path(path) as temporary:
        Image.fromarray(frame).save(temporary, format="PNG")
    return Path(path)
