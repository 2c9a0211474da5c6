"""Drawing frames beside training: a render process for CPU sessions, else a render thread.

A frame (the discriminator on the grid, the generator's samples, arrows and latent grid) costs
~8 ms of the default experiment. Drawn by a thread of the worker it shared the GIL with
training, and every hand-over of the GIL between the two cost training more than the drawing
itself: 7% of its speed at 10 frames a second, against 0.4% for the same frames drawn by
another process (alternating 2 s phases, 12 each, median ratios 0.929 and 0.996; README).

So once a CPU session has trained for ``PROCESS_AFTER_FRAMES`` live frames, the worker starts a
render process. It keeps a *replica* of the session, built from the same config and target, and
each frame the worker sends it the model's state (weights and tensors as NumPy, no
optimisers) and the frame's training fields (~0.3 MB and ~0.6 ms, pickled, for the default
GAN); the replica loads the state and draws the same snapshot, value for value, which the
worker publishes. Until the replica is ready (the process starting, or rebuilding after a
change of config or drawing) and for sessions on other devices, the render thread draws. One
frame is in flight at a time.

The process is started with ``subprocess`` (the worker is a daemonic ``multiprocessing``
process, which may not have children of its own) and inherits its end of a
``multiprocessing`` connection (a socket pair), which two threads of the worker serve. It
ends when the worker closes the connection or dies (end of file), is niced like the worker,
and keeps off training's CPU as the render thread does, at idle priority while training
has a CPU of its own (``advplay.worker.cpus``; one starved of CPU there is replaced by one at
the worker's priority).
"""

from __future__ import annotations

import os
import pickle
import queue
import subprocess
import sys
import threading
import time
import traceback
from multiprocessing import Pipe
from multiprocessing.connection import Connection

from advplay.worker.cpus import CpuPlan

#: live frames a CPU session trains for before frames move to a render process (~2 s at the
#: default rate): a short play or a test's few steps never start one
PROCESS_AFTER_FRAMES = 20
#: render processes that may fail (die, or fail to build a replica) before the worker keeps to
#: its render thread
PROCESS_FAILURES_ALLOWED = 3
#: seconds to wait for the frame in flight before the render process is given up as hung
FRAME_TIMEOUT = 10.0
#: a frame in a render process at idle priority that has not come after this many seconds, and
#: this many times the last frame's drawing time, means the process is starved of CPU (by a
#: busy program of normal priority on the window's CPUs): it is replaced by one at the worker's
#: priority. A default frame takes ~0.01-0.02 s
STARVED_SECONDS, STARVED_FACTOR = 1.0, 10
#: the render process gets its end of the connection as an inherited file descriptor
#: (``pass_fds``), which Windows has not: there the render thread draws every frame
PROCESS_POSSIBLE = os.name == "posix"


class RenderThread(threading.Thread):
    """Renders captures in the background and publishes the snapshots."""

    def __init__(self, publish, cpus: CpuPlan):
        super().__init__(name="advplay-render", daemon=True)
        self.publish = publish
        self.cpus = cpus
        self._inbox: queue.Queue = queue.Queue(maxsize=1)
        self.idle = threading.Event()
        self.idle.set()
        self.render_seconds = 0.0

    def submit(self, capture, stats: dict, on_done) -> None:
        self.idle.clear()
        self._inbox.put((capture, stats, on_done))

    def stop(self) -> None:
        self._inbox.put(None)

    def run(self) -> None:
        self.cpus.keep_off_training()
        while (job := self._inbox.get()) is not None:
            capture, stats, on_done = job
            start = time.perf_counter()
            try:
                snapshot = capture.render()
                on_done(snapshot)
                self.publish(("snapshot", snapshot, stats))
            except Exception:  # a frame that fails to render must not kill the worker
                self.publish(("error", "drawing a frame failed:\n" + traceback.format_exc(), None))
            self.render_seconds = time.perf_counter() - start
            self.idle.set()


