"""The Qt desktop app (PySide6 + pyqtgraph)."""

from __future__ import annotations

import sys


def __getattr__(name):
    if name == "MainWindow":  # imported lazily so `advplay.app` is cheap to import
        from advplay.app.main_window import MainWindow

        return MainWindow
    raise AttributeError(name)


def launch(quit_after: float | None = None) -> int:
    """Open the main window with the default experiment and run the event loop.

    ``quit_after`` (seconds) closes the window on a timer: for smoke tests and automation.
    """
    import pyqtgraph as pg
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("advplay")
    pg.setConfigOptions(antialias=True)
    from advplay.app.main_window import MainWindow

    window = MainWindow()
    window.show()
    if quit_after is not None:
        QTimer.singleShot(int(quit_after * 1000), window.close)
    return app.exec()
