"""Help > Keyboard shortcuts lists every shortcut of the window, read from its actions."""

import pytest
from PySide6.QtGui import QAction

from advplay.app.main_window import MainWindow
from advplay.app.shortcuts import ShortcutsDialog, shortcut_rows
from advplay.core.config import Config


@pytest.fixture
def window(qtbot):
    window = MainWindow(Config().replace({"model.width": 16}))
    qtbot.addWidget(window)
    yield window
    window.close()


def test_every_action_with_a_shortcut_is_listed_once(window):
    rows = shortcut_rows(window)
    listed = [(keys, text) for _, keys, text, _ in rows]
    assert len(listed) == len(set(listed))
    keys = {keys for keys, _ in listed}
    for expected in ("Space", "S", "R", "L", "A", "M", "Ctrl+L", "D", "Ctrl+Z", "Ctrl+B",
                     "Ctrl+E", "F1"):
        assert expected in keys, expected
    with_shortcuts = {action for action in window.findChildren(QAction)
                      if not action.shortcut().isEmpty() and action in window.actions()}
    assert len(rows) >= len(with_shortcuts)
    menus = [menu for menu, _, _, _ in rows]
    assert menus.index("Training") < menus.index("View") < menus.index("Help")
    play = next(row for row in rows if row[1] == "Space")
    assert play[0] == "Training" and play[2] and play[3]  # a name, and a tooltip to hover


def test_the_dialog_shows_them_as_a_table(qtbot, window):
    dialog = ShortcutsDialog(window)
    qtbot.addWidget(dialog)
    rows = shortcut_rows(window)
    assert dialog.objectName() == "shortcutsDialog"
    assert dialog.table.rowCount() == len(rows) > 20
    assert [dialog.table.item(0, column).text() for column in range(3)] == list(rows[0][:3])
    assert "&" not in "".join(dialog.table.item(row, 2).text() for row in range(len(rows)))


def test_about_names_the_versions_a_bug_report_needs(window):
    import torch

    import advplay
    from advplay.app.shortcuts import about_text

    text = about_text()
    assert advplay.__version__ in text and torch.__version__ in text and "cpu" in text
    help_menu = [a.menu() for a in window.menuBar().actions() if a.text() == "&Help"][0]
    assert "&About advplay" in [action.text() for action in help_menu.actions()]
