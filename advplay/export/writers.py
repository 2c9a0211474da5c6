"""Atomic, streaming writers for animations: GIF and WebP (Pillow), MP4 (H.264 through
imageio-ffmpeg) and PNG sequences.

A writer takes RGB frames one at a time and holds none of them: the GIF writer quantizes and
encodes each frame as it comes, the WebP writer feeds Pillow's encoder from a small queue,
the MP4 writer pipes frames to ffmpeg. Everything goes into a hidden temporary file (or
folder) beside the destination, moved into place with ``os.replace`` only by :meth:`commit`;
:meth:`abort`, an exception, or cancelling leaves no file and no partial file behind. Failures
become :class:`ExportError` with a message for the user. Qt-free.
"""

from __future__ import annotations

import abc
import contextlib
import os
import queue
import threading
from pathlib import Path

import numpy as np

from advplay.export.files import (ExportCancelled, ExportError, check_destination, check_size,
                                  disk_full, format_for_path, os_errors, remove_path,
                                  temporary_beside)

#: colours of a GIF's palette: 128 keeps the surface's gradients smooth without dithering
GIF_COLORS = 128
#: x264 constant rate factor (lower is better; 18 keeps thin lines and small text sharp)
MP4_CRF = 18


def frame_durations(count: int, fps: float, unit: float = 10.0) -> list[int]:
    """Milliseconds each of ``count`` frames is shown, multiples of ``unit`` ms (GIF delays
    are centiseconds) that add up to the ideal ``1000 * k / fps`` at every frame ``k``."""
    ticks = np.round(np.arange(count + 1) * (1000.0 / unit) / fps)
    return [int(d * unit) for d in np.maximum(np.diff(ticks), 1)]


# ---------------------------------------------------------------------------- base


class FrameWriter(abc.ABC):
    """Writes ``count`` frames of ``size`` at ``fps`` atomically to ``path``.

    Use as a context manager: leaving the block by an exception, or without :meth:`commit`,
    calls :meth:`abort`.
    """

    format = ""

    def __init__(self, path, size, fps: float, count: int):
        self.size = check_size(size, self.format)
        self.path = check_destination(path, self.format)
        self.fps, self.count, self.written = float(fps), int(count), 0
        self._done = False
        with os_errors(self.path):
            self.temporary = self._create_temporary()

    def _create_temporary(self) -> Path:
        return temporary_beside(self.path)

    def write(self, frame: np.ndarray) -> None:
        """Add one (height, width, 3) uint8 RGB frame."""
        if frame.shape != (self.size[1], self.size[0], 3) or frame.dtype != np.uint8:
            raise ValueError(f"frame must be ({self.size[1]}, {self.size[0]}, 3) uint8, "
                             f"not {frame.shape} {frame.dtype}")
        if self.written >= self.count:
            raise ValueError(f"all {self.count} frames were already written")
        with self._failing_aborts(), os_errors(self.path):
            self._write(np.ascontiguousarray(frame))
        self.written += 1

    def commit(self) -> Path:
        """Finish the file and move it into place; returns the destination."""
        if self.written != self.count:
            self.abort()
            raise ExportError(f"{self.written} of {self.count} frames were written; nothing saved")
        with self._failing_aborts(), os_errors(self.path):
            self._finish()
            self._move_into_place()
        self._done = True
        return self.path

    def abort(self) -> None:
        """Stop and remove everything written so far (safe to call twice)."""
        if self._done:
            return
        self._done = True
        try:
            self._discard()
        finally:
            remove_path(self.temporary)

    @contextlib.contextmanager
    def _failing_aborts(self):
        try:
            yield
        except BaseException:
            self.abort()
            raise

    def _move_into_place(self) -> None:
        os.replace(self.temporary, self.path)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.abort()

    @abc.abstractmethod
    def _write(self, frame: np.ndarray) -> None:
        """Encode one frame."""

    @abc.abstractmethod
    def _finish(self) -> None:
        """Complete the temporary file (it is then moved into place)."""

    def _discard(self) -> None:
        """Close what the encoder holds open (the temporary file is removed afterwards)."""


# ---------------------------------------------------------------------------- GIF


def adaptive_palette(frames, colors: int = GIF_COLORS):
    """A P-mode Pillow image whose palette (``colors`` entries) suits ``frames``: median cut
    over every other pixel of a few representative frames, computed once per animation."""
    from PIL import Image

    sample = np.concatenate([np.asarray(f)[::2, ::2] for f in frames], axis=0)
    return Image.fromarray(sample).quantize(colors, method=Image.Quantize.MEDIANCUT,
                                            dither=Image.Dither.NONE)


