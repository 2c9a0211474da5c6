"""Soak: train 100,000 steps with the window open and animating; memory must stay flat.

Resident memory (RSS, from /proc) of the UI process, the worker and its render process is
sampled every few seconds. The warm-up (imports, caches, allocator pools, and the timeline's
history filling up to its budget) lasts at least ``WARM_UP_STEPS`` steps and until the
history has been thinned once; growth is measured from the end of the warm-up to the end of the run. Every
history is bounded, so a leak shows as steady growth.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from advplay.core.config import Config

STEPS = 100_000
WARM_UP_STEPS = 5_000
SAMPLE_SECONDS = 5.0


def resident_mb(pid: int) -> float:
    """Resident set size of process ``pid`` in MB (Linux /proc), NaN where unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _state_and_parent(pid) -> tuple[str, int] | None:
    """(state letter, parent pid) of process ``pid`` (Linux /proc), None if there is none."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):  # not a process, or one that ended meanwhile
        return None
    return fields[0], int(fields[1])


def running(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie (Linux /proc)."""
    found = _state_and_parent(pid)
    return found is not None and found[0] != "Z"


def child_pids(pid: int) -> list[int]:
    """Running processes whose parent is ``pid`` (Linux /proc; none where unavailable)."""
    entries = os.listdir("/proc") if os.path.isdir("/proc") else ()
    return [int(entry) for entry in entries if entry.isdigit()
            and (found := _state_and_parent(entry)) and found[0] != "Z" and found[1] == pid]


def render_mb(worker_pid: int) -> float:
    """Resident MB of the worker's render process, NaN while there is none."""
    children = child_pids(worker_pid)
    return resident_mb(children[0]) if children else float("nan")


def soak(steps: int) -> list[tuple[int, float, float, bool, float]]:
    """(step, UI MB, worker MB, history full, render process MB) samples over ``steps`` with
    the window animating.

    "history full": the timeline's history has reached its budget and been thinned once, so
    from then on it holds a bounded amount.
    """
    from PySide6.QtCore import QEventLoop, QTimer

    from advplay.bench.window import open_window

    app, window = open_window(Config())
    samples: list[tuple[int, float, float, bool, float]] = []
    loop = QEventLoop()

    def sample():
        if window.snapshot is None:
            return
        worker = window.client.handle.process
        nothing = float("nan")
        samples.append((window.snapshot.step, resident_mb(os.getpid()),
                        resident_mb(worker.pid) if worker is not None else nothing,
                        window.history.stride > 1,
                        render_mb(worker.pid) if worker is not None else nothing))
        print(f"  step {samples[-1][0]:7d}: UI {samples[-1][1]:7.1f} MB, worker "
              f"{samples[-1][2]:7.1f} MB, render process {samples[-1][4]:7.1f} MB, "
              f"history {window.history.nbytes / 2**20:5.1f} MB", flush=True)
        if window.snapshot.step >= steps:
            loop.quit()

    timer = QTimer()
    timer.timeout.connect(sample)
    timer.start(int(SAMPLE_SECONDS * 1000))
    QTimer.singleShot(0, lambda: window.transport.play_action.setChecked(True))
    loop.exec()
    timer.stop()
    window.close()
    app.processEvents()
    return samples


def growth(samples, column: int, warm_up: int) -> float:
    """MB gained from the first sample after ``warm_up`` steps with the history full to the last."""
    after = [s for s in samples if s[0] >= warm_up and s[3]]
    return after[-1][column] - after[0][column] if len(after) > 1 else float("nan")


def main(quick: bool = False) -> int:
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    steps, warm_up = (12_000, 2_000) if quick else (STEPS, WARM_UP_STEPS)
    print(f"advplay bench soak: {steps} steps of the default experiment with the window open")
    start = time.perf_counter()
    samples = soak(steps)
    result = {
        "benchmark": "soak", "steps": samples[-1][0], "seconds": round(time.perf_counter() - start),
        "warm_up_steps": next((s[0] for s in samples if s[0] >= warm_up and s[3]), None),
        "ui_mb_start": round(samples[0][1], 1), "ui_mb_end": round(samples[-1][1], 1),
        "worker_mb_end": round(samples[-1][2], 1),
        "render_mb_end": round(samples[-1][4], 1),
        "ui_growth_mb": round(growth(samples, 1, warm_up), 1),
        "worker_growth_mb": round(growth(samples, 2, warm_up), 1),
        "render_growth_mb": round(growth(samples, 4, warm_up), 1),
    }
    print(f"  growth after warm-up: UI {result['ui_growth_mb']} MB, worker "
          f"{result['worker_growth_mb']} MB, render process {result['render_growth_mb']} MB")
    print(json.dumps(result))
    return 0
