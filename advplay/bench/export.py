"""Export speed and memory: 200 frames of the data view at 1280x720 as a GIF and an MP4.

The snapshots come from a real run of the default experiment (one every 5 steps), saved to
a file; each export then runs in a fresh process (``python -m advplay.bench.export --child``)
that loads them and resets its peak-memory mark before exporting. Reported per format:
seconds for the export (frames drawn by the app's views, encoded, the file moved into
place), the file size, what the process held before the export (Python, Qt, torch, which
the data view's module imports, and the snapshots), its peak during the export, and for MP4
the peak of the ffmpeg process. A third process draws the frames without encoding them, to
show where the time goes. Targets: GIF <= 30 s, MP4 <= 15 s, export memory <= 500 MB.

Memory is read from /proc (``VmRSS``, ``VmHWM``; the mark is reset through
``/proc/self/clear_refs``), not from ``getrusage``: on Linux a child's ``ru_maxrss``, and
``RUSAGE_CHILDREN``, include the parent's resident pages at fork time (here the process that
just trained the run), which says nothing about the export. Elsewhere the benchmark falls
back to ``ru_maxrss``.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FRAMES, SIZE, FPS = 200, (1280, 720), 20
TARGETS = {"gif": 30.0, "mp4": 15.0}
MEMORY_TARGET_MB = 500


def _status_mb(field: str, pid: int | str = "self") -> float | None:
    """A memory field of /proc/PID/status (``VmRSS``, ``VmHWM``) in MB; None if unreadable."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    line = next((row for row in status.splitlines() if row.startswith(field + ":")), None)
    return None if line is None else int(line.split()[1]) / 1024


def _reset_peak() -> bool:
    """Start this process's peak-memory mark afresh from its current size (Linux >= 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_mb() -> float:
    peak = _status_mb("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _record_snapshots(path: Path, frames: int) -> None:
    import torch

    from advplay.core.config import Config
    from advplay.core.session import Session

    torch.set_num_threads(1)
    session = Session(Config())
    snapshots = []
    for _ in range(frames):
        snapshots.append(session.snapshot())
        session.step(5)
    path.write_bytes(pickle.dumps(snapshots))


def _child(snapshot_file: str, out: str, mode: str) -> None:
    """Export (or only draw) the saved snapshots; print one JSON line of measurements."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from advplay.export import AnimationExport, ExportOptions
    from advplay.export.frames import FrameRenderer

    snapshots = pickle.loads(Path(snapshot_file).read_bytes())
    before = _status_mb("VmRSS") if _reset_peak() else _peak_mb()
    start = time.perf_counter()
    ffmpeg = None
    if mode == "render":
        with FrameRenderer(SIZE, title="Non-saturating GAN, 8 Gaussians") as renderer:
            for snapshot in snapshots:
                renderer.render(snapshot)
    else:
        export = AnimationExport(snapshots, out, ExportOptions(
            size=SIZE, fps=FPS, title="Non-saturating GAN, 8 Gaussians"))
        while export.done < export.total - 1:
            export.advance()
        process = getattr(export.writer, "process", None)  # ffmpeg, just before it finishes
        ffmpeg = None if process is None else _status_mb("VmHWM", process.pid)
        export.advance()
    seconds = time.perf_counter() - start
    app.processEvents()
    print(json.dumps({"seconds": seconds, "peak_mb": _peak_mb(), "before_mb": before,
                      "ffmpeg_mb": ffmpeg,
                      "file_mb": os.path.getsize(out) / 1e6 if os.path.isfile(out) else None}))


def _run_child(snapshot_file: Path, out: Path, mode: str) -> dict:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "OMP_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, "-m", "advplay.bench.export", "--child",
                             str(snapshot_file), str(out), mode], capture_output=True,
                            text=True, env=env, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"the {mode} export process failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(quick: bool = False) -> int:
    frames = 40 if quick else FRAMES
    print(f"advplay bench export: {frames} frames of the data view at {SIZE[0]}x{SIZE[1]}, "
          f"{FPS} fps, each format in a fresh process")
    with tempfile.TemporaryDirectory(prefix="advplay-bench-export-") as folder:
        folder = Path(folder)
        start = time.perf_counter()
        _record_snapshots(folder / "snapshots.pkl", frames)
        print(f"  recorded {frames} snapshots of the default run in "
              f"{time.perf_counter() - start:.1f} s")
        results = {mode: _run_child(folder / "snapshots.pkl", folder / f"run.{mode}", mode)
                   for mode in ("render", "gif", "mp4")}
    for mode, result in results.items():
        added = result["peak_mb"] - result["before_mb"]
        extra = f", ffmpeg peak {result['ffmpeg_mb']:.0f} MB" if result["ffmpeg_mb"] else ""
        size = f", {result['file_mb']:.1f} MB file" if result["file_mb"] else ""
        print(f"  {mode:6s} {result['seconds']:6.2f} s ({result['seconds'] / frames * 1000:5.1f}"
              f" ms/frame){size}; process {result['before_mb']:.0f} MB before, peak "
              f"{result['peak_mb']:.0f} MB (+{added:.0f} MB){extra}")
    gif, mp4 = results["gif"], results["mp4"]
    export_mb = max(r["peak_mb"] - r["before_mb"] for r in (gif, mp4)) + (mp4["ffmpeg_mb"] or 0)
    summary = {
        "benchmark": "export", "frames": frames, "size": f"{SIZE[0]}x{SIZE[1]}",
        "render_s": round(results["render"]["seconds"], 2),
        "gif_s": round(gif["seconds"], 2), "mp4_s": round(mp4["seconds"], 2),
        "gif_mb": round(gif["file_mb"], 2), "mp4_mb": round(mp4["file_mb"], 2),
        "process_before_mb": round(max(gif["before_mb"], mp4["before_mb"]), 1),
        "process_peak_mb": round(max(gif["peak_mb"], mp4["peak_mb"]), 1),
        "ffmpeg_peak_mb": None if mp4["ffmpeg_mb"] is None else round(mp4["ffmpeg_mb"], 1),
        "export_memory_mb": round(export_mb, 1),
        "gif_within_target": gif["seconds"] <= TARGETS["gif"] * frames / FRAMES,
        "mp4_within_target": mp4["seconds"] <= TARGETS["mp4"] * frames / FRAMES,
        "memory_within_target": export_mb <= MEMORY_TARGET_MB,
    }
    print(f"  export memory (the process's growth during the export, plus ffmpeg) "
          f"{export_mb:.0f} MB; "
          f"targets: GIF <= {TARGETS['gif']:.0f} s, MP4 <= {TARGETS['mp4']:.0f} s for "
          f"{FRAMES} frames, <= {MEMORY_TARGET_MB} MB")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", nargs=3, metavar=("SNAPSHOTS", "OUT", "MODE"), required=True)
    _child(*parser.parse_args().child)
