"""The app-side handle on the worker process (Qt-free, so it is testable without a window)."""

from __future__ import annotations

import multiprocessing
import queue

from advplay.worker.process import worker_main

#: frames waiting for the UI; more are dropped in the worker, so the UI never falls behind
MESSAGE_QUEUE_SIZE = 4


class WorkerHandle:
    """Starts, talks to and stops the worker process.

    The process uses the ``spawn`` start method (the same on Linux, macOS and Windows, and safe
    with CUDA). It is started once and reused; :meth:`ensure_running` restarts a dead one.
    """

    def __init__(self, threads: int = 1):
        self._context = multiprocessing.get_context("spawn")
        self.threads = threads
        self.process = None
        self.commands = None
        self.messages = None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive()

    @property
    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.exitcode

    def start(self) -> None:
        self.commands = self._context.Queue()
        self.messages = self._context.Queue(MESSAGE_QUEUE_SIZE)
        self.process = self._context.Process(
            target=worker_main, args=(self.commands, self.messages, self.threads),
            name="advplay-worker", daemon=True)
        self.process.start()

    def ensure_running(self) -> bool:
        """Start the worker if it is not running; True if it had to be (re)started."""
        if self.alive:
            return False
        self.stop()
        self.start()
        return True

    def send(self, *command) -> None:
        self.commands.put(command)

    def receive(self) -> list[tuple]:
        """Every message waiting now, without blocking."""
        received = []
        while self.messages is not None:
            try:
                received.append(self.messages.get_nowait())
            except (queue.Empty, EOFError, OSError):
                break
        return received

    def stop(self, timeout: float = 1.5) -> None:
        """Ask the worker to quit, and end it if it has not within ``timeout`` seconds."""
        if self.process is None:
            return
        if self.process.is_alive():
            try:
                self.commands.put(("quit",))
            except (ValueError, OSError):
                pass
            self.process.join(timeout)
            if self.process.is_alive():
                self.process.kill()
                self.process.join(1.0)
        self.receive()  # drain, so no feeder thread is left holding data
        for channel in (self.commands, self.messages):
            channel.cancel_join_thread()
            channel.close()
        self.process = self.commands = self.messages = None