class RenderProcess:
    """The worker's end of a render process: scenes and frames out, replies in.

    The connection is used by two threads of its own, kept off training's CPU: one sends
    what the training thread queues, one receives the replies. Sent from the training thread,
    a frame's 0.3 MB cost it 1.7-2.8 ms (pickling, and waiting for the process to drain the
    socket), 5-8% of its time at 10 frames a second; queued, ~0.01 ms.
    """

    def __init__(self, resolution: int, threads: int, cpus: CpuPlan, idle: bool = True):
        ours, theirs = Pipe()  # a socket pair: private to the two processes
        path = os.pathsep.join(entry for entry in sys.path if entry)  # advplay found as here
        self._child = subprocess.Popen(
            [sys.executable, "-c", "from advplay.worker.render import main; main()"],
            stdin=subprocess.PIPE, pass_fds=(theirs.fileno(),),
            env={**os.environ, "PYTHONPATH": path})
        # at once, as Python starts: started by the training thread, it runs on its CPU, and
        # importing torch takes ~1.7 s
        cpus.keep_off_training(self._child.pid)
        #: whether it runs at idle priority (asked, and the plan allows it: advplay.worker.cpus)
        self.idle = idle and cpus.run_when_idle(self._child.pid)
        with self._child.stdin as pipe:
            pipe.write(pickle.dumps((theirs.fileno(), threads, resolution)))
        theirs.close()
        self.cpus = cpus
        self._outbox: queue.Queue = queue.Queue()  # scenes and frames, in order; None: the end
        self._replies: queue.Queue = queue.Queue()  # the process's; ("gone",) when it went
        for target, name in ((self._send, "send"), (self._receive, "receive")):
            threading.Thread(target=target, args=(ours,), name=f"advplay-render-{name}",
                             daemon=True).start()
        self._sent_scene = None  # (number, config, drawing, skipped) last sent
        self._ready_scene = -1

    def _send(self, connection) -> None:
        """Sender thread: what the training thread queued, in order, until the end."""
        self.cpus.keep_off_training()  # started by the training thread: it would inherit its CPU
        while True:
            message = self._outbox.get()
            try:
                connection.send(message)
            except OSError:  # the process went away: the receiver says so
                return
            if message is None:  # the process ends, and the receiver closes the connection
                return

    def _receive(self, connection) -> None:
        """Receiver thread: replies in until the process has gone (end of file)."""
        self.cpus.keep_off_training()
        while True:
            try:
                reply = connection.recv()
            except (EOFError, OSError):
                self._replies.put(("gone",))
                connection.close()
                return
            self._replies.put(reply)

    @property
    def alive(self) -> bool:
        return self._child.poll() is None

    def ready_for(self, scene: tuple) -> bool:
        """Whether the replica draws ``scene`` (config, drawing, skipped extras) now; sends it
        the scene (rebuild, or changes) when it has another one."""
        sent = self._sent_scene
        if sent is None or any(new is not old for new, old in zip(scene, sent[1:])):
            number = 0 if sent is None else sent[0] + 1
            config, drawing, skipped = scene
            same_drawing = sent is not None and drawing is sent[2]
            self._outbox.put(("scene", number, config, same_drawing, drawing, skipped))
            self._sent_scene = (number, *scene)
        return self._ready_scene == self._sent_scene[0]

    def send_frame(self, state: dict, fields: dict) -> None:
        self._outbox.put(("frame", state, fields))

    def replies(self, timeout: float = 0.0) -> list[tuple]:
        """Replies that have arrived (waiting up to ``timeout`` s for the first); ``("ready",)``
        ones are taken here. EOFError when the process has gone."""
        received = []
        try:
            reply = self._replies.get(timeout=timeout) if timeout else self._replies.get_nowait()
            while True:
                if reply[0] == "gone":
                    raise EOFError("the render process went away")
                if reply[0] == "ready":
                    self._ready_scene = reply[1]
                else:
                    received.append(reply)
                reply = self._replies.get_nowait()
        except queue.Empty:
            return received

    def close(self, timeout: float = 1.0) -> None:
        """End the process: asked to, then killed if it has not within ``timeout`` s."""
        self._outbox.put(None)
        try:
            self._child.wait(timeout)
        except subprocess.TimeoutExpired:
            self._child.kill()
            self._child.wait()


