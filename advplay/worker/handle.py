"""The app-side handle on the worker process (Qt-free, so it is testable without a window)."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import deque

from advplay.worker.cpus import CpuPlan
from advplay.worker.process import worker_main

#: frames in flight between the processes; more are dropped in the worker
MESSAGE_QUEUE_SIZE = 4
#: messages kept for the app between two polls; the oldest go first if it stops polling
INBOX_SIZE = 64


class WorkerHandle:
    """Starts, talks to and stops the worker process.

    The process uses the ``spawn`` start method (the same on Linux, macOS and Windows, and safe
    with CUDA). It is started once and reused; :meth:`ensure_running` restarts a dead one.

    Messages are read by a reader thread, never by the caller: a worker killed halfway through
    writing a frame leaves a partial message that would block any reader forever, so only that
    thread may block, and :meth:`receive` returns at once whatever arrived.
    """

    def __init__(self, threads: int = 1, pin_training: bool = True):
        self._context = multiprocessing.get_context("spawn")
        self.threads = threads
        # made now, from the CPUs the app may use before any of its threads keeps off one
        self.cpus = CpuPlan.for_training(threads) if pin_training else CpuPlan.none()
        self.process = None
        self.commands = None
        self.messages = None
        self._reader: threading.Thread | None = None
        self._inbox: deque = deque()

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
            target=worker_main,
            args=(self.commands, self.messages, self.threads, os.getpid(), self.cpus),
            name="advplay-worker", daemon=True)
        self.process.start()
        self._inbox = deque(maxlen=INBOX_SIZE)
        self._reader = threading.Thread(target=_read_messages, args=(self.messages, self._inbox),
                                        name="advplay-worker-reader", daemon=True)
        self._reader.start()

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
        """Every message that has arrived, oldest first, without blocking."""
        received = []
        while self._inbox:
            received.append(self._inbox.popleft())
        return received

    def stop(self, timeout: float = 1.5) -> None:
        """Ask the worker to quit, and end it if it has not within ``timeout`` seconds."""
        if self.process is None:
            return
        if self.process.is_alive():
            self.commands.put(("quit",))
            self.process.join(timeout)
            if self.process.is_alive():
                self.process.kill()
                self.process.join(1.0)
        self.messages.put(None)  # wakes the reader (or completes a torn frame it then rejects)
        self._reader.join(0.5)
        for channel in (self.commands, self.messages):
            channel.cancel_join_thread()
            channel.close()
        self.process = self.commands = self.messages = self._reader = None


def _read_messages(messages, inbox: deque) -> None:
    """Reader thread: move messages from the process queue to ``inbox`` until told to stop."""
    while True:
        try:
            message = messages.get()
        except Exception:  # closed, or a torn frame from a killed worker: nothing more to read
            return
        if message is None:
            return
        inbox.append(message)
