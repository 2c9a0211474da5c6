"""Where advplay keeps its own files: the user data folder (platformdirs), or
``$ADVPLAY_DATA_DIR`` when set (tests, portable installs)."""

from __future__ import annotations

import errno
import os
import secrets
from pathlib import Path

import platformdirs


def data_folder() -> Path:
    """Where autosaves, settings and unpacked reference drawings live; created if missing."""
    folder = Path(os.environ.get("ADVPLAY_DATA_DIR") or platformdirs.user_data_dir("advplay"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def temporary_beside(path: Path, folder: bool = False) -> Path:
    """A new hidden empty file (or folder) named after ``path``, in the same folder, so that
    ``os.replace`` onto ``path`` is atomic. Made with the usual permissions (the umask's),
    unlike ``tempfile``'s private ones, since it becomes the user's file."""
    for _ in range(100):
        candidate = path.parent / f".{path.stem}.{secrets.token_hex(4)}.part{path.suffix}"
        try:
            if folder:
                os.mkdir(candidate)
            else:
                open(candidate, "xb").close()
            return candidate
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(path))
