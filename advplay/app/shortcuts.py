"""The Help menu's windows: every keyboard shortcut in one table, and About advplay.

The shortcuts are read from the actions themselves (the menu bar, then the window's own
actions that no menu lists), so the table can never fall behind a shortcut added or changed
elsewhere. About names the versions a bug report needs.
"""

from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView,
                               QTableWidget, QTableWidgetItem, QVBoxLayout)


def _plain(text: str) -> str:
    """A menu text without its mnemonic marks and trailing ellipsis."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


def shortcut_rows(window) -> list[tuple[str, str, str, str]]:
    """(menu, keys, action, tooltip) for each action of ``window`` that has a shortcut: the
    menus' in menu order (submenus under their menu), then the rest under "Window"."""
    rows, seen = [], set()

    def walk(menu, title: str) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu(), title)
            elif not action.shortcut().isEmpty() and action not in seen:
                seen.add(action)
                rows.append((title, _keys(action), _plain(action.text()), action.toolTip()))

    for entry in window.menuBar().actions():
        if entry.menu() is not None:
            walk(entry.menu(), _plain(entry.text()))
    for action in window.actions():
        if not action.shortcut().isEmpty() and action not in seen:
            seen.add(action)
            rows.append(("Window", _keys(action), _plain(action.text()), action.toolTip()))
    return rows


def _keys(action) -> str:
    return ", ".join(sequence.toString(QKeySequence.SequenceFormat.NativeText)
                     for sequence in action.shortcuts())


class ShortcutsDialog(QDialog):
    """A table of :func:`shortcut_rows` (hover a row for what the action does)."""

    def __init__(self, window):
        super().__init__(window)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(window)
        self.table = QTableWidget(len(rows), 3, self)
        self.table.setHorizontalHeaderLabels(["Menu", "Keys", "Action"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        for row, (menu, keys, text, tip) in enumerate(rows):
            for column, value in enumerate((menu, keys, text)):
                item = QTableWidgetItem(value)
                item.setToolTip(tip or text)
                self.table.setItem(row, column, item)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setCurrentCell(-1, -1)  # no row looks chosen when the table opens
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(560, min(720, 90 + 24 * len(rows)))


def about_text() -> str:
    """What advplay is, and the versions it runs on (for a bug report)."""
    import platform

    import numpy
    import pyqtgraph
    import torch
    from PySide6 import __version__ as pyside_version

    import advplay
    from advplay.core.device import available_devices

    versions = (f"Python {platform.python_version()}, PyTorch {torch.__version__}, "
                f"NumPy {numpy.__version__}, PySide6 {pyside_version}, "
                f"pyqtgraph {pyqtgraph.__version__}")
    return (f"<b>advplay {advplay.__version__}</b><br>A playground for adversarial learning "
            f"on 2D toy distributions: draw a target, train a GAN (or ALI, AVB, a density-ratio "
            f"estimator) on it and watch it learn.<br><br>{versions}<br>"
            f"Devices: {', '.join(available_devices())}")
