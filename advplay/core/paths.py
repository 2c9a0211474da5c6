"""Where advplay keeps its own files: the user data folder (platformdirs), or
``$ADVPLAY_DATA_DIR`` when set (tests, portable installs)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def data_folder() -> Path:
    """Where autosaves, settings and unpacked reference drawings live; created if missing."""
    folder = Path(os.environ.get("ADVPLAY_DATA_DIR") or platformdirs.user_data_dir("advplay"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
