"""The Qt side of the worker: a small QObject that sends commands and emits what comes back."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from advplay.core.config import Config
from advplay.worker import WorkerHandle
from advplay.worker.process import DEFAULT_FRAME_RATE

#: how often the UI looks for new frames; only the newest frame waiting is drawn
POLL_MS = 15


class WorkerClient(QObject):
    """Talks to the training worker without ever waiting on it.

    Signals
    -------
    snapshot_received(Snapshot, dict) : the newest frame and worker stats (steps_per_s)
    error_reported(str) : training diverged, a command was refused, or training raised
    playing_changed(bool)
    worker_died(str) : the process ended unexpectedly; the next Play restarts it
    saved(str, str, int) : the worker wrote an experiment file (path, tag, step)
    """

    snapshot_received = Signal(object, dict)
    error_reported = Signal(str)
    playing_changed = Signal(bool)
    worker_died = Signal(str)
    saved = Signal(str, str, int)

    def __init__(self, parent: QObject | None = None, pin_training: bool = True):
        super().__init__(parent)
        self.handle = WorkerHandle(pin_training=pin_training)  # see advplay.worker.cpus
        self.config: Config | None = None
        self.drawing = None  # (density, bounds) when the target is a drawing in memory
        self.speed: float | None = None  # steps per second at most, None for full speed
        self.frame_rate = DEFAULT_FRAME_RATE  # frames a second while training
        self.skipped_extras: frozenset[str] = frozenset()
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._on_poll)
        self._reported_death = False

    def start(self, config: Config) -> None:
        """Start the worker (a few seconds in the background) and give it ``config``."""
        self.config = config
        self._ensure_worker()
        self._timer.start()

    def _ensure_worker(self) -> bool:
        """(Re)start a worker that is not running and give it the current experiment.

        True if it had to: the new worker already holds the current config.
        """
        if not self.handle.ensure_running():
            return False
        self._reported_death = False
        # what the window chose goes first, so the first session already follows it
        self.handle.send("speed", self.speed)
        self.handle.send("frame_rate", self.frame_rate)
        self.handle.send("skip_extras", sorted(self.skipped_extras))
        self.handle.send("configure", self.config.to_dict(), self.drawing)
        return True

    def configure(self, config: Config, drawing=None) -> None:
        """New config (and drawn target, if any): the worker builds a fresh session (step 0)."""
        self.config, self.drawing = config, drawing
        if not self._ensure_worker():
            self.handle.send("configure", config.to_dict(), drawing)

    def set_drawing(self, density, bounds) -> None:
        """The drawn target changed: training goes on toward the new shape."""
        self.drawing = (density, bounds)
        if not self._ensure_worker():  # a restarted worker got the drawing with its config
            self.handle.send("set_target", density, bounds)

    def play(self) -> None:
        self._ensure_worker()
        self.handle.send("play")

    def pause(self) -> None:
        if self.handle.alive:
            self.handle.send("pause")

    def step(self, count: int = 1, players: tuple[str, ...] | None = None) -> None:
        self._ensure_worker()
        self.handle.send("step", count, players)

    def reset(self) -> None:
        self._ensure_worker()
        self.handle.send("reset")

    def apply(self, changes: dict) -> None:
        """Hyperparameters that change on the fly; the config is updated here too."""
        self.config = self.config.replace(changes)
        if self.handle.alive:
            self.handle.send("apply", changes)

    def save(self, path: str, tag: str = "") -> None:
        """Ask the worker to write the session to ``path``; ``saved`` reports it done."""
        if self.handle.alive:
            self.handle.send("save", str(path), tag)

    def open(self, path: str, config: Config, drawing=None) -> None:
        """Continue the run saved in ``path`` (checked by the caller; ``config`` is its config)."""
        self.config, self.drawing = config, drawing
        self._ensure_worker()
        self.handle.send("open", str(path))

    def set_speed(self, steps_per_second: float | None) -> None:
        self.speed = steps_per_second
        if self.handle.alive:
            self.handle.send("speed", steps_per_second)

    def set_frame_rate(self, frames_per_second: float) -> None:
        self.frame_rate = frames_per_second
        if self.handle.alive:
            self.handle.send("frame_rate", frames_per_second)

    def skip_extras(self, names) -> None:
        """Frames leave out the optional extras ``names`` (those no view on show draws);
        one asked for again comes with the next frame, at once while paused."""
        names = frozenset(names)
        if names != self.skipped_extras:
            self.skipped_extras = names
            if self.handle.alive:
                self.handle.send("skip_extras", sorted(names))

    def shutdown(self) -> None:
        """Stop polling and end the worker (within ~2 s, killing it if it does not quit)."""
        self._timer.stop()
        self.handle.stop()

    def _on_poll(self) -> None:
        newest = None
        for message in self.handle.receive():
            kind = message[0]
            if kind == "snapshot":
                newest = message
            elif kind == "state":
                self.playing_changed.emit(message[1]["playing"])
            elif kind == "saved":
                self.saved.emit(*message[1:])
            elif kind == "error":
                if message[2] is not None:
                    newest = ("snapshot", message[2], {"steps_per_s": 0.0, "playing": False})
                self.error_reported.emit(message[1])
        if newest is not None:
            self.snapshot_received.emit(newest[1], newest[2])
        if not self.handle.alive and self.handle.process is not None and not self._reported_death:
            self._reported_death = True
            self.playing_changed.emit(False)
            self.worker_died.emit(f"the training process stopped unexpectedly (exit code "
                                  f"{self.handle.exit_code}); press Play or Reset to restart it")
