"""The Qt desktop app (PySide6 + pyqtgraph)."""

from __future__ import annotations

import sys


def __getattr__(name):
    if name == "MainWindow":  # imported lazily so `advplay.app` is cheap to import
        from advplay.app.main_window import MainWindow

        return MainWindow
    raise AttributeError(name)


def launch(quit_after: float | None = None, play: bool = False, screenshot: str | None = None) -> int:
    """Open the main window with the default experiment and run the event loop.

    ``quit_after`` (seconds) closes the window on a timer, after saving a ``screenshot`` of it
    if one is asked for: for smoke tests, automation and the README's pictures. ``play``
    starts training at once.
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
    if quit_after is not None:  # automation: never stop at a question
        window.files.ask = lambda title, text: "discard"
        window.files.ask_restore = lambda path: False
    else:
        QTimer.singleShot(0, window.files.offer_restore)
    if play:
        window.transport.play_action.setChecked(True)
    if quit_after is not None:
        def finish():
            if screenshot:
                window.grab().save(screenshot)
            window.close()

        QTimer.singleShot(int(quit_after * 1000), finish)
    return app.exec()
