"""Which CPUs the app's processes run on: training gets a CPU of its own.

Training is one thread (``torch.set_num_threads(1)``). Left to the scheduler, the window, the
drawing of frames and training move between the CPUs, and as the worker is niced
(``lower_priority``), whatever lands on training's CPU takes it from training. Kept apart
(training on one CPU; the window, the render thread and the render process on the others),
with frames drawn by the render process, training beside the animating window was ahead of
the render thread left to the scheduler in 4 of 5 side-by-side runs of ``bench gui`` on two
CPUs, by a median of 3.9 points (README).

The render process, on the window's CPUs, runs at idle priority (``SCHED_IDLE``): woken by its
timer while a frame was being drawn, the window's thread waited for the next scheduler tick
(~4 ms) behind the process at the worker's niceness; the scheduler (EEVDF) lets a woken task
preempt at once only a ``SCHED_IDLE`` one (nice 19 did not do it). In the window's 16 ms
timer (90 s runs, the policy alternating every 3 s), intervals over 20 ms fell from 44 to 23,
21 to 14, 47 to 31 and 26 to 18 (47 to 51 once); in ``bench gui`` (phases alternating, 12
each, two runs) from 20 to 12 and 16 to 6, p99 20.05 -> 19.55 and 19.71 -> 19.24 ms, with
training at 0.951 -> 0.958 and 0.884 -> 0.991 of headless. The render *thread* and the
worker's sending threads keep the worker's niceness: they share training's GIL, and a thread
preempted while holding it would hold training up. A process at idle priority starves beside
a busy task of normal priority (another program, the compare view's second worker) and
cannot, unprivileged, come back from it: the worker replaces a render process whose frame
is overdue by one at its own priority (``STARVED_SECONDS`` in ``advplay.worker.render``).

A plan is made once, in the app, from the CPUs it may use, and handed to the worker, which
places its own threads and its render process. No plan (``None`` training CPU) where the OS
has no CPU affinity (macOS, Windows), with fewer than two CPUs, when training uses more than
one thread, for a second worker (the compare view: two trainings share the CPUs as the
scheduler sees fit), or when ``ADVPLAY_PIN_CPUS=0`` (say, two instances of the app on one
machine: each would keep its training to the same CPU).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

#: the environment variable that turns the plan off ("0", "no", "off" or "false")
PIN_VARIABLE = "ADVPLAY_PIN_CPUS"


@dataclass(frozen=True)
class CpuPlan:
    """``training``: the CPU the training thread keeps to, or None for no plan; ``others``:
    the CPUs everything else keeps to (every CPU allowed when there is no plan)."""

    training: int | None
    others: frozenset[int]

    @classmethod
    def none(cls) -> "CpuPlan":
        """No plan: every thread may run on every CPU the app could when it started."""
        return cls(None, START_CPUS)

    @classmethod
    def for_training(cls, threads: int = 1, allowed=None) -> "CpuPlan":
        """Training on the first CPU of ``allowed`` (default: those the app could use when it
        started), the rest on the others; no plan where that cannot help (module notes)."""
        allowed = START_CPUS if allowed is None else frozenset(allowed)
        wanted = os.environ.get(PIN_VARIABLE, "1").strip().lower() not in ("0", "no", "off",
                                                                           "false")
        if not wanted or threads != 1 or len(allowed) < 2 or not hasattr(os, "sched_setaffinity"):
            return cls(None, allowed)
        training = min(allowed)
        return cls(training, allowed - {training})

    def pin_training(self) -> bool:
        """Keep the calling thread (and threads it starts) to the training CPU; with no plan,
        let it run on any (a worker started by a window kept off a CPU inherits that)."""
        return keep_thread_to(self.others if self.training is None
                              else frozenset({self.training}))

    def keep_off_training(self, pid: int = 0) -> bool:
        """Keep the calling thread (and threads and processes it starts), or the process
        ``pid`` (its main thread), off the training CPU (with no plan: on any CPU)."""
        return keep_thread_to(self.others, pid)

    def run_when_idle(self, pid: int) -> bool:
        """Run the process ``pid`` (its main thread, and the threads it starts later) at idle
        priority (``SCHED_IDLE``), if training has a CPU of its own that it cannot take; False
        where not (no plan, no such policy here, refused). Module notes."""
        if self.training is None or not hasattr(os, "SCHED_IDLE"):
            return False
        try:
            os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0))
        except OSError:  # the process ended, or the OS refused
            return False
        return True


def allowed_cpus() -> frozenset[int]:
    """The CPUs the calling thread may run on (all of them, where the OS cannot say)."""
    if hasattr(os, "sched_getaffinity"):
        return frozenset(os.sched_getaffinity(0))
    return frozenset(range(os.cpu_count() or 1))


#: the CPUs the app may use, as it started (before any thread kept off one)
START_CPUS = allowed_cpus()


def keep_thread_to(cpus: frozenset[int], pid: int = 0) -> bool:
    """Keep the calling thread (``pid`` 0), or process ``pid``'s main thread, to ``cpus`` (on
    Linux ``sched_setaffinity`` applies to one thread; threads and processes it starts later
    inherit it). False if refused."""
    try:
        os.sched_setaffinity(pid, cpus)
    except (AttributeError, OSError, ValueError):  # no affinity here, CPUs gone, process ended
        return False
    return True