class FramePipeline:
    """One frame in flight at a time, drawn by the render process or the render thread."""

    def __init__(self, publish, resolution: int, threads: int = 1, cpus: CpuPlan | None = None):
        self.publish = publish
        self.resolution, self.threads = resolution, threads
        self.cpus = CpuPlan.none() if cpus is None else cpus
        self.thread = RenderThread(publish, self.cpus)
        self.thread.start()
        self.process: RenderProcess | None = None
        self.process_failures = 0
        self.idle_allowed = True  # until a render process at idle priority starved
        self._pending = None  # (session, stats) of the frame the process is drawing
        self._sent_at = 0.0
        self._process_seconds: float | None = None  # the last frame's, if the process drew it
        self._cpu_frames = 0

    @property
    def busy(self) -> bool:
        return self._pending is not None or not self.thread.idle.is_set()

    @property
    def render_seconds(self) -> float:
        """How long the last frame took to draw, by whichever drew it (the thread's time of its
        last frame, drawn while the process started beside it, once held the frame rate at 6
        a second after the process had taken over)."""
        if self._process_seconds is None:
            return self.thread.render_seconds
        return self._process_seconds

    def submit(self, session, stats: dict, scene: tuple) -> None:
        """Draw a live frame of ``session``; ``scene`` is (config, drawing, skipped extras).
        Its ``stats`` say where it was drawn (``drawn_in``: "process" or "thread")."""
        if self._process_ready(session, scene):
            self.process.send_frame(session.frame_state(), session.frame_fields())
            self._pending = (session, {**stats, "drawn_in": "process"})
            self._sent_at = time.perf_counter()
            return
        self._process_seconds = None
        self.thread.submit(session.capture(), {**stats, "drawn_in": "thread"}, session.remember)

    def _process_ready(self, session, scene: tuple) -> bool:
        if (session.device.type != "cpu" or not PROCESS_POSSIBLE
                or self.process_failures >= PROCESS_FAILURES_ALLOWED):
            return False
        self._cpu_frames += 1
        if self.process is None and self._cpu_frames >= PROCESS_AFTER_FRAMES:
            self.process = RenderProcess(self.resolution, self.threads, self.cpus,
                                         idle=self.idle_allowed)
        if self.process is None:
            return False
        if not self.process.alive:  # also one that ended before it could answer
            self._process_failed("it ended")
            return False
        return self.process.ready_for(scene)

    def collect(self, timeout: float = 0.0) -> None:
        """Publish what the render process has drawn (waiting up to ``timeout`` s)."""
        if self.process is None:
            return
        try:
            replies = self.process.replies(timeout)
        except EOFError:
            self._process_failed("it went away")
            return
        for reply in replies:
            if reply[0] == "broken":  # it ends: nothing comes after this
                self._process_failed("it could not build the session:\n" + reply[1])
                return
            self._frame_drawn(*reply[1:])
        if self._starved():
            self._replace_starved_process()

    def _starved_limit(self) -> float | None:
        """How long the frame in flight may wait for a render process at idle priority
        (``STARVED_SECONDS``, or ``STARVED_FACTOR`` times its last frame); None if it need not."""
        if self._pending is None or self.process is None or not self.process.idle:
            return None
        return max(STARVED_SECONDS, STARVED_FACTOR * (self._process_seconds or 0.0))

    def _starved(self) -> bool:
        limit = self._starved_limit()
        return limit is not None and time.perf_counter() - self._sent_at > limit

    def _replace_starved_process(self) -> None:
        """End the starved process; the thread draws until the next, at the worker's priority,
        is ready (the frame in flight is dropped: a later one follows, or the caller's own)."""
        self._end_process(f"the render process at idle priority drew no frame in "
                          f"{self._starved_limit():.3g} s (the CPU is busy); "
                          "it restarts at the worker's priority")
        self.idle_allowed = False

    def _frame_drawn(self, snapshot, error: str | None, seconds: float) -> None:
        session, stats = self._pending
        self._pending = None
        self._process_seconds = seconds
        if snapshot is None:
            self.publish(("error", "drawing a frame failed:\n" + error, None))
            return
        session.remember(snapshot)
        self.publish(("snapshot", snapshot, stats))

    def wait(self) -> None:
        """Until no frame is in flight (the process's is published when it comes)."""
        self.thread.idle.wait()
        deadline = time.perf_counter() + FRAME_TIMEOUT
        while self._pending is not None and self.process is not None:
            if time.perf_counter() > deadline:
                self._process_failed(f"a frame took over {FRAME_TIMEOUT:g} s")
                break
            self.collect(timeout=0.1)
        self._pending = None

    def _process_failed(self, why: str) -> None:
        """Give the render process up (the thread draws; a new process may start later)."""
        self._end_process(f"the render process stopped ({why}); frames are drawn in the worker")
        self.process_failures += 1

    def _end_process(self, message: str) -> None:
        """Say why on stderr, end the render process and drop the frame it was drawing."""
        print(f"advplay: {message}", file=sys.stderr)
        self.process.close(timeout=0.5)
        self.process, self._pending, self._cpu_frames = None, None, 0

    def close(self) -> None:
        """Stop the thread and wait for it (a thread still inside a torch kernel at interpreter
        exit aborts the process), and end the render process."""
        self.thread.stop()
        self.thread.join(timeout=1.0)
        if self.process is not None:
            self.process.close(timeout=0.5)


