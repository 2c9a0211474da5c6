"""The View menu's choices kept between launches: layers shown, logit or output, log-scale
losses, frame rate. They live in the app's settings file (``settings.ini`` in the data
folder, beside the recent files); a value that file cannot give back (missing, edited by hand,
a frame rate the menu no longer offers) falls back to the default."""

from __future__ import annotations

from PySide6.QtCore import QSettings

GROUP = "view"


class ViewPreferences:
    """Reads and writes the View menu's choices in ``settings``."""

    def __init__(self, settings: QSettings):
        self.settings = settings

    def flag(self, name: str, default: bool) -> bool:
        """The saved on/off choice ``name``, or ``default``."""
        value = self.settings.value(f"{GROUP}/{name}")
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        return default

    def set_flag(self, name: str, on: bool) -> None:
        self.settings.setValue(f"{GROUP}/{name}", bool(on))

    def frame_rate(self, choices, default: float) -> float:
        """The saved frame rate if it is one of ``choices``, else ``default``."""
        try:
            rate = float(self.settings.value(f"{GROUP}/frame_rate", default))
        except (TypeError, ValueError):
            return default
        return rate if rate in choices else default

    def set_frame_rate(self, rate: float) -> None:
        self.settings.setValue(f"{GROUP}/frame_rate", rate)
