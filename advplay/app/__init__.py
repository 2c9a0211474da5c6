"""The Qt desktop app (PySide6 + pyqtgraph)."""

from __future__ import annotations

import gc
import sys


def __getattr__(name):
    if name == "MainWindow":  # imported lazily so `advplay.app` is cheap to import
        from advplay.app.main_window import MainWindow

        return MainWindow
    raise AttributeError(name)


def configure_application(app) -> None:
    """Application-wide settings of the app (the GUI benchmark uses them too)."""
    import pyqtgraph as pg

    app.setApplicationName("advplay")
    pg.setConfigOptions(antialias=True)


def freeze_startup_objects() -> None:
    """Exclude everything alive now (modules, torch, the window's widgets) from garbage
    collection, so that a full collection no longer stalls the window.

    The UI process tracks ~220,000 objects once the window is built; a full collection,
    which CPython starts every few seconds while frames arrive, then took 90-170 ms of the UI
    thread, a visible hitch. After the freeze it scans only what was made since. Objects
    made before it are still freed by reference counting; only cycles among them would stay.
    """
    gc.collect()
    gc.freeze()


#: how often the event loop lets Python run, so that Ctrl+C and SIGTERM are acted on
SIGNAL_CHECK_MS = 200


def close_on_signals(window) -> None:
    """Ctrl+C in the terminal (SIGINT) and SIGTERM close ``window`` without a question.

    Without this, Ctrl+C did nothing and SIGTERM killed the app on the spot, leaving the
    worker's queues to multiprocessing's leak warnings. Python runs signal handlers only
    between its own bytecodes, never while Qt's event loop waits in C++, so a timer hands it
    control a few times a second.
    """
    import signal

    from PySide6.QtCore import QTimer

    def on_signal(number, frame):
        QTimer.singleShot(0, window.files.close_interrupted)

    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, on_signal)
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(SIGNAL_CHECK_MS)


def launch(quit_after: float | None = None, play: bool = False, screenshot: str | None = None) -> int:
    """Open the main window with the default experiment and run the event loop.

    ``quit_after`` (seconds) closes the window on a timer, after saving a ``screenshot`` of it
    if one is asked for: for smoke tests, automation and the README's pictures. ``play``
    starts training at once.
    """
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv)
    configure_application(app)
    from advplay.app.main_window import MainWindow

    window = MainWindow()
    window.client.handle.cpus.keep_off_training()  # the window leaves training its CPU
    window.show()
    close_on_signals(window)
    freeze_startup_objects()
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