class GifWriter(FrameWriter):
    """GIF through Pillow's frame encoder: one fixed palette (``palette_frames``, or the first
    frame), no dithering, and only the rectangle that changed since the last frame is stored."""

    format = "gif"

    def __init__(self, path, size, fps, count, palette_frames=None, colors: int = GIF_COLORS):
        super().__init__(path, size, fps, count)
        self._palette = None if palette_frames is None else adaptive_palette(palette_frames, colors)
        self._colors = colors
        self._durations = frame_durations(self.count, self.fps)
        self._previous = None  # (H, W) palette indices of the last frame
        with self._failing_aborts(), os_errors(self.path):
            self._file = open(self.temporary, "wb")

    def _write(self, frame: np.ndarray) -> None:
        from PIL import GifImagePlugin, Image

        if self._palette is None:
            self._palette = adaptive_palette([frame], self._colors)
        image = Image.fromarray(frame).quantize(palette=self._palette, dither=Image.Dither.NONE)
        indices = np.asarray(image)
        duration = self._durations[self.written]
        if self._previous is None:
            header, _ = GifImagePlugin.getheader(image, None, {"loop": 0, "duration": duration})
            self._file.write(b"".join(header))
            box = (0, 0, *self.size)
        else:
            box = _changed_box(self._previous, indices)
        self._previous = indices
        data = GifImagePlugin.getdata(image.crop(box), offset=box[:2], duration=duration,
                                      disposal=1)  # 1: keep the rest of the previous frame
        self._file.write(b"".join(data))

    def _finish(self) -> None:
        self._file.write(b";")
        self._file.close()

    def _discard(self) -> None:
        if hasattr(self, "_file"):
            self._file.close()


