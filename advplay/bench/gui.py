"""Training throughput with the window open and animating, against the headless session.

Both run the default experiment in a spawned process with one torch thread, at the worker's
priority. Headless: ``Session.step`` in a loop, nothing drawn. GUI: the real main window plays,
the worker renders frames and the window draws them, while a 16 ms timer in the UI process
records its frame intervals.

The two take turns in short phases (the window paused while the headless process runs, the
headless process waiting while the window plays), and each GUI phase is compared with the
headless phases on either side of it. This machine's speed drifts by a quarter within a minute
(other guests on the host), so rounds of 10 s each measured the drift more than the window;
short alternating phases see the same drift on both sides of each ratio.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import statistics
import time

import numpy as np

from advplay.core.config import Config

#: the GUI phase's first frames, after Play, are not counted (the worker times its chunks anew)
SETTLE_SECONDS = 0.5
#: window phases in a full run, each of PHASE_SECONDS: single phases' ratios spread by ±10% on
#: this machine, and the median of 12 phases still moved by ±3% from one run to the next
PHASES, PHASE_SECONDS = 24, 2.5
#: a UI timer interval longer than this misses the goal (a 16 ms timer, p99 <= 20 ms)
LATE_MS = 20
#: resamples of the phases' ratios behind the median's 95% interval (seeded: a run's numbers
#: give the same interval every time)
BOOTSTRAP_RESAMPLES = 4000


def _headless_loop(config_dict: dict, requests, results, parent: int) -> None:
    """The headless process: train for the number of seconds asked, answer with the rate."""
    import torch

    from advplay.core.config import config_from_dict
    from advplay.core.session import Session
    from advplay.worker.process import lower_priority

    torch.set_num_threads(1)
    lower_priority()  # the app's worker runs at this priority too: compare like with like
    session = Session(config_from_dict(config_dict))
    session.step(100)  # warm up
    results.put("ready")
    serve_rates(session, requests, results, parent)


def serve_rates(session, requests, results, parent: int) -> None:
    """Answer each request (seconds) with the steps per second trained over it, until told to
    stop (None) or the bench process ``parent`` is gone: a bench killed mid-run leaves no
    process behind waiting for requests."""
    while True:
        try:
            seconds = requests.get(timeout=1.0)
        except queue.Empty:
            if os.getppid() != parent:
                return
            continue
        if seconds is None:
            return
        start, first = time.perf_counter(), session.step_count
        while time.perf_counter() - start < seconds:
            session.step(20)
        results.put((session.step_count - first) / (time.perf_counter() - start))


class HeadlessRunner:
    """A headless session in its own process, trained in bursts on request."""

    def __init__(self, config: Config):
        context = multiprocessing.get_context("spawn")
        self._requests, self._results = context.Queue(), context.Queue()
        self._process = context.Process(target=_headless_loop, daemon=True,
                                        args=(config.to_dict(), self._requests, self._results,
                                              os.getpid()))
        self._process.start()
        self._answer(120)  # "ready"

    def rate(self, seconds: float) -> float:
        """Steps per second over ``seconds`` of training."""
        self._requests.put(seconds)
        return self._answer(seconds + 60)

    def _answer(self, timeout: float):
        deadline = time.perf_counter() + timeout
        while True:
            try:
                return self._results.get(timeout=1.0)
            except queue.Empty:
                if not self._process.is_alive() or time.perf_counter() > deadline:
                    raise RuntimeError("the headless benchmark process failed") from None

    def close(self) -> None:
        self._requests.put(None)
        self._process.join(10)


class GuiRunner:
    """The real main window, played in phases while a 16 ms timer records its intervals."""

    def __init__(self, config: Config):
        from PySide6.QtCore import QElapsedTimer, Qt, QTimer

        from advplay.bench.window import open_window

        self.app, self.window = open_window(config)
        self.frames: list[tuple[float, int]] = []
        self.window.snapshot_shown.connect(
            lambda s: self.frames.append((time.perf_counter(), s.step)))
        self.intervals: list[float] = []
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)  # a coarse one adds 5% slack itself
        self._timer.setInterval(16)
        self._timer.timeout.connect(self._tick)
        self._wait(lambda: self.window.snapshot is not None, 120)

    def _tick(self) -> None:
        self.intervals.append(self._clock.nsecsElapsed() / 1e6)
        self._clock.restart()

    def warm_up(self) -> None:
        """Play until training and frames run (every process started, the pace known)."""
        self._set_playing(True)
        self._wait(lambda: self.window.snapshot.step > 200, 120)
        self.frames.clear()
        self._wait(lambda: len(self.frames) > 20, 120)
        self._set_playing(False)

    def play(self, seconds: float) -> tuple[float, int]:
        """Play for ``seconds`` after a short settle; (steps per second seen, frames drawn)."""
        self._set_playing(True)
        self._run_loop(SETTLE_SECONDS)
        self.frames.clear()
        ticks_before = len(self.intervals)
        self._timer.start()
        self._clock.restart()
        self._run_loop(seconds)
        self._timer.stop()
        del self.intervals[ticks_before]  # timed from the phase's start, not from a tick
        frames = list(self.frames)
        self._set_playing(False)
        if len(frames) < 2:
            raise RuntimeError("the window drew fewer than two frames while playing")
        (t0, s0), (t1, s1) = frames[0], frames[-1]
        return (s1 - s0) / (t1 - t0), len(frames)

    def _set_playing(self, playing: bool) -> None:
        self.window.transport.play_action.setChecked(playing)
        if not playing:  # the worker has stopped once it says so
            self._wait(lambda: not self.window.playing, 30)
            self._run_loop(0.2)

    def _run_loop(self, seconds: float) -> None:
        """The window's own event loop, as in the app: it sleeps until the next event or timer."""
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()

    def _wait(self, condition, timeout: float) -> None:
        deadline = time.perf_counter() + timeout
        while not condition():
            if time.perf_counter() > deadline:
                raise TimeoutError("the window did not get there in time")
            self.app.processEvents()
            time.sleep(0.005)

    def close(self) -> None:
        self.window.close()
        self.app.processEvents()


