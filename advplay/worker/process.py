"""The code that runs inside the worker process.

The main thread trains; frames are drawn on the other core, by a render process once a CPU
session has played for a moment, else by a render thread (``advplay.worker.render``: a thread
shares the GIL with training and cost it 7% at 10 frames a second, a process 0.4%).
Frames are published at most ``frame_rate`` times a second (``DEFAULT_FRAME_RATE`` unless the
app asks for another) and drawing keeps to a CPU budget, so a slow frame lowers the frame
rate, never the training speed.

Messages out: ``("snapshot", Snapshot, stats)``, ``("error", text, Snapshot | None)``,
``("state", {"playing": bool})``, ``("saved", path, tag, step)`` after a ``save`` command. Commands in: see :meth:`Worker.handle`.
"""

from __future__ import annotations

import math
import os
import queue
import time
import traceback

from advplay.core.config import config_from_dict
from advplay.core.drawn import DrawnTarget
from advplay.core.errors import ConfigError, TrainingDiverged
from advplay.core.experiment import load_experiment, save_experiment
from advplay.core.session import Session
from advplay.core.views import checked_extras
from advplay.worker.cpus import CpuPlan
from advplay.worker.render import FramePipeline

#: frames a second while training, unless the app asks for another rate (README, ``bench gui``)
DEFAULT_FRAME_RATE = 10.0
#: the most frames a second the app may ask for
MAX_FRAME_RATE = 30.0
#: share of one core that drawing frames may use
RENDER_BUDGET = 0.3
#: wall time of one training chunk between command checks: long enough that the per-chunk
#: checks (losses and weights finite, one host sync) cost ~1% of training, short enough that
#: Pause and slider changes take effect before a person notices
CHUNK_SECONDS = 0.05
#: resolution of the live discriminator surface (exports render their own, finer)
LIVE_SURFACE_RESOLUTION = 64


