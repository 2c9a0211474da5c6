"""Drawn targets, images and point files as targets; the .npz format; the CLI on a drawing."""

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from advplay.core.config import Config
from advplay.core.drawn import DrawnTarget, load_drawing, save_drawing
from advplay.core.errors import ConfigError
from advplay.core.imports import image_density, points_density, read_points
from advplay.core.session import Session
from advplay.core.targets import make_target

BOUNDS = (-2.0, 2.0, -2.0, 2.0)


def two_class_drawing():
    density = np.zeros((2, 16, 16))
    density[0, 2:5, 1:4] = 1.0  # bottom left
    density[1, 10:14, 11:15] = 2.0  # top right
    return density


def test_samples_fall_in_painted_cells_with_class_labels():
    target = DrawnTarget(two_class_drawing(), BOUNDS)
    points, labels = target.sample(20000, np.random.default_rng(0))
    assert target.n_classes == 2
    assert np.isfinite(target.log_prob(points)).all()  # every sample is on painted cells
    assert (points[labels == 0] < 0).all() and (points[labels == 1] > 0).all()
    share = np.mean(labels == 1)
    assert abs(share - 32 / 41) < 0.02  # class 1 holds 16 cells x 2 of the 9 + 32 units of mass


def test_log_prob_is_exact_and_integrates_to_one():
    target = DrawnTarget(two_class_drawing(), BOUNDS)
    xs = np.linspace(-2, 2, 801)[:-1] + 0.0025
    grid = np.stack(np.meshgrid(xs, xs), axis=-1).reshape(-1, 2)
    assert np.exp(target.log_prob(grid)).sum() * 0.005**2 == pytest.approx(1.0, rel=1e-6)
    cell_area = 0.25**2
    inside = np.array([[-1.6, -1.4]])  # a class-0 cell: 1 unit of the 41 units of mass
    assert target.log_prob(inside)[0] == pytest.approx(np.log(1 / 41 / cell_area))
    assert target.log_prob(np.array([[5.0, 0.0], [0.0, 0.0]])).tolist() == [-np.inf, -np.inf]


def test_empty_or_bad_drawings_are_refused_with_a_reason():
    with pytest.raises(ConfigError, match="paint some density"):
        DrawnTarget(np.zeros((16, 16)), BOUNDS)
    with pytest.raises(ConfigError, match="finite and >= 0"):
        DrawnTarget(-np.ones((16, 16)), BOUNDS)
    with pytest.raises(ConfigError, match="1 to 8 classes"):
        DrawnTarget(np.ones((9, 4, 4)), BOUNDS)


def test_saved_and_loaded_drawings_are_identical(tmp_path):
    density = two_class_drawing().astype(np.float32)
    save_drawing(tmp_path / "d.npz", density, BOUNDS)
    loaded, bounds = load_drawing(tmp_path / "d.npz")
    np.testing.assert_array_equal(loaded, density)
    assert bounds == BOUNDS


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04broken"])
def test_corrupt_drawing_files_raise_config_errors(tmp_path, content):
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match="target.path"):
        load_drawing(path)
    with pytest.raises(ConfigError):
        load_drawing(tmp_path / "missing.npz")


def test_image_density_is_proportional_to_intensity_and_respects_alpha(tmp_path):
    pixels = np.zeros((8, 8, 4), dtype=np.uint8)
    pixels[..., 3] = 255
    pixels[0, :, :3] = 200  # top row bright
    pixels[7, :, :3] = 100  # bottom row half as bright
    pixels[3, :, :3] = 255
    pixels[3, :, 3] = 0  # a bright but transparent row counts for nothing
    Image.fromarray(pixels, "RGBA").save(tmp_path / "img.png")
    density = image_density(tmp_path / "img.png")[0]
    assert density.shape == (8, 8)
    np.testing.assert_allclose(density[7], 200 / 255, atol=0.01)  # top row is the last row (y up)
    np.testing.assert_allclose(density[0], 100 / 255, atol=0.01)
    assert density[4].max() == 0
    inverted = image_density(tmp_path / "img.png", invert=True)[0]
    np.testing.assert_allclose(inverted[7], 55 / 255, atol=0.01)


