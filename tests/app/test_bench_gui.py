"""``advplay bench gui``: the window and a headless process take turns; one short real run."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import json  # noqa: E402
import queue  # noqa: E402

import numpy as np  # noqa: E402
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
    low, high = summary["throughput_ratio_ci95"]
    assert summary["throughput_ratio_min"] <= low <= high <= summary["throughput_ratio_max"]
    assert summary["frames_per_s"] > 0
    assert 0 < summary["ui_p50_ms"] <= summary["ui_p95_ms"] <= summary["ui_p99_ms"]
    assert summary["ui_ticks"] > 2 * 1000 / 16 * 0.5  # two 1 s phases of a 16 ms timer
    steal = summary["host_steal_percent"]  # None off Linux
    assert steal is None or 0 <= steal <= 100


def test_host_steal_is_read_from_the_steal_column_of_proc_stat(tmp_path, monkeypatch):
    stat = tmp_path / "stat"
    stat.write_text("cpu  35144 171292 10976 405929 415 0 169 9594 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n")
    monkeypatch.setattr(gui.os, "sysconf", lambda name: 100, raising=False)  # ticks a second
    assert gui.host_steal_seconds(str(stat)) == pytest.approx(95.94)
    assert gui.host_steal_seconds(str(tmp_path / "missing")) is None
    stat.write_text("cpu 1 2 3\n")  # no steal column (an old kernel)
    assert gui.host_steal_seconds(str(stat)) is None


def test_the_steal_share_is_of_all_cpus_over_the_wall_time(monkeypatch):
    monkeypatch.setattr(gui.os, "cpu_count", lambda: 2)
    assert gui._steal_share(10.0, 10.5, 5.0) == pytest.approx(0.05)  # 0.5 s of 2 x 5 s
    assert gui._steal_share(None, 10.5, 5.0) is None


def test_the_medians_interval_narrows_with_more_phases_and_repeats_itself():
    rng = np.random.default_rng(5)
    few, many = 0.95 + 0.1 * rng.standard_normal(12), 0.95 + 0.1 * rng.standard_normal(96)
    low, high = gui.median_interval(few)
    assert low < np.median(few) < high and (low, high) == gui.median_interval(few)
    wide, narrow = high - low, np.subtract(*gui.median_interval(many)[::-1])
    assert narrow < 0.7 * wide  # ~ 1 / sqrt(8) as wide, give or take the resampling
    assert gui.median_interval([0.9] * 5) == pytest.approx((0.9, 0.9))


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


def test_the_bench_window_opens_with_the_default_view_whatever_the_user_chose(
        qapp, monkeypatch, private_data_folder):
    from PySide6.QtCore import QSettings

    from advplay.bench.window import open_window
    from advplay.worker.process import DEFAULT_FRAME_RATE

    users = QSettings(str(private_data_folder / "settings.ini"), QSettings.Format.IniFormat)
    users.setValue("view/frame_rate", 30)
    users.setValue("view/layer_gradients", True)
    users.sync()
    monkeypatch.setattr("advplay.app.freeze_startup_objects", lambda: None)
    _, window = open_window(SMALL)
    try:
        assert window.client.frame_rate == DEFAULT_FRAME_RATE
        assert not window.data_view.layer_visible("gradients")
        assert os.environ["ADVPLAY_DATA_DIR"] != str(private_data_folder)
    finally:
        window.close()