class Worker:
    """Owns the session; ``handle`` applies a command, ``train_chunk`` trains a little."""

    def __init__(self, publish, threads: int = 1, cpus: CpuPlan | None = None):
        self.publish = publish
        self.config = None
        self.drawing = None  # (density, bounds) of a target drawn in the app, or None
        self.session: Session | None = None
        self.playing = False
        self.max_steps_per_second: float | None = None
        self.frame_rate = DEFAULT_FRAME_RATE
        self.skipped_extras: frozenset[str] = frozenset()  # what no view on show draws
        self.frames = FramePipeline(publish, LIVE_SURFACE_RESOLUTION, threads, cpus)
        self._seconds_per_step = 0.0  # unknown until a chunk is timed
        self._next_frame = 0.0
        self._rate_window: list[tuple[float, int]] = []

    # ----------------------------------------------------------- commands

    def handle(self, command: tuple) -> bool:
        """Apply one command; False once told to quit."""
        name, *args = command
        try:
            if name == "quit":
                return False
            if name == "configure":
                self.drawing = args[1] if len(args) > 1 else None
                self.config = config_from_dict(args[0], check_target=self.drawing is None)
                self._rebuild()
            elif name == "set_target":
                self._set_drawing(args[0], args[1])
            elif name == "reset":
                self._rebuild()
            elif name == "play":
                if self.session is None or self.session.failed is not None:
                    self._rebuild()
                self._set_playing(True)
            elif name == "pause":
                self._set_playing(False)
                self._publish_now()
            elif name == "step":
                self._single_step(int(args[0]), tuple(args[1]) if len(args) > 1 and args[1] else None)
            elif name == "apply":
                if self.session is not None:
                    self.config = self.session.apply(args[0])
            elif name == "skip_extras":
                self._skip_extras(checked_extras(args[0]))  # checked before it is kept
            elif name == "speed":
                self.max_steps_per_second = args[0] or None
            elif name == "frame_rate":
                self.frame_rate = checked_frame_rate(args[0])
            elif name == "save":
                self._save(args[0], args[1] if len(args) > 1 else "")
            elif name == "open":
                self._open(args[0])
            else:
                raise ValueError(f"unknown worker command {name!r}")
        except ConfigError as error:
            self.publish(("error", str(error), None))
        except TrainingDiverged as error:
            self._report_divergence(error)
        except Exception:
            self._report_crash()
        return True

    def _rebuild(self) -> None:
        if self.config is None:
            raise ConfigError("config", None, "the worker has no configuration yet")
        self.frames.wait()
        self.session = None  # free the old model first
        target = None if self.drawing is None else DrawnTarget(*self.drawing)
        self.session = Session(self.config, target=target,
                               surface_resolution=LIVE_SURFACE_RESOLUTION)
        self.session.skip_extras(self.skipped_extras)
        self._reset_pace()
        self._publish_now()

    def _save(self, path: str, tag: str) -> None:
        """Write the session to an experiment file (the UI learns of it by a "saved" message)."""
        if self.session is None:
            raise ConfigError("experiment", path, "nothing to save yet: the session is starting")
        self.frames.wait()
        save_experiment(path, self.session, self.drawing)
        self.publish(("saved", path, tag, self.session.step_count))

    def _open(self, path: str) -> None:
        """Continue the run saved in ``path`` (paused, at its saved step)."""
        experiment = load_experiment(path)  # ConfigError, reported, if the file is bad
        session = experiment.session(surface_resolution=LIVE_SURFACE_RESOLUTION)
        session.skip_extras(self.skipped_extras)
        self.frames.wait()
        self._set_playing(False)
        self.config, self.drawing, self.session = experiment.config, experiment.drawing, session
        self._reset_pace()
        self._publish_now()

    def _set_drawing(self, density, bounds) -> None:
        """The drawing changed: train toward it from the next step (no reset)."""
        target = DrawnTarget(density, bounds)  # ConfigError if empty: reported, nothing changes
        self.drawing = (density, bounds)
        if self.session is None or self.session.failed is not None:
            self._rebuild()
            return
        self.frames.wait()
        self.session.set_target(target)
        if not self.playing:
            self._publish_now()

    def _skip_extras(self, names: frozenset[str]) -> None:
        """Frames leave out the optional extras ``names`` from now on; one asked for again
        comes at once while paused (its view has just been shown)."""
        wanted_again = self.skipped_extras - names
        self.skipped_extras = names
        if self.session is None:
            return
        self.session.skip_extras(names)  # a frame in flight may still come with the old set
        if wanted_again and not self.playing:
            self._publish_now()

    def _set_playing(self, playing: bool) -> None:
        self.playing = playing
        self.publish(("state", {"playing": playing}))

    def _single_step(self, count: int, players) -> None:
        if self.session is None or self.session.failed is not None:
            self._rebuild()
        self._set_playing(False)
        self.session.step(count, players)
        self._publish_now()

    def _publish_now(self) -> None:
        """Render and publish a frame right away (after a step, reset or pause)."""
        if self.session is None:
            return
        self.frames.wait()
        snapshot = self.session.snapshot()
        self.publish(("snapshot", snapshot, self._stats()))

    # ----------------------------------------------------------- training

    def train_chunk(self) -> None:
        """Train about ``CHUNK_SECONDS`` worth of steps, then maybe hand a frame on to be drawn."""
        session = self.session
        steps = self._chunk_steps()
        start = time.perf_counter()
        try:
            session.step(steps)
        except TrainingDiverged as error:
            self._report_divergence(error)
            return
        except Exception:
            self._report_crash()
            return
        elapsed = time.perf_counter() - start
        self._seconds_per_step = elapsed / steps
        self._rate_window.append((time.perf_counter(), session.step_count))
        if self.max_steps_per_second:
            time.sleep(max(0.0, steps / self.max_steps_per_second - elapsed))
        self._maybe_render()

    def _reset_pace(self) -> None:
        """A new session: its time per step is unknown until a chunk is timed."""
        self._seconds_per_step = 0.0
        self._rate_window.clear()

    def _chunk_steps(self) -> int:
        """Steps in the next chunk: about ``CHUNK_SECONDS`` worth, stretched or cut to end when
        the next frame falls due (one chunk per frame at full frame rate, so frames keep their
        pace); short while an overdue frame waits to be drawn; one step while the pace is
        unknown; at most a ``CHUNK_SECONDS`` share of a speed limit."""
        if not self._seconds_per_step:
            return 1
        until_frame = self._next_frame - time.perf_counter()
        if until_frame < 0:  # the last frame is still being drawn
            seconds = CHUNK_SECONDS / 5
        elif until_frame < 1.5 * CHUNK_SECONDS:
            seconds = until_frame
        else:
            seconds = CHUNK_SECONDS
        steps = math.ceil(seconds / self._seconds_per_step)
        if self.max_steps_per_second:
            steps = min(steps, int(self.max_steps_per_second * CHUNK_SECONDS))
        return max(1, min(1000, steps))

    def _maybe_render(self) -> None:
        self.frames.collect()
        now = time.perf_counter()
        if now < self._next_frame or self.frames.busy:
            return
        scene = (self.config, self.drawing, self.skipped_extras)
        self.frames.submit(self.session, self._stats(), scene)
        self._next_frame = now + self._frame_spacing()

    def _frame_spacing(self) -> float:
        """Seconds from one frame to the next: the frame rate's, or more while frames take
        longer to draw than their CPU budget allows."""
        return max(1.0 / self.frame_rate, self.frames.render_seconds / RENDER_BUDGET)

    def _stats(self) -> dict:
        window = [(t, s) for t, s in self._rate_window if t > time.perf_counter() - 2.0]
        self._rate_window = window
        rate = 0.0
        if len(window) >= 2 and window[-1][0] > window[0][0]:
            rate = (window[-1][1] - window[0][1]) / (window[-1][0] - window[0][0])
        return {"steps_per_s": rate, "playing": self.playing}

    # ----------------------------------------------------------- failures

    def _report_divergence(self, error: TrainingDiverged) -> None:
        self._set_playing(False)
        self.frames.wait()
        self.publish(("error", str(error), self.session.snapshot() if self.session else None))

    def _report_crash(self) -> None:
        self._set_playing(False)
        self.session = None  # its state is unknown; Play or Reset builds a fresh one
        self.publish(("error", "training failed:\n" + traceback.format_exc(limit=6), None))

    def close(self) -> None:
        """Stop drawing frames (the render thread and process; see ``FramePipeline.close``)."""
        self.frames.close()


