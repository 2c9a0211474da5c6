"""The Benchmarks panel: the current generator's mode-collapse scores beside the papers' rows.

The scores are the session's own metrics (:func:`advplay.core.metrics.mode_metrics` on 2500
samples of the generator's fixed evaluation batch, every ``train.metrics_every`` steps) --
the evaluation ``advplay bench modes`` runs at the end of each seed -- so the panel follows
the run live. The published rows come from :mod:`advplay.core.published`.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QHeaderView, QLabel, QTableWidget,
                               QTableWidgetItem, QVBoxLayout)

from advplay.core.published import BENCHMARK_TARGETS, published_rows

COLUMNS = ("Source", "Method", "Modes", "High quality", "Reverse KL")
PROTOCOL = ("2500 samples of the current generator. A mode is captured when at least one "
            "high-quality sample falls nearest to it; a sample is high quality within 3 standard "
            "deviations of its nearest mode; reverse KL compares the high-quality samples' mode "
            "histogram with the mixture weights. The papers report means over 10 trials; this "
            "run is one seed.")


def _number(value, digits: int, percent: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.{digits}f}%" if percent else f"{value:.{digits}f}"


class BenchmarksPanel(QDialog):
    """A non-modal dialog; :meth:`show_snapshot` refreshes the current run's row."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("benchmarksPanel")
        self.setWindowTitle("Mode-collapse benchmarks")
        self.resize(640, 430)
        self.heading = QLabel()
        self.heading.setObjectName("benchmarksHeading")
        self.heading.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("benchmarksTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        protocol = QLabel(PROTOCOL)
        protocol.setWordWrap(True)
        protocol.setStyleSheet("color: gray;")
        layout = QVBoxLayout(self)
        for widget in (self.heading, self.table, protocol):
            layout.addWidget(widget)
        self.show_snapshot(None, "")

    def show_snapshot(self, snapshot, target: str) -> None:
        """Fill the table: this run's latest mode metrics, then the published rows."""
        metrics = dict(snapshot.metrics) if snapshot is not None else {}
        measured = "modes_captured" in metrics
        self.heading.setText(self._heading(snapshot, target, measured))
        rows = [("This run", self._run_label(snapshot), metrics.get("modes_captured"),
                 100 * metrics["high_quality"] if measured else None,
                 metrics.get("reverse_kl"))] if measured else []
        rows += [(row.source, row.method, row.modes, row.high_quality, row.reverse_kl)
                 for row in published_rows(target)]
        self.table.setRowCount(len(rows))
        for index, (source, method, modes, quality, kl) in enumerate(rows):
            cells = (source, method, _number(modes, 1), _number(quality, 1, percent=True),
                     _number(kl, 3))
            for column, text in enumerate(cells):
                self.table.setItem(index, column, self._cell(text, column, index == 0 and measured))

    @staticmethod
    def _heading(snapshot, target: str, measured: bool) -> str:
        if not measured:
            return ("Mode metrics exist for Gaussian-mixture targets trained by a generator: "
                    "choose ring8 or grid25 and a GAN-family method to compare with the papers.")
        if target not in BENCHMARK_TARGETS:
            return (f"Target {target}: this run's mode metrics. Published rows exist for "
                    f"{' and '.join(BENCHMARK_TARGETS)} only.")
        return f"Target {target}: this run beside PacGAN and VEEGAN (Table 1 of each)."

    @staticmethod
    def _run_label(snapshot) -> str:
        steps = snapshot.metric_steps
        measured_at = int(steps[-1]) if len(steps) else snapshot.step
        return f"{snapshot.model}, step {measured_at}"

    @staticmethod
    def _cell(text: str, column: int, bold: bool) -> QTableWidgetItem:
        item = QTableWidgetItem(text)
        if column >= 2:
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if bold:
            font = QFont()
            font.setBold(True)
            item.setFont(font)
        return item