def test_large_images_are_downscaled_and_non_square_ones_padded(tmp_path):
    Image.new("L", (2000, 1000), 255).save(tmp_path / "wide.png")
    density = image_density(tmp_path / "wide.png")[0]
    assert density.shape == (256, 256)
    assert density[:64].max() == 0 and density[128].min() == pytest.approx(1.0)


def test_unreadable_images_raise_config_errors(tmp_path):
    (tmp_path / "fake.png").write_bytes(b"\x89PNG but not really")
    with pytest.raises(ConfigError, match="not a readable PNG or JPEG"):
        image_density(tmp_path / "fake.png")


def test_points_from_csv_with_header_and_labels(tmp_path):
    rng = np.random.default_rng(0)
    left = rng.normal([-1, 0], 0.1, (300, 2))
    right = rng.normal([1, 0], 0.1, (300, 2))
    rows = np.concatenate([np.c_[left, np.zeros(300)], np.c_[right, np.ones(300)]])
    path = tmp_path / "p.csv"
    np.savetxt(path, rows, delimiter=",", header="x,y,label", comments="")
    points, labels = read_points(path)
    assert points.shape == (600, 2) and labels.tolist() == [0] * 300 + [1] * 300
    density, bounds, bandwidth = points_density(points, labels, bandwidth=0.1)
    target = DrawnTarget(density, bounds)
    samples, sample_labels = target.sample(4000, np.random.default_rng(1))
    assert (samples[sample_labels == 0, 0] < 0).mean() > 0.99
    assert (samples[sample_labels == 1, 0] > 0).mean() > 0.99
    assert np.abs(samples[:, 1]).mean() < 0.25


@pytest.mark.parametrize("text", ["x,y,label\n1,2,9\n", "a,b\nfoo,bar\n", "1,nan\n2,3\n", "1,2,0.5\n"])
def test_bad_point_files_raise_config_errors(tmp_path, text):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ConfigError):
        read_points(path)


def test_npy_points_target_from_config(tmp_path):
    np.save(tmp_path / "p.npy", np.random.default_rng(0).normal(size=(500, 2)))
    target = make_target("points", path=str(tmp_path / "p.npy"), bandwidth=0.2)
    assert target.bandwidth == 0.2 and target.has_density


def test_session_trains_on_a_drawing_and_follows_live_edits():
    config = Config().replace({"model.width": 32, "train.batch_size": 64})
    session = Session(config, target=DrawnTarget(two_class_drawing(), BOUNDS))
    session.step(20)
    moved = np.zeros((1, 16, 16))
    moved[0, 7:9, 7:9] = 1.0  # the user repaints: a square in the centre
    session.set_target(DrawnTarget(moved, BOUNDS))
    batch = session._real(500).numpy()
    assert (np.abs(batch) <= 0.25 + 1e-6).all()
    session.step(5)
    assert session.snapshot().real_labels is None and np.abs(session.snapshot().real).max() <= 0.25


def test_cli_trains_on_a_saved_drawing(tmp_path):
    save_drawing(tmp_path / "shape.npz", two_class_drawing(), BOUNDS)
    config = tmp_path / "drawn.toml"
    config.write_text(f'[target]\nname = "drawn"\npath = "{tmp_path / "shape.npz"}"\n'
                      "[model]\nwidth = 32\n[train]\nsteps = 30\nbatch_size = 64\n")
    result = subprocess.run([sys.executable, "-m", "advplay", "train", str(config), "--out",
                             str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert np.load(tmp_path / "out" / "samples.npy").shape == (2500, 2)
    config.write_text('[target]\nname = "drawn"\npath = "missing.npz"\n')
    result = subprocess.run([sys.executable, "-m", "advplay", "train", str(config), "--out",
                             str(tmp_path / "out2")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "target.path" in result.stderr