def checked_frame_rate(value) -> float:
    """``value`` as frames a second; ConfigError unless it is a number from 1 to
    ``MAX_FRAME_RATE``."""
    try:
        rate = float(value)
    except (TypeError, ValueError):
        rate = math.nan
    if not 1.0 <= rate <= MAX_FRAME_RATE:  # NaN fails too
        raise ConfigError("frame_rate", value,
                          f"must be a number of frames a second from 1 to {MAX_FRAME_RATE:g}")
    return rate


#: scheduling niceness of the worker: when the window needs a core, it gets it first
WORKER_NICENESS = 5


def lower_priority() -> None:
    """Lower the worker's scheduling priority so the UI's frames are never late for training.

    With two cores, the training thread, the frames' drawing and the UI compete; at
    equal priority the UI's 16 ms frames were late by up to 25 ms (p99). Training only loses
    the little CPU time the UI actually uses.
    """
    try:
        os.nice(WORKER_NICENESS)
    except (AttributeError, OSError):  # Windows has no nice(); a refused change is harmless
        pass


def worker_main(commands, messages, threads: int = 1, parent: int | None = None,
                cpus: CpuPlan | None = None) -> None:
    """Entry point of the worker process (start method ``spawn``).

    ``parent`` is the app's process id (default: this process's parent now). The worker ends
    once the app is no longer its parent, also when the app went away while the worker was
    still starting (asked at start, ``os.getppid()`` would already name the adoptive parent).
    ``cpus``: where training and the drawing of frames run (``advplay.worker.cpus``).
    """
    import torch

    torch.set_num_threads(threads)
    lower_priority()
    messages.cancel_join_thread()  # never hang at exit on frames nobody will read
    # Up and paused. The first message also starts the queue's feeder thread, which pickles
    # every frame for the app: started before this thread keeps to the training CPU, it keeps
    # off it, as do the render thread and process (they keep off it themselves).
    messages.put(("state", {"playing": False}))

    def publish(message):
        if message[0] == "snapshot":
            try:
                messages.put_nowait(message)  # a frame the UI has no room for is dropped
            except queue.Full:
                pass
        else:
            messages.put(message)

    worker = Worker(publish, threads, cpus)
    worker.frames.cpus.pin_training()  # the plan as the worker holds it (no plan: every CPU)
    parent = os.getppid() if parent is None else parent
    try:
        while os.getppid() == parent:  # an app killed without a word leaves no orphan training
            try:
                command = commands.get(timeout=0.1) if not worker.playing else commands.get_nowait()
            except queue.Empty:
                command = None
            except (EOFError, OSError):  # the app went away
                break
            if command is not None:
                if not worker.handle(command):
                    break
                continue
            if worker.playing and worker.session is not None:
                worker.train_chunk()
    except KeyboardInterrupt:
        pass
    finally:
        worker.close()
