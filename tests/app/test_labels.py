"""Per-frame label text costs the window no layout pass; the app freezes its startup objects."""

import gc
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QObject  # noqa: E402
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QWidget  # noqa: E402

from advplay.app import freeze_startup_objects  # noqa: E402
from advplay.app.labels import fix_label_size  # noqa: E402


class LayoutRequests(QObject):
    def __init__(self):
        super().__init__()
        self.count = 0

    def eventFilter(self, watched, event):  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


def _count_layout_requests(fixed: bool, qtbot) -> int:
    parent = QWidget()
    qtbot.addWidget(parent)
    label = QLabel("Step 0")
    if fixed:
        fix_label_size(label, "Step 00000000")
    row = QHBoxLayout(parent)
    row.addWidget(label)
    row.addStretch()
    parent.show()
    QApplication.processEvents()
    requests = LayoutRequests()
    parent.installEventFilter(requests)
    for step in (5, 50, 500, 5000, 50000):
        label.setText(f"Step {step}")
        QApplication.processEvents()
    assert label.text() == "Step 50000"
    return requests.count


def test_a_fixed_size_label_changes_text_without_a_layout_pass(qtbot):
    assert _count_layout_requests(fixed=False, qtbot=qtbot) > 0  # what the fix avoids
    assert _count_layout_requests(fixed=True, qtbot=qtbot) == 0


def test_the_fixed_size_fits_the_widest_text(qtbot):
    label = QLabel()
    fix_label_size(label, "00,000 steps/s")
    assert label.width() >= label.fontMetrics().horizontalAdvance("00,000 steps/s")
    assert label.minimumSize() == label.maximumSize()


def test_startup_objects_leave_garbage_collection(qtbot):
    try:
        freeze_startup_objects()
        assert gc.get_freeze_count() > 0  # modules and widgets made so far are not scanned
        before = gc.get_freeze_count()
        gc.collect()
        assert gc.get_freeze_count() == before
    finally:
        gc.unfreeze()  # the rest of the test session collects as usual
