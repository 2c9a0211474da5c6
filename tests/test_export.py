"""Export: writers, animations rendered by the app's views, and the CLI end to end."""

import dataclasses
import errno
import gc
import os
import subprocess
import sys
import warnings

import imageio_ffmpeg
import numpy as np
import pyqtgraph as pg
import pytest
from PIL import Image

from advplay import cli
from advplay.core.config import config_from_dict
from advplay.core.session import Session
from advplay.export import (ExportCancelled, ExportError, ExportOptions, ExportPathError,
                            export_animation, parse_size)
from advplay.export.animation import select_indices
from advplay.export.writers import GifWriter, Mp4Writer, frame_durations, open_writer

SIZE = (160, 120)
SMALL = """
[target]
name = "ring8"
[model]
width = 32
depth = 2
[train]
steps = 30
batch_size = 64
metrics_every = 1000
"""


@pytest.fixture(scope="module")
def snapshots():
    """Eight snapshots of a small run, steps 0 to 70."""
    session = Session(config_from_dict({
        "target": {"name": "ring8"}, "model": {"width": 32, "depth": 2},
        "train": {"batch_size": 64, "metrics_every": 1000}}), surface_resolution=32)
    frames = []
    for _ in range(8):
        frames.append(session.snapshot())
        session.step(10)
    return frames


def gif_frames(path):
    with Image.open(path) as image:
        frames = []
        for index in range(image.n_frames):
            image.seek(index)
            frames.append(np.asarray(image.convert("RGB")).astype(np.int16))
        return frames, image.size


def mp4_frames(path):
    # read_frames leaves ffmpeg's pipes to the garbage collector once ffmpeg has exited
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        reader = imageio_ffmpeg.read_frames(str(path))
        meta = reader.__next__()
        frames = [np.frombuffer(frame, np.uint8) for frame in reader]
        del reader
        gc.collect()
    return frames, meta


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir())


# ---------------------------------------------------------------------------- animations


def test_gif_has_the_frames_size_and_timing_asked_for(snapshots, qapp, tmp_path):
    path = export_animation(snapshots, tmp_path / "run.gif", ExportOptions(size=SIZE, fps=10))
    frames, size = gif_frames(path)
    assert len(frames) == 8 and size == SIZE
    assert frames[0].shape == (120, 160, 3)
    with Image.open(path) as image:
        assert image.info["duration"] == 100 and image.info["loop"] == 0
    assert leftovers(tmp_path) == ["run.gif"]  # no temporary file left beside it


def test_mp4_has_the_frames_and_size_asked_for(snapshots, qapp, tmp_path):
    options = ExportOptions(size=SIZE, fps=12, theme="light", title="ring")
    path = export_animation(snapshots, tmp_path / "run.mp4", options)
    frames, meta = mp4_frames(path)
    assert len(frames) == 8 and tuple(meta["size"]) == SIZE
    assert meta["fps"] == pytest.approx(12)
    assert leftovers(tmp_path) == ["run.mp4"]


def test_webp_and_png_sequence(snapshots, qapp, tmp_path):
    options = ExportOptions(size=SIZE, panels="data+curves", first=2, last=6)
    webp = export_animation(snapshots, tmp_path / "run.webp", options)
    with Image.open(webp) as image:
        assert image.n_frames == 5 and image.size == SIZE
    folder = export_animation(snapshots, tmp_path / "frames", ExportOptions(size=SIZE, frames=3))
    names = leftovers(folder)
    assert names == ["frame_00000.png", "frame_00001.png", "frame_00002.png"]
    with Image.open(folder / names[0]) as image:
        assert image.size == SIZE and image.mode == "RGB"
    assert leftovers(tmp_path) == ["frames", "run.webp"]


def test_first_and_last_frames_differ_as_training_did(snapshots, qapp, tmp_path):
    from advplay.export.frames import FrameRenderer

    options = ExportOptions(size=SIZE, step_counter=False)
    frames, _ = gif_frames(export_animation(snapshots, tmp_path / "run.gif", options))
    with FrameRenderer(SIZE, step_counter=False) as renderer:
        again = [renderer.render(snapshots[k]) for k in (7, 0, 7)]
    np.testing.assert_array_equal(again[0], again[2])  # drawing is deterministic, so ...
    assert np.abs(frames[-1] - frames[0]).mean() > 1.0  # ... the change is training's
    assert np.abs(again[0].astype(np.int16) - again[1]).mean() > 1.0
    assert np.abs(frames[-1] - again[0]).mean() < 12  # the GIF shows the rendered frame


def test_light_theme_is_light_and_dark_is_dark(snapshots, qapp):
    from advplay.export.frames import FrameRenderer

    means = {}
    for theme in ("dark", "light"):
        with FrameRenderer(SIZE, theme=theme, title="t") as renderer:
            means[theme] = renderer.render(snapshots[-1]).mean()
    assert means["dark"] < 100 < means["light"]


