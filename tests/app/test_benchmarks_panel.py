"""The Benchmarks panel: this run's mode metrics beside the published rows."""

import numpy as np
import pytest
from PySide6.QtWidgets import QTableWidget

from advplay.app.benchmarks_panel import BenchmarksPanel
from advplay.app.main_window import MainWindow
from advplay.core.config import Config
from advplay.core.published import published_rows
from advplay.core.snapshot import Snapshot

START_TIMEOUT = 60_000  # ms: spawning the worker imports torch


def snapshot_with(metrics: dict, step: int = 400, model: str = "gan") -> Snapshot:
    grid = np.zeros((4, 4), np.float32)
    points = np.zeros((3, 2), np.float32)
    return Snapshot(step=step, bounds=(-1, 1, -1, 1), losses={}, metrics=metrics,
                    discriminator_output=grid, discriminator_logit=grid, real=points,
                    real_labels=None, fake=points, fake_gradients=points,
                    manifold=np.zeros((1, 2, 2), np.float32), history_steps=np.zeros(0),
                    history_losses=np.zeros((0, 2)), metric_steps=np.array([step - 100, step]),
                    metric_history={}, model=model)


def table_text(panel) -> list[list[str]]:
    table = panel.findChild(QTableWidget, "benchmarksTable")
    return [[table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())]


def test_the_run_comes_first_then_every_published_row(qtbot):
    panel = BenchmarksPanel()
    qtbot.addWidget(panel)
    panel.show_snapshot(snapshot_with({"modes_captured": 7.0, "high_quality": 0.912,
                                       "reverse_kl": 0.0834}), "ring8")
    rows = table_text(panel)
    assert rows[0] == ["This run", "gan, step 400", "7.0", "91.2%", "0.083"]
    published = published_rows("ring8")
    assert len(rows) == 1 + len(published)
    pacgan = next(r for r in rows if r[1] == "PacGAN2")
    assert pacgan == ["PacGAN Table 1", "PacGAN2", "7.9", "95.6%", "0.070"]
    veegan = next(r for r in rows if r[1] == "VEEGAN")
    assert veegan[2:] == ["8.0", "—", "—"]


@pytest.mark.parametrize("target, metrics, words, count", [
    ("two_moons", {"js": 0.1}, "Gaussian-mixture targets", 0),
    ("gaussian", {"modes_captured": 1.0, "high_quality": 1.0, "reverse_kl": 0.0},
     "Published rows exist for ring8 and grid25 only", 1),
])
def test_other_targets_say_what_is_missing(qtbot, target, metrics, words, count):
    panel = BenchmarksPanel()
    qtbot.addWidget(panel)
    panel.show_snapshot(snapshot_with(metrics), target)
    assert words in panel.heading.text()
    assert len(table_text(panel)) == count


def test_ctrl_b_opens_the_panel_and_it_follows_training(qtbot):
    window = MainWindow(Config().replace({"target.name": "grid25", "model.width": 32,
                                          "train.metrics_every": 20}))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.snapshot is not None, timeout=START_TIMEOUT)
    window.menus.benchmarks_action.trigger()
    panel = window.menus.benchmarks
    assert panel.isVisible() and panel.objectName() == "benchmarksPanel"
    assert window.menus.benchmarks_action.shortcut().toString() == "Ctrl+B"
    window.client.step(60)
    qtbot.waitUntil(lambda: table_text(panel)[0][1].endswith("step 60"), timeout=START_TIMEOUT)
    assert table_text(panel)[1][1] == "GAN" and len(table_text(panel)) == 1 + len(
        published_rows("grid25"))
    window.close()
