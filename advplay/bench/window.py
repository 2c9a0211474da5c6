"""The main window as the window benchmarks open it: set up as ``advplay`` sets it up."""

from __future__ import annotations

import atexit
import os
import tempfile

from advplay.core.config import Config


def open_window(config: Config):
    """(application, shown main window) for ``config``: the app's settings applied and its
    startup objects frozen out of garbage collection, as ``advplay`` does; closing it never
    asks to save. The window keeps its files in a data folder of its own, removed at exit: it
    opens with the default view (not the View menu choices a person made) and finds no
    autosave to offer."""
    from PySide6.QtWidgets import QApplication

    from advplay.app import configure_application, freeze_startup_objects
    from advplay.app.main_window import MainWindow

    folder = tempfile.TemporaryDirectory(prefix="advplay-bench-")
    atexit.register(folder.cleanup)
    os.environ["ADVPLAY_DATA_DIR"] = folder.name
    app = QApplication.instance() or QApplication([])
    configure_application(app)
    window = MainWindow(config)
    window.client.handle.cpus.keep_off_training()  # as advplay does
    window.files.ask = lambda title, text: "discard"  # no "save before quitting?"
    window.show()
    freeze_startup_objects()
    return app, window
