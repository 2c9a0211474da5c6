"""One way to make a QAction: text, shortcut, object name, tooltip, checkable."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence


def make_action(parent: QObject, text: str, shortcut="", *, name: str = "", tip: str = "",
                checkable: bool = False) -> QAction:
    """A QAction owned by ``parent``; ``tip`` is both its tooltip and its status-bar text."""
    action = QAction(text, parent)
    action.setShortcut(QKeySequence(shortcut))
    action.setCheckable(checkable)
    if name:
        action.setObjectName(name)
    if tip:
        action.setToolTip(tip)
        action.setStatusTip(tip)
    return action
