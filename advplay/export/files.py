"""Files for exports: the errors users see, checks of a destination before any work, and
atomic replacement (a hidden temporary file beside the destination, then ``os.replace``).
Qt-free."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from pathlib import Path

from advplay.core.paths import temporary_beside

#: format key -> what the user sees
FORMATS = {"gif": "GIF", "mp4": "MP4 (H.264)", "webp": "WebP", "png": "PNG sequence"}
SUFFIXES = {".gif": "gif", ".mp4": "mp4", ".webp": "webp"}


class ExportError(Exception):
    """An export failed; ``str(error)`` is a message for the user. CLI exit status 1."""

    exit_status = 1


class ExportPathError(ExportError):
    """The destination or the options cannot work (bad input). CLI exit status 2."""

    exit_status = 2


class ExportCancelled(Exception):
    """The user cancelled an export; nothing was written."""


def format_for_path(path, format: str | None = None) -> str:
    """The format key for ``path``: from ``format`` if given, else from the file suffix
    (``.gif``, ``.mp4``, ``.webp``); a name with no suffix is a folder for a PNG sequence."""
    suffix = Path(path).suffix.lower()
    if format is not None:
        if format not in FORMATS:
            raise ExportPathError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
        if suffix in SUFFIXES and SUFFIXES[suffix] != format:
            raise ExportPathError(f"{path} has the suffix {suffix} but the format is {format}")
        return format
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    if not suffix:
        return "png"
    raise ExportPathError(f"cannot tell the format of {path}: use .gif, .mp4 or .webp, or a "
                          "folder name without a suffix for a PNG sequence")


def check_destination(path, format: str) -> Path:
    """``path`` as a Path if an export of ``format`` can be written there, else ExportPathError."""
    path = Path(path).expanduser()
    folder = path.parent
    if not folder.is_dir():
        raise ExportPathError(f"cannot write {path}: the folder {folder} does not exist")
    if format == "png":
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise ExportPathError(f"cannot write a PNG sequence into {path}: it exists and is "
                                  "not an empty folder")
    elif path.is_dir():
        raise ExportPathError(f"cannot write {path}: it is a folder")
    with os_errors(path):
        handle, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=folder)
        os.close(handle)
        os.remove(probe)
    return path


def check_size(size, format: str) -> tuple[int, int]:
    """``size`` as (width, height) ints, if a frame of that size can be written."""
    try:
        width, height = (int(v) for v in size)
    except (TypeError, ValueError):
        raise ExportPathError(f"size must be WIDTHxHEIGHT, not {size!r}") from None
    if not (16 <= width <= 8192 and 16 <= height <= 8192):
        raise ExportPathError(f"size {width}x{height}: width and height must be 16 to 8192")
    if format == "mp4" and (width % 2 or height % 2):
        raise ExportPathError(f"size {width}x{height}: MP4 (H.264, yuv420p) needs an even "
                              "width and height")
    return width, height


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path`` (same suffix); on success it replaces ``path``,
    on any error it is removed. OSErrors become ExportErrors."""
    path = Path(path).expanduser()
    check_destination(path, "file")
    with os_errors(path):
        temporary = temporary_beside(path)
    try:
        yield temporary
        with os_errors(path):
            os.replace(temporary, path)
    finally:
        remove_path(temporary)


def remove_path(path: Path) -> None:
    """Delete a file or a folder tree if it exists."""
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def disk_full(folder: Path, size) -> bool:
    """Whether ``folder``'s disk lacks room for about one more raw frame."""
    try:
        return shutil.disk_usage(folder).free < max(size[0] * size[1] * 3, 1 << 20)
    except OSError:
        return False


@contextlib.contextmanager
def os_errors(path: Path):
    """Turn OSErrors about writing ``path`` into ExportErrors with a message for the user."""
    try:
        yield
    except ExportError:
        raise
    except OSError as error:
        raise user_error(error, path) from error


def user_error(error: OSError, path) -> ExportError:
    """The ExportError a user should see for an OSError while writing ``path``."""
    code = error.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return ExportError(f"cannot write {path}: the disk is full")
    if code in (errno.EACCES, errno.EPERM):
        return ExportPathError(f"cannot write {path}: permission denied")
    if code == errno.EROFS:
        return ExportPathError(f"cannot write {path}: the disk is read-only")
    if code in (errno.ENOENT, errno.ENOTDIR):
        return ExportPathError(f"cannot write {path}: the folder does not exist")
    return ExportError(f"cannot write {path}: {error.strerror or error}")
