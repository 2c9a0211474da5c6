"""Labels whose text changes with every frame, at no cost to the window's layout."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel


def fix_label_size(label: QLabel, widest: str) -> None:
    """Fix ``label``'s size to fit ``widest`` (its longest expected text).

    A label that may grow asks its parent to lay itself out again on every ``setText``
    (~0.3 ms of the UI thread per frame for the status bar and the timeline, each time
    through the main window); Qt skips that for a widget whose size cannot change.
    """
    metrics = label.fontMetrics()
    label.setFixedSize(metrics.horizontalAdvance(widest) + 8, label.sizeHint().height())