def host_steal_seconds(path: str = "/proc/stat") -> float | None:
    """CPU seconds the hypervisor has given other guests instead of this machine, all CPUs
    together, since boot: the "steal" column of Linux's ``/proc/stat``; None where there is
    none to read. A virtual machine's CPUs taken away mid-phase slow training and delay the
    UI's timer, whatever the app does."""
    try:
        with open(path) as stat:
            fields = stat.readline().split()  # cpu user nice system idle iowait irq softirq steal
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def _steal_share(before: float | None, after: float | None, seconds: float) -> float | None:
    """Share (0-1) of the machine's CPU time stolen over ``seconds`` of wall time."""
    if before is None or after is None or seconds <= 0:
        return None
    return (after - before) / (seconds * (os.cpu_count() or 1))


def median_interval(ratios, resamples: int = BOOTSTRAP_RESAMPLES) -> tuple[float, float]:
    """A 95% bootstrap interval (percentile method) for the median of ``ratios``: where the
    run's median would land if the same machine ran the same phases again. On this machine
    single phases spread by +-10%, so one 24-phase run places the median within about +-3%;
    a goal inside the interval is neither met nor missed by that run."""
    values = np.asarray(ratios, dtype=np.float64)
    draws = np.random.default_rng(0).choice(values, size=(resamples, len(values)))
    low, high = np.percentile(np.median(draws, axis=1), [2.5, 97.5])
    return float(low), float(high)


def measure(config: Config, phases: int, seconds: float) -> dict:
    """Alternate headless and GUI phases; the numbers of the summary line."""
    headless = HeadlessRunner(config)
    gui = GuiRunner(config)
    try:
        gui.warm_up()
        before = headless.rate(seconds)
        ratios, gui_rates, frame_rates, headless_rates = [], [], [], [before]
        run_start, run_steal = time.perf_counter(), host_steal_seconds()
        for phase in range(phases):
            ticks, start, steal = len(gui.intervals), time.perf_counter(), host_steal_seconds()
            rate, frames = gui.play(seconds)
            stolen = _steal_share(steal, host_steal_seconds(), time.perf_counter() - start)
            late = sum(interval > LATE_MS for interval in gui.intervals[ticks:])
            after = headless.rate(seconds)
            ratios.append(rate / ((before + after) / 2))
            gui_rates.append(rate)
            headless_rates.append(after)
            frame_rates.append(frames / seconds)
            print(f"  phase {phase + 1:2d}: headless {before:6.1f} / {after:6.1f} steps/s | "
                  f"window {rate:6.1f} steps/s, {frames / seconds:4.1f} frames/s, "
                  f"{late:2d} timer intervals over {LATE_MS} ms | ratio {ratios[-1]:.3f}"
                  + ("" if stolen is None else f" | host steal {100 * stolen:4.1f}%"), flush=True)
            before = after
        stolen = _steal_share(run_steal, host_steal_seconds(), time.perf_counter() - run_start)
        intervals = list(gui.intervals)
    finally:
        gui.close()
        headless.close()
    p50, p95, p99 = np.percentile(intervals, [50, 95, 99])
    low, high = median_interval(ratios)
    return {
        "benchmark": "gui",
        "headless_steps_per_s": round(statistics.median(headless_rates), 1),
        "gui_steps_per_s": round(statistics.median(gui_rates), 1),
        "throughput_ratio": round(statistics.median(ratios), 3),
        "throughput_ratio_min": round(min(ratios), 3),
        "throughput_ratio_max": round(max(ratios), 3),
        "throughput_ratio_ci95": [round(low, 3), round(high, 3)],
        "frames_per_s": round(statistics.median(frame_rates), 1),
        "ui_p50_ms": round(float(p50), 2), "ui_p95_ms": round(float(p95), 2),
        "ui_p99_ms": round(float(p99), 2), "ui_ticks": len(intervals),
        "host_steal_percent": None if stolen is None else round(100 * stolen, 2),
    }


def main(quick: bool = False) -> int:
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    phases, seconds = (2, 2.0) if quick else (PHASES, PHASE_SECONDS)
    print(f"advplay bench gui: default experiment, {phases} window phases of {seconds:g} s, "
          f"each between two headless phases; Qt platform "
          f"{os.environ.get('QT_QPA_PLATFORM', 'default')}")
    summary = measure(Config(), phases, seconds)
    interval = summary.get("throughput_ratio_ci95")
    print(f"  throughput ratio {summary['throughput_ratio']:.3f} (median of {phases}; "
          f"{summary['throughput_ratio_min']:.3f}-{summary['throughput_ratio_max']:.3f}"
          + ("" if interval is None else
             f"; 95% interval of the median {interval[0]:.3f}-{interval[1]:.3f}") + "); "
          f"UI 16 ms timer interval p50 {summary['ui_p50_ms']:.1f} ms, "
          f"p95 {summary['ui_p95_ms']:.1f} ms, p99 {summary['ui_p99_ms']:.1f} ms"
          + ("" if summary.get("host_steal_percent") is None else
             f"; the host took {summary['host_steal_percent']:.1f}% of this machine's CPU time"))
    print(json.dumps(summary))
    return 0