@pytest.mark.parametrize("name", ["run.gif", "run.mp4", "run.webp", "frames"])
def test_cancel_leaves_nothing(snapshots, qapp, tmp_path, name):
    seen = []

    def progress(done, total):
        seen.append(done)
        return done < 3  # cancel after the third frame

    with pytest.raises(ExportCancelled):
        export_animation(snapshots, tmp_path / name, ExportOptions(size=SIZE), progress=progress)
    assert seen == [1, 2, 3]
    assert leftovers(tmp_path) == []


def test_full_disk_gives_a_clear_message_and_leaves_nothing(snapshots, qapp, tmp_path,
                                                             monkeypatch):
    real_write = GifWriter._write

    def write(self, frame):
        if self.written == 4:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(self, frame)

    monkeypatch.setattr(GifWriter, "_write", write)
    with pytest.raises(ExportError, match="the disk is full") as caught:
        export_animation(snapshots, tmp_path / "run.gif", ExportOptions(size=SIZE))
    assert caught.value.exit_status == 1
    assert leftovers(tmp_path) == []


def test_encoder_dying_is_an_export_error(qapp, tmp_path):
    frame = np.zeros((120, 160, 3), np.uint8)
    writer = open_writer(tmp_path / "run.mp4", SIZE, 10, 50)
    assert isinstance(writer, Mp4Writer)
    writer.write(frame)
    writer.process.kill()
    writer.process.wait()
    with pytest.raises(ExportError, match="ffmpeg"):
        for _ in range(49):
            writer.write(frame)
        writer.commit()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("name, options, message", [
    ("run.mp4", ExportOptions(size=(161, 120)), "even width and height"),
    ("run.gif", ExportOptions(size=(8, 8)), "16 to 8192"),
    ("run.gif", ExportOptions(size=SIZE, fps=0), "fps"),
    ("run.avi", ExportOptions(size=SIZE), "cannot tell the format"),
    ("run.gif", ExportOptions(size=SIZE, format="mp4"), "suffix .gif"),
    ("missing/run.gif", ExportOptions(size=SIZE), "does not exist"),
    ("run.gif", ExportOptions(size=SIZE, first=5, last=20), "outside"),
])
def test_bad_options_and_paths_are_refused_before_writing(snapshots, qapp, tmp_path, name,
                                                          options, message):
    with pytest.raises(ExportError, match=message):
        export_animation(snapshots, tmp_path / name, options)
    assert leftovers(tmp_path) == []


class FakeLatentView(pg.GraphicsLayoutWidget):
    """Stands in for the app's latent view: plots the encodings it is shown."""

    def __init__(self):
        super().__init__()
        self.plot = self.addPlot()
        self.steps = []

    def show_snapshot(self, snapshot):
        self.steps.append(snapshot.step)
        codes = snapshot.extras["latent_real"]
        self.plot.clear()
        self.plot.plot(codes[:, 0], codes[:, 1], pen=None, symbol="o")


def test_data_and_latent_layout(snapshots, qapp, tmp_path):
    views = []

    def factory():
        views.append(FakeLatentView())
        return views[-1]

    options = ExportOptions(size=SIZE, panels="data+latent")
    with pytest.raises(ExportError, match="no latent space"):  # a GAN has no encoder
        export_animation(snapshots, tmp_path / "run.gif", options, latent_factory=factory)
    rng = np.random.default_rng(0)
    encoded = [dataclasses.replace(s, extras={"latent_real": rng.normal(size=(50, 2))})
               for s in snapshots]
    views.clear()
    path = export_animation(encoded, tmp_path / "run.gif", options, latent_factory=factory)
    assert len(gif_frames(path)[0]) == 8
    assert len(views) == 1 and sorted(set(views[0].steps)) == [s.step for s in snapshots]
    assert leftovers(tmp_path) == ["run.gif"]


def test_data_and_latent_without_a_latent_view_says_so(snapshots, qapp, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "advplay.app.latent_view", None)  # as if not installed
    with pytest.raises(ExportError, match="needs the latent view"):
        export_animation(snapshots, tmp_path / "run.gif", ExportOptions(panels="data+latent"))
    assert leftovers(tmp_path) == []


def test_png_sequence_needs_an_empty_folder(snapshots, qapp, tmp_path):
    (tmp_path / "frames").mkdir()
    (tmp_path / "frames" / "keep.txt").write_text("mine")
    with pytest.raises(ExportPathError, match="not an empty folder"):
        export_animation(snapshots, tmp_path / "frames", ExportOptions(size=SIZE))
    assert leftovers(tmp_path / "frames") == ["keep.txt"]


def test_existing_file_is_replaced_only_when_done(snapshots, qapp, tmp_path):
    target = tmp_path / "run.gif"
    target.write_bytes(b"old")
    with pytest.raises(ExportCancelled):
        export_animation(snapshots, target, ExportOptions(size=SIZE), progress=lambda d, t: False)
    assert target.read_bytes() == b"old"
    export_animation(snapshots, target, ExportOptions(size=SIZE))
    assert gif_frames(target)[1] == SIZE


