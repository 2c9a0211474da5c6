"""The Qt-free core: targets, networks, losses, models, training session, metrics, config.

Nothing in this package imports Qt; a test proves it imports and trains without PySide6 or
pyqtgraph installed.
"""
