"""Training throughput with the window open and animating, against the headless session.

Both run the default experiment in a spawned process with one torch thread (as the app's
worker does). Headless: ``Session.step`` in a loop, nothing drawn. GUI: the real main window
plays, the worker renders frames and the window draws them, while a 16 ms timer in the UI
process records its frame intervals. Rounds alternate headless / GUI so drift hits both.
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


def _headless_rate(config_dict: dict, seconds: float, result) -> None:
    import torch

    from advplay.core.config import config_from_dict
    from advplay.core.session import Session

    from advplay.worker.process import lower_priority

    torch.set_num_threads(1)
    lower_priority()  # the app's worker runs at this priority too: compare like with like
    session = Session(config_from_dict(config_dict))
    session.step(100)  # warm up
    start, first = time.perf_counter(), session.step_count
    while time.perf_counter() - start < seconds:
        session.step(20)
    result.put((session.step_count - first) / (time.perf_counter() - start))


def headless_steps_per_second(config: Config, seconds: float) -> float:
    context = multiprocessing.get_context("spawn")
    result = context.Queue()
    process = context.Process(target=_headless_rate, args=(config.to_dict(), seconds, result))
    process.start()
    deadline = time.perf_counter() + seconds + 120
    while True:
        try:
            rate = result.get(timeout=1.0)
            break
        except queue.Empty:
            if not process.is_alive() or time.perf_counter() > deadline:
                raise RuntimeError("the headless benchmark process failed") from None
    process.join(10)
    return rate


def gui_run(config: Config, seconds: float) -> tuple[float, list[float], int]:
    """(steps per second seen by the window, UI frame intervals in ms, frames drawn)."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from advplay.app import configure_application, freeze_startup_objects
    from advplay.app.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    configure_application(app)  # as `advplay` does
    window = MainWindow(config)
    window.files.ask = lambda title, text: "discard"  # no "save before quitting?" dialog
    window.show()
    freeze_startup_objects()
    frames: list[tuple[float, int]] = []
    window.snapshot_shown.connect(lambda s: frames.append((time.perf_counter(), s.step)))
    _wait(app, lambda: window.snapshot is not None, 120)
    window.transport.play_action.setChecked(True)
    _wait(app, lambda: window.snapshot.step > 200, 120)  # warm up
    intervals: list[float] = []
    clock = QElapsedTimer()
    clock.start()

    def tick():
        intervals.append(clock.nsecsElapsed() / 1e6)
        clock.restart()

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)  # a coarse timer adds up to 5% slack itself
    timer.setInterval(16)
    timer.timeout.connect(tick)
    frames.clear()
    timer.start()
    clock.restart()
    # The window's own event loop, as in the app: it sleeps until the next event or timer.
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    timer.stop()
    window.close()
    app.processEvents()
    rate = (frames[-1][1] - frames[0][1]) / (frames[-1][0] - frames[0][0])
    return rate, intervals[1:], len(frames)


def _wait(app, condition, timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the window did not get a frame in time")
        app.processEvents()
        time.sleep(0.005)


def main(quick: bool = False) -> int:
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    config = Config()
    seconds = 4.0 if quick else 10.0
    rounds = 1 if quick else 3
    print(f"advplay bench gui: default experiment, {rounds} round(s) of {seconds:.0f} s each, "
          f"Qt platform {os.environ.get('QT_QPA_PLATFORM', 'default')}")
    headless, gui, intervals, frame_counts = [], [], [], []
    for _ in range(rounds):
        headless.append(headless_steps_per_second(config, seconds))
        rate, ticks, frames = gui_run(config, seconds)
        gui.append(rate)
        intervals += ticks
        frame_counts.append(frames / seconds)
        print(f"  headless {headless[-1]:7.1f} steps/s | window {rate:7.1f} steps/s, "
              f"{frames / seconds:4.1f} frames/s drawn")
    ratios = [g / h for g, h in zip(gui, headless)]
    p50, p95, p99 = np.percentile(intervals, [50, 95, 99])
    summary = {
        "benchmark": "gui",
        "headless_steps_per_s": round(statistics.median(headless), 1),
        "gui_steps_per_s": round(statistics.median(gui), 1),
        "throughput_ratio": round(statistics.median(ratios), 3),
        "frames_per_s": round(statistics.median(frame_counts), 1),
        "ui_p50_ms": round(float(p50), 2), "ui_p95_ms": round(float(p95), 2),
        "ui_p99_ms": round(float(p99), 2), "ui_ticks": len(intervals),
    }
    print(f"  throughput ratio {summary['throughput_ratio']:.3f}; UI 16 ms timer interval "
          f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms")
    print(json.dumps(summary))
    return 0
