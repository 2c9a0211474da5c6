"""Animations of a run: snapshots in, one file out, a frame at a time.

:class:`AnimationExport` renders each chosen snapshot with the app's views
(:class:`~advplay.export.frames.FrameRenderer`) and streams it to a writer, so memory holds
one frame, never the animation. The dialog advances it from a timer, one frame per tick;
:func:`export_animation` runs it in a loop with a progress callback that can cancel. This
module imports Qt only when an export starts, so options can be checked without it.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from advplay.export.compare import COMPARE_PANELS
from advplay.export.files import (ExportCancelled, ExportPathError, check_destination,
                                  check_size, format_for_path)
from advplay.export.writers import open_writer

#: which views a frame shows
PANELS = ("data", "data+latent", "data+curves")
PANEL_LABELS = {"data": "Data view", "data+latent": "Data + latent", "data+curves": "Data + curves"}
#: "dark" is the window's look; "light" is white, for slides
THEMES = ("dark", "light")
SIZE_PRESETS = {"1280\u00d7720": (1280, 720), "1920\u00d71080": (1920, 1080),
                "1080\u00d71080": (1080, 1080)}
MAX_FPS = 60


@dataclass(frozen=True)
class ExportOptions:
    """What to export and how it looks.

    Attributes
    ----------
    size : (width, height) in pixels
    fps : frames per second
    panels, theme : see :data:`PANELS`, :data:`THEMES`
    title : text at the top left ("" for none)
    step_counter : "step N" at the top right
    first, last : index range of the snapshots to animate, inclusive (``last=None``: newest)
    frames : at most this many frames, spread evenly over the range (None: every snapshot)
    format : "gif", "mp4", "webp" or "png" (None: from the file name)
    """

    size: tuple[int, int] = (1280, 720)
    fps: float = 15.0
    panels: str = "data"
    theme: str = "dark"
    title: str = ""
    step_counter: bool = True
    first: int = 0
    last: int | None = None
    frames: int | None = None
    format: str | None = None

    def validate(self, path) -> str:
        """The format to write ``path`` in; ExportPathError naming what is wrong otherwise."""
        format = format_for_path(path, self.format)
        self.check(format)
        return format

    def check(self, format: str) -> None:
        """ExportPathError naming what is wrong for a file of ``format``, if anything."""
        check_size(self.size, format)
        if not 0 < self.fps <= MAX_FPS:
            raise ExportPathError(f"fps = {self.fps:g}: must be more than 0 and at most {MAX_FPS}")
        if self.panels not in (*PANELS, COMPARE_PANELS):
            raise ExportPathError(f"panels must be one of {', '.join(PANELS)}, not {self.panels!r}")
        if self.theme not in THEMES:
            raise ExportPathError(f"theme must be one of {', '.join(THEMES)}, not {self.theme!r}")
        if self.frames is not None and self.frames < 1:
            raise ExportPathError(f"frames = {self.frames}: must be at least 1")


def parse_size(text: str) -> tuple[int, int]:
    """``"1280x720"`` (or ``1280×720``) as (1280, 720); ExportPathError if malformed."""
    match = re.fullmatch(r"\s*(\d+)\s*[x\u00d7X]\s*(\d+)\s*", str(text))
    if not match:
        raise ExportPathError(f"size must be WIDTHxHEIGHT, e.g. 1280x720, not {text!r}")
    return int(match.group(1)), int(match.group(2))


def select_indices(count: int, first: int = 0, last: int | None = None,
                   frames: int | None = None) -> list[int]:
    """Indices of the snapshots to animate: ``first``..``last`` (inclusive; negative counts
    from the end), thinned evenly to at most ``frames``, always keeping both ends."""
    if count < 1:
        raise ExportPathError("there is nothing to export yet: no frames were recorded")
    last = count - 1 if last is None else last
    first, last = (first % count if first < 0 else first), (last % count if last < 0 else last)
    if not 0 <= first <= last < count:
        raise ExportPathError(f"frame range {first}..{last} is outside 0..{count - 1}")
    indices = np.arange(first, last + 1)
    if frames is not None and frames < len(indices):
        indices = np.unique(np.round(np.linspace(first, last, frames)).astype(int))
    return indices.tolist()


class AnimationExport:
    """One export in progress: call :meth:`advance` until it returns True, or :meth:`cancel`.

    Parameters
    ----------
    snapshots : a sequence of snapshots (e.g. a :class:`~advplay.core.history.SnapshotHistory`)
    path : the file (or the folder of a PNG sequence)
    options : :class:`ExportOptions`
    view_state, latent_factory : passed to the frame renderer

    Needs a QApplication (frames are drawn by Qt widgets) and the GUI thread. The destination
    is written only when the last frame is done; until then nothing is there.
    """

    def __init__(self, snapshots: Sequence, path, options: ExportOptions, view_state=None,
                 latent_factory: Callable | None = None):
        from advplay.export.frames import FrameRenderer

        self.format = options.validate(path)
        check_destination(path, self.format)  # before any drawing: a bad path fails at once
        self.options = options
        self.indices = select_indices(len(snapshots), options.first, options.last, options.frames)
        self._snapshots = snapshots
        self.done = 0
        self.path: Path | None = None
        self.writer = None  # the file writer, until the file is in place or abandoned
        self.renderer = FrameRenderer(options.size, options.panels, options.theme, options.title,
                                      options.step_counter, view_state, latent_factory)
        with self._cleanup_on_error():
            palette_frames, self._first_frame = self._palette_frames()
            self.writer = open_writer(path, options.size, options.fps, len(self.indices),
                                       self.format, palette_frames=palette_frames)

    def _palette_frames(self):
        """For a GIF, the first, middle and last frame (one palette suits them all)."""
        first = self._render(0)
        if self.format != "gif":
            return None, first
        picks = sorted({len(self.indices) // 2, len(self.indices) - 1} - {0})
        return [first] + [self._render(k) for k in picks], first

    def _render(self, position: int) -> np.ndarray:
        return self.renderer.render(self._snapshots[self.indices[position]])

    @property
    def total(self) -> int:
        """Frames in the animation."""
        return len(self.indices)

    @property
    def finished(self) -> bool:
        """Whether the file is written (or the export was cancelled or failed)."""
        return self.writer is None

    def advance(self) -> bool:
        """Render and write the next frame; after the last, move the file into place.

        Returns True when the export is complete (``path`` is then set).
        """
        if self.finished:
            return self.path is not None
        with self._cleanup_on_error():
            frame = self._first_frame if self.done == 0 else self._render(self.done)
            self._first_frame = None
            self.writer.write(frame)
            self.done += 1
            if self.done == self.total:
                self.path = self.writer.commit()
                self._close()
        return self.path is not None

    def cancel(self) -> None:
        """Stop and leave nothing behind (safe to call at any time, and twice)."""
        if self.writer is not None:
            self.writer.abort()
        self._close()

    def _close(self) -> None:
        self.writer = None
        self.renderer.close()

    @contextlib.contextmanager
    def _cleanup_on_error(self):
        try:
            yield
        except BaseException:
            self.cancel()
            raise


def export_animation(snapshots: Sequence, path, options: ExportOptions | None = None,
                     progress: Callable[[int, int], bool | None] | None = None,
                     view_state=None, latent_factory: Callable | None = None) -> Path:
    """Write an animation of ``snapshots`` to ``path``; returns the path written.

    ``progress(done, total)`` is called after each frame; returning False cancels, which
    raises :class:`~advplay.export.files.ExportCancelled` and leaves nothing behind.
    """
    export = AnimationExport(snapshots, path, options or ExportOptions(), view_state,
                             latent_factory)
    try:
        while not export.advance():
            if progress is not None and progress(export.done, export.total) is False:
                raise ExportCancelled()
        if progress is not None:
            progress(export.done, export.total)
    finally:
        export.cancel()  # a no-op once the file is in place
    return export.path