# ---------------------------------------------------------------------------- helpers


def test_select_indices_keeps_both_ends():
    assert select_indices(10) == list(range(10))
    assert select_indices(10, frames=4) == [0, 3, 6, 9]
    assert select_indices(10, 2, 5) == [2, 3, 4, 5]
    assert select_indices(10, -3) == [7, 8, 9]
    with pytest.raises(ExportPathError):
        select_indices(0)


def test_frame_durations_add_up_to_the_fps():
    durations = frame_durations(30, 15)
    assert set(durations) <= {60, 70} and sum(durations) == 2000
    assert frame_durations(3, 7.5, unit=1.0) == [133, 134, 133]


def test_parse_size():
    assert parse_size("1280x720") == (1280, 720)
    assert parse_size("1080\u00d71080") == (1080, 1080)
    with pytest.raises(ExportPathError, match="WIDTHxHEIGHT"):
        parse_size("big")


# ---------------------------------------------------------------------------- CLI


def advplay(*args, cwd):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(QT_QPA_PLATFORM="offscreen", OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "advplay", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300, env=env)


def test_cli_train_exports_an_animation_with_no_display(tmp_path):
    (tmp_path / "small.toml").write_text(SMALL)
    result = advplay("train", "small.toml", "--out", "run", "--export", "run.gif", "--frames",
                     "6", "--size", "160x120", "--fps", "5", "--theme", "light", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "exporting run.gif: frame 6/6" in result.stderr
    frames, size = gif_frames(tmp_path / "run" / "run.gif")
    assert len(frames) == 6 and size == SIZE
    assert sorted(leftovers(tmp_path / "run")) == ["config.toml", "experiment.advplay",
                                                   "metrics.json", "run.gif", "samples.npy"]
    result = advplay("render", "small.toml", "--steps", "10", "--png", "frame.png", "--size",
                     "200x150", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with Image.open(tmp_path / "frame.png") as image:
        assert image.size == (200, 150)
    assert leftovers(tmp_path) == ["frame.png", "run", "small.toml"]


def test_cli_bad_export_exits_2_before_training(tmp_path):
    (tmp_path / "small.toml").write_text(SMALL)
    result = advplay("train", "small.toml", "--out", "run", "--export", "run.mp4", "--size",
                     "161x120", cwd=tmp_path)
    assert result.returncode == 2
    assert "even width and height" in result.stderr and "step" not in result.stderr
    assert leftovers(tmp_path) == ["small.toml"]


def test_cli_failed_export_exits_1_and_leaves_nothing(tmp_path, qapp, monkeypatch, capsys):
    (tmp_path / "small.toml").write_text(SMALL)

    def fail(self, frame):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Mp4Writer, "_write", fail)
    monkeypatch.chdir(tmp_path)
    status = cli.main(["train", "small.toml", "--steps", "4", "--out", "run", "--export",
                       "run.mp4", "--frames", "3", "--size", "160x120"])
    assert status == 1
    assert "the disk is full" in capsys.readouterr().err
    assert leftovers(tmp_path) == ["small.toml"]


def test_snapshots_taken_while_training_change_nothing_in_training():
    import io

    from advplay.export.headless import train_with_snapshots
    from advplay.train import train_with_progress

    config = config_from_dict({"target": {"name": "ring8"}, "model": {"width": 32, "depth": 2},
                               "train": {"batch_size": 64, "metrics_every": 1000}})
    watched, plain = Session(config, surface_resolution=32), Session(config, surface_resolution=32)
    history = train_with_snapshots(watched, 30, 4, io.StringIO())
    train_with_progress(plain, 30, io.StringIO())
    assert history.steps().tolist() == [0, 10, 20, 30]
    np.testing.assert_array_equal(watched.samples(100), plain.samples(100))


def test_frames_follow_the_window_view_state(snapshots, qapp):
    from advplay.app.curves_view import CurvesView
    from advplay.app.data_view import FAKE_COLOR, DataView
    from advplay.export.frames import FrameRenderer, ViewState

    data_view, curves_view = DataView(), CurvesView()
    for layer in ("fake", "gradients", "manifold"):
        data_view.set_layer_visible(layer, False)
    data_view.set_surface("logit")
    state = ViewState.from_views(data_view, curves_view)
    assert state.layers["fake"] is False and state.surface == "logit"
    for view in (data_view, curves_view):
        view.deleteLater()

    def green_pixels(frame):
        return int((np.abs(frame.astype(int) - FAKE_COLOR).sum(axis=2) < 60).sum())

    with FrameRenderer((640, 480)) as renderer:
        shown = renderer.render(snapshots[-1])
    with FrameRenderer((640, 480), view_state=state) as renderer:
        hidden = renderer.render(snapshots[-1])
    assert green_pixels(shown) > 200 and green_pixels(hidden) == 0