def _changed_box(before: np.ndarray, after: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) around the pixels that differ; one pixel if none do."""
    changed = before != after
    rows, columns = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
    if not len(rows):
        return 0, 0, 1, 1
    return int(columns[0]), int(rows[0]), int(columns[-1]) + 1, int(rows[-1]) + 1


# ---------------------------------------------------------------------------- WebP


class _QueuedFrames:
    """The frames after the first, as Pillow's WebP encoder pulls them (``seek``), taken from a
    queue the writer fills; quacks like a multi-frame RGB image."""

    mode = "RGB"

    def __init__(self, count: int, frames: queue.Queue):
        self.n_frames, self._frames, self._index, self._image = count, frames, -1, None

    def seek(self, index: int) -> None:
        if index <= self._index:
            return  # Pillow seeks back to the start when it is done
        frame = self._frames.get()
        if frame is None:
            raise ExportCancelled()
        from PIL import Image

        self._image, self._index = Image.fromarray(frame), index

    def tell(self) -> int:
        return max(self._index, 0)

    def getim(self):  # Pillow >= 11
        return self._image.getim()

    @property
    def im(self):  # Pillow 10
        return self._image.im


class WebpWriter(FrameWriter):
    """Animated WebP through Pillow, encoding in a thread while the next frame is drawn."""

    format = "webp"

    def __init__(self, path, size, fps, count, quality: int = 85):
        super().__init__(path, size, fps, count)
        self.quality = quality
        self._frames: queue.Queue = queue.Queue(maxsize=2)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def _write(self, frame: np.ndarray) -> None:
        if self._thread is None:
            self._start(frame)
            return
        while self._thread.is_alive():
            with contextlib.suppress(queue.Full):
                self._frames.put(frame, timeout=0.1)
                return
        self._raise_error()

    def _start(self, first: np.ndarray) -> None:
        from PIL import Image

        rest = _QueuedFrames(self.count - 1, self._frames)
        options = dict(format="WEBP", save_all=True, append_images=[rest] if self.count > 1 else [],
                       duration=frame_durations(self.count, self.fps, unit=1.0), loop=0,
                       quality=self.quality, method=1)  # 1: 3x faster than 4, ~10% larger

        def encode():
            try:
                Image.fromarray(first).save(self.temporary, **options)
            except BaseException as error:  # noqa: BLE001 (re-raised in the writer's thread)
                self._error = error

        self._thread = threading.Thread(target=encode, name="advplay-webp", daemon=True)
        self._thread.start()

    def _raise_error(self) -> None:
        error, self._error = self._error, None
        if error is not None:
            raise error
        raise ExportError(f"the WebP encoder stopped while writing {self.path}")

    def _finish(self) -> None:
        self._thread.join()
        if self._error is not None:
            self._raise_error()

    def _discard(self) -> None:
        if self._thread is None:
            return
        with contextlib.suppress(queue.Empty):
            while True:
                self._frames.get_nowait()
        self._frames.put(None)  # the encoder raises ExportCancelled at its next frame
        self._thread.join()


# ---------------------------------------------------------------------------- MP4


class Mp4Writer(FrameWriter):
    """H.264 MP4 (libx264, yuv420p) through imageio-ffmpeg's bundled ffmpeg."""

    format = "mp4"

    def __init__(self, path, size, fps, count, crf: int = MP4_CRF):
        import imageio_ffmpeg

        super().__init__(path, size, fps, count)
        with self._failing_aborts(), os_errors(self.path):
            self._encoder = imageio_ffmpeg.write_frames(
                str(self.temporary), self.size, fps=self.fps, codec="libx264",
                pix_fmt_in="rgb24", pix_fmt_out="yuv420p", macro_block_size=1, quality=None,
                ffmpeg_log_level="error",
                # 10 frames of lookahead (the preset's 20) keep ffmpeg ~30 MB smaller here
                output_params=["-crf", str(crf), "-preset", "faster", "-rc-lookahead", "10",
                               "-movflags", "+faststart"])
            self._encoder.send(None)
        #: the ffmpeg process: the generator does not report its exit status, so it is kept
        #: to check that (and to stop it at once on abort, and to measure it in benchmarks)
        self.process = self._encoder.gi_frame.f_locals.get("p")

    def _write(self, frame: np.ndarray) -> None:
        try:
            self._encoder.send(frame)
        except OSError as error:
            raise self._failure(error) from error

    def _finish(self) -> None:
        self._encoder.close()
        self._close_pipes()
        status = getattr(self.process, "returncode", 0)
        if status:
            raise self._failure(None)

    def _failure(self, error: OSError | None) -> ExportError:
        if disk_full(self.path.parent, self.size):
            return ExportError(f"cannot write {self.path}: the disk is full")
        detail = f": {str(error).splitlines()[0]}" if error is not None else ""
        return ExportError(f"the MP4 encoder (ffmpeg) failed while writing {self.path}{detail}")

    def _discard(self) -> None:
        process = getattr(self, "process", None)
        if process is not None and process.poll() is None:
            process.kill()  # no need to let it finish a file that is thrown away
        if hasattr(self, "_encoder"):
            self._encoder.close()
            self._close_pipes()

    def _close_pipes(self) -> None:
        """Close ffmpeg's stdin if the generator left it open (it does when ffmpeg had
        already exited), and reap the process."""
        process = getattr(self, "process", None)
        if process is None:
            return
        with contextlib.suppress(OSError):
            process.stdin.close()
        process.wait()


# ---------------------------------------------------------------------------- PNG


class PngSequenceWriter(FrameWriter):
    """A folder of ``frame_00000.png``, ``frame_00001.png``, ... (written as a hidden folder,
    renamed into place at the end)."""

    format = "png"

    def _create_temporary(self) -> Path:
        return temporary_beside(self.path, folder=True)

    def _write(self, frame: np.ndarray) -> None:
        from PIL import Image

        digits = max(5, len(str(self.count - 1)))
        Image.fromarray(frame).save(self.temporary / f"frame_{self.written:0{digits}d}.png",
                                    format="PNG", compress_level=3)

    def _finish(self) -> None:
        """Nothing to complete: each frame is a finished file."""

    def _move_into_place(self) -> None:
        if self.path.is_dir():
            self.path.rmdir()  # empty (checked at the start): a folder is not replaced over one
        os.replace(self.temporary, self.path)


WRITERS = {"gif": GifWriter, "mp4": Mp4Writer, "webp": WebpWriter, "png": PngSequenceWriter}


def open_writer(path, size, fps: float, count: int, format: str | None = None,
                **options) -> FrameWriter:
    """A writer for ``path`` in ``format`` (default: from the suffix); ``options`` go to the
    writer (``palette_frames`` for GIF)."""
    format = format_for_path(path, format)
    if format != "gif":
        options.pop("palette_frames", None)
    return WRITERS[format](path, size, fps, count, **options)


