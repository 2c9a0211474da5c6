"""Where the app's threads run: training on a CPU of its own, the window and the drawing of
frames on the others (Linux, two CPUs or more), or anywhere when there is no plan."""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from advplay.core.config import Config
from advplay.worker import WorkerHandle, render
from advplay.worker.cpus import PIN_VARIABLE, START_CPUS, CpuPlan
from advplay.worker.process import Worker
from worker_helpers import live_frames, play_until

SMALL = Config().replace({"model.width": 32, "train.batch_size": 64})

needs_two_cpus = pytest.mark.skipif(
    not hasattr(os, "sched_setaffinity") or len(START_CPUS) < 2,
    reason="CPU affinity needs Linux and two CPUs")


def test_a_plan_gives_training_the_first_cpu_and_the_rest_the_others(monkeypatch):
    monkeypatch.delenv(PIN_VARIABLE, raising=False)
    plan = CpuPlan.for_training(1, allowed={2, 3, 5})
    if not hasattr(os, "sched_setaffinity"):
        assert plan == CpuPlan(None, frozenset({2, 3, 5}))
        return
    assert plan == CpuPlan(2, frozenset({3, 5}))


@pytest.mark.parametrize("threads, allowed, setting", [
    (2, {0, 1}, None),  # training in two threads: one CPU would halve it
    (1, {4}, None),  # one CPU: nothing to keep apart
    (1, {0, 1}, "0"), (1, {0, 1}, "off"), (1, {0, 1}, " False "),  # turned off
])
def test_no_plan_where_it_cannot_help_or_is_turned_off(monkeypatch, threads, allowed, setting):
    if setting is None:
        monkeypatch.delenv(PIN_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(PIN_VARIABLE, setting)
    assert CpuPlan.for_training(threads, allowed=allowed) == CpuPlan(None, frozenset(allowed))


def affinity_in_thread(action) -> set:
    """The CPUs a new thread may use after ``action`` ran in it (the test's own thread keeps
    its affinity)."""
    seen = []

    def run():
        action()
        seen.append(os.sched_getaffinity(0))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return seen[0]


@needs_two_cpus
def test_threads_keep_to_the_plan_and_no_plan_frees_them():
    first, *rest = sorted(START_CPUS)
    plan = CpuPlan(first, frozenset(rest))
    assert affinity_in_thread(plan.pin_training) == {first}
    assert affinity_in_thread(plan.keep_off_training) == set(rest)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:  # another process, by its id (the worker places its render process so)
        assert plan.keep_off_training(child.pid)
        assert os.sched_getaffinity(child.pid) == set(rest)
    finally:
        child.kill()
        child.wait()
    narrowed = CpuPlan(None, frozenset({first}))  # a thread kept to one CPU, freed by none()
    assert affinity_in_thread(lambda: (narrowed.pin_training(),
                                       CpuPlan.none().pin_training())) == set(START_CPUS)


@pytest.fixture
def planned_worker(monkeypatch):
    """A worker (driven directly) under a CPU plan, playing, its frames drawn by a render
    process at idle priority; what it publishes is in ``worker.published``. Training (this
    thread) keeps to its CPU, as in the worker process, and a render process is taken for
    starved only when a test lowers ``STARVED_SECONDS``."""
    monkeypatch.setattr(render, "PROCESS_AFTER_FRAMES", 1)
    monkeypatch.setattr(render, "STARVED_SECONDS", 1e6)
    first, *rest = sorted(START_CPUS)
    published = []
    plan = CpuPlan(first, frozenset(rest))
    worker = Worker(published.append, 1, plan)
    worker.published = published
    plan.pin_training()
    try:
        worker.handle(("configure", SMALL.to_dict()))
        worker.handle(("play",))
        play_until(worker, lambda: live_frames(published, "process"))
        yield worker
    finally:
        worker.close()
        CpuPlan.none().pin_training()  # this thread free again


@needs_two_cpus
def test_the_render_thread_and_process_keep_off_the_training_cpu(planned_worker):
    worker, rest = planned_worker, START_CPUS - {min(START_CPUS)}
    drawing = [thread for thread in threading.enumerate()  # render, send, receive
               if thread.name.startswith("advplay-render")]
    assert len(drawing) == 3
    assert all(os.sched_getaffinity(thread.native_id) == set(rest) for thread in drawing)
    assert os.sched_getaffinity(worker.frames.process._child.pid) == set(rest)
    assert os.sched_getscheduler(worker.frames.process._child.pid) == os.SCHED_IDLE

def worker_affinity(handle: WorkerHandle, expected: set, timeout: float = 60.0) -> set:
    """The worker process's training thread's CPUs, once they are ``expected`` (it keeps to
    them after its first message) or the time is up."""
    deadline = time.time() + timeout
    while (seen := os.sched_getaffinity(handle.process.pid)) != expected:
        if time.time() > deadline:
            break
        time.sleep(0.05)
    return seen


@needs_two_cpus
@pytest.mark.parametrize("pin", [True, False])
def test_the_worker_trains_on_its_cpu_unless_told_not_to(monkeypatch, pin):
    monkeypatch.delenv(PIN_VARIABLE, raising=False)
    handle = WorkerHandle(pin_training=pin)
    first = min(START_CPUS)
    assert handle.cpus.training == (first if pin else None)
    handle.start()
    try:
        expected = {first} if pin else set(START_CPUS)
        assert worker_affinity(handle, expected) == expected
    finally:
        handle.stop()


def sleeping_child() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="SCHED_IDLE is Linux's")
def test_a_process_runs_at_idle_priority_only_under_a_plan():
    child = sleeping_child()
    try:
        assert not CpuPlan.none().run_when_idle(child.pid)  # training may share every CPU
        assert os.sched_getscheduler(child.pid) == os.SCHED_OTHER
        assert CpuPlan(0, frozenset({1})).run_when_idle(child.pid)
        assert os.sched_getscheduler(child.pid) == os.SCHED_IDLE
    finally:
        child.kill()
        child.wait()
    assert not CpuPlan(0, frozenset({1})).run_when_idle(child.pid)  # gone: refused, quietly


@needs_two_cpus
def test_a_starved_render_process_at_idle_priority_is_replaced_at_the_workers(
        monkeypatch, planned_worker, capfd):
    monkeypatch.setattr(render, "STARVED_SECONDS", 0.2)
    worker, published = planned_worker, planned_worker.published
    starved = worker.frames.process
    assert starved.idle and os.sched_getscheduler(starved._child.pid) == os.SCHED_IDLE
    os.kill(starved._child.pid, signal.SIGSTOP)  # never answers, as if given no CPU
    count = len(live_frames(published, "process"))
    play_until(worker, lambda: len(live_frames(published, "process")) > count)
    replacement = worker.frames.process
    assert replacement is not starved and not replacement.idle
    assert os.sched_getscheduler(replacement._child.pid) == os.SCHED_OTHER
    assert starved._child.poll() is not None  # ended (killed while stopped)
    assert worker.frames.process_failures == 0 and not worker.frames.idle_allowed
    assert not [m for m in published if m[0] == "error"]
    assert "restarts at the worker's priority" in capfd.readouterr().err