# ----------------------------------------------------------------- the render process


class Replica:
    """The render process's copy of the worker's session, drawing frames from its state."""

    def __init__(self, resolution: int):
        self.resolution = resolution
        self.session = None

    def set_scene(self, config, same_drawing: bool, drawing, skipped) -> None:
        """Follow the worker's session: a new one for a new drawing or a change of config that
        needs one, else the on-the-fly changes."""
        from advplay.core.config import ON_THE_FLY
        from advplay.core.drawn import DrawnTarget
        from advplay.core.session import Session

        session = self.session
        changes = {} if session is None else {
            key: config.value(key) for key in ON_THE_FLY
            if config.value(key) != session.config.value(key)}
        if session is None or not same_drawing or session.config.replace(changes) != config:
            self.session = None  # free the old model first
            target = None if drawing is None else DrawnTarget(*drawing)
            self.session = session = Session(config, target=target,
                                             surface_resolution=self.resolution)
        elif changes:
            session.apply(changes)
        session.skip_extras(skipped)

    def draw(self, state: dict, fields: dict) -> tuple:
        """("frame", snapshot or None, error text or None, seconds)."""
        start = time.perf_counter()
        try:
            snapshot, error = self.session.render_frame(state, fields), None
        except Exception:
            snapshot, error = None, traceback.format_exc()
        return ("frame", snapshot, error, time.perf_counter() - start)


def serve(connection, resolution: int) -> None:
    """Answer the worker's scenes and frames until it closes the connection."""
    replica = Replica(resolution)
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        kind, *args = message
        if kind == "scene":
            try:
                replica.set_scene(*args[1:])
                connection.send(("ready", args[0]))
            except Exception:
                connection.send(("broken", traceback.format_exc()))
                return
        else:
            connection.send(replica.draw(*args))


def main() -> None:
    """Entry point of the render process (its parameters come on standard input)."""
    try:
        handle, threads, resolution = pickle.load(sys.stdin.buffer)
        with Connection(handle) as connection:
            import torch

            torch.set_num_threads(threads)
            serve(connection, resolution)
    except (KeyboardInterrupt, EOFError, OSError):  # the worker went away (or Ctrl+C): quietly
        pass
    # Nothing to clean up or flush but the standard streams, and tearing torch down costs
    # ~0.4 s: leave at once, so the worker's own shutdown is not kept waiting.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
