"""Shared test set-up: offscreen Qt, one torch thread, no leaked child processes."""

import multiprocessing
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
import torch  # noqa: E402

# Two cores: one torch thread per process keeps tests fast and stops oversubscription.
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def no_leaked_processes():
    """Fail any test that leaves a child process running (napari's thread-leak habit)."""
    yield
    leaked = [child for child in multiprocessing.active_children() if child.is_alive()]
    for child in leaked:
        child.kill()
    assert not leaked, f"test left child processes running: {leaked}"


@pytest.fixture
def worker():
    """The worker's command handling driven directly (no process); what it publishes is kept
    in ``worker.published``."""
    from advplay.worker.process import Worker

    published = []
    worker = Worker(published.append)
    worker.published = published
    yield worker
    worker.close()
