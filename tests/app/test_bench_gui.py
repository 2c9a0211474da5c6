"""``advplay bench gui``: the window and a headless process take turns; one short real run."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json  # noqa: E402
import queue  # noqa: E402

import pytest  # noqa: E402

from advplay.bench import gui  # noqa: E402
from advplay.core.config import Config  # noqa: E402
from advplay.core.session import Session  # noqa: E402

SMALL = Config().replace({"model.width": 32, "train.batch_size": 64})


@pytest.mark.slow
def test_a_short_run_measures_both_sides_and_the_ui_timer(qapp, monkeypatch):
    # the app freezes its startup objects out of garbage collection: not in the test process
    monkeypatch.setattr("advplay.app.freeze_startup_objects", lambda: None)
    summary = gui.measure(SMALL, phases=2, seconds=1.0)
    assert summary["headless_steps_per_s"] > 0 and summary["gui_steps_per_s"] > 0
    assert summary["throughput_ratio_min"] <= summary["throughput_ratio"] \
        <= summary["throughput_ratio_max"]
    assert summary["frames_per_s"] > 0
    assert 0 < summary["ui_p50_ms"] <= summary["ui_p95_ms"] <= summary["ui_p99_ms"]
    assert summary["ui_ticks"] > 2 * 1000 / 16 * 0.5  # two 1 s phases of a 16 ms timer


def test_the_last_line_is_the_summary_as_json(monkeypatch, capsys):
    summary = {"benchmark": "gui", "throughput_ratio": 0.9, "throughput_ratio_min": 0.8,
               "throughput_ratio_max": 1.0, "ui_p50_ms": 16.0, "ui_p95_ms": 18.0,
               "ui_p99_ms": 19.0}
    monkeypatch.setattr(gui, "measure", lambda config, phases, seconds: summary)
    assert gui.main(quick=True) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last) == summary


def test_the_headless_side_answers_each_request_and_stops_when_told():
    requests, results = queue.Queue(), queue.Queue()
    for request in (0.05, 0.05, None):
        requests.put(request)
    gui.serve_rates(Session(SMALL), requests, results, parent=os.getppid())
    rates = [results.get_nowait() for _ in range(2)]
    assert all(rate > 0 for rate in rates) and results.empty()


def test_the_headless_side_stops_once_the_bench_is_gone():
    """A bench killed mid-run: its headless process must not wait for requests forever."""
    results = queue.Queue()
    gui.serve_rates(Session(SMALL), queue.Queue(), results, parent=-1)  # not our parent
    assert results.empty()
