"""Driving a worker directly (no process) in tests: play until something happens."""

import time


def play_until(worker, condition, timeout=60.0):
    """Train the worker chunk by chunk until ``condition()`` holds (fail after ``timeout`` s)."""
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, "the worker did not get there in time"
        worker.train_chunk()


def live_frames(published, where):
    """The live frames among ``published`` messages drawn ``where`` ("process" or "thread")."""
    return [m for m in published if m[0] == "snapshot" and m[2].get("drawn_in") == where]
