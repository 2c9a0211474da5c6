"""Property tests: random configs and mangled files get a message, never a traceback.

Every loader (configs, drawings, images, point files) and the CLI either succeed or refuse
with ConfigError / exit status 2 and one line naming the problem.
"""

import io

import numpy as np
import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from advplay.cli import main
from advplay.core.config import config_from_dict
from advplay.core.drawn import load_drawing, save_drawing
from advplay.core.errors import ConfigError
from advplay.core.imports import image_density, read_points

KEYS = {
    "target": ["name", "std", "radius", "n", "path", "means", "weights", "bandwidth"],
    "model": ["name", "loss", "width", "depth", "activation", "latent_dim", "latent_prior",
              "r1", "gp_weight", "pack", "reference", "ratio_loss", "bogus"],
    "train": ["steps", "batch_size", "lr_d", "optimizer", "beta1", "d_steps", "seed", "device"],
}
VALUES = st.one_of(
    # whole numbers small enough to train in a moment, or far out of range
    st.none(), st.booleans(), st.integers(-5, 300), st.sampled_from([2**31, 10**20, -10**9]),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["ring8", "grid25", "gan", "hinge", "adam", "cpu", "relu", "gaussian"]),
    st.lists(st.integers(-3, 3), max_size=4),
)
SECTIONS = st.fixed_dictionaries({}, optional={
    section: st.dictionaries(st.sampled_from(keys), VALUES, max_size=4)
    for section, keys in KEYS.items()})
FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def _plain(value):
    """None is not TOML: drop it, recursively."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    return value


@FAST
@given(data=SECTIONS)
def test_random_configs_validate_or_name_the_problem(data):
    try:
        config_from_dict(_plain(data))
    except ConfigError as error:
        assert " = " in str(error) and ":" in str(error)


@FAST
@given(data=SECTIONS)
def test_the_cli_trains_or_exits_2_on_random_configs(tmp_path, capsys, data):
    path = tmp_path / "random.toml"
    path.write_text(tomli_w.dumps(_plain(data)))
    status = main(["train", str(path), "--steps", "2", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status in (0, 2)
    if status == 2:
        assert err.startswith("advplay: error:") and "Traceback" not in err


def _mangle(data: bytes, position: float, value: int, cut: bool) -> bytes:
    index = int(position * max(len(data) - 1, 0))
    return data[:index] if cut else data[:index] + bytes([value]) + data[index + 1:]


MANGLE = dict(position=st.floats(0, 1), value=st.integers(0, 255), cut=st.booleans())


@pytest.fixture(scope="module")
def drawing_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("d") / "drawing.npz"
    density = np.zeros((1, 8, 8))
    density[0, 2:5, 3:6] = 1.0
    save_drawing(path, density, (-1.0, 1.0, -1.0, 1.0))
    return path.read_bytes()


@pytest.fixture(scope="module")
def image_bytes():
    stream = io.BytesIO()
    Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8) * 4).save(stream, "PNG")
    return stream.getvalue()


@FAST
@given(**MANGLE)
def test_mangled_drawings_load_or_are_refused(tmp_path, drawing_bytes, position, value, cut):
    path = tmp_path / "mangled.npz"
    path.write_bytes(_mangle(drawing_bytes, position, value, cut))
    try:
        density, _ = load_drawing(path)
        assert np.isfinite(density).all()
    except ConfigError as error:
        assert "target.path" in str(error)


@FAST
@given(**MANGLE)
def test_mangled_images_load_or_are_refused(tmp_path, image_bytes, position, value, cut):
    path = tmp_path / "mangled.png"
    path.write_bytes(_mangle(image_bytes, position, value, cut))
    try:
        density = image_density(path)
        assert np.isfinite(density).all() and (density >= 0).all()
    except ConfigError:
        pass


def test_a_drawing_with_an_unknown_compression_method_is_refused(tmp_path, drawing_bytes):
    """zipfile raises NotImplementedError here, not BadZipFile: found by hypothesis."""
    damaged = bytearray(drawing_bytes)
    entry = damaged.index(b"PK\x01\x02")  # the first central directory entry
    damaged[entry + 10] = 99  # its compression method
    path = tmp_path / "damaged.npz"
    path.write_bytes(bytes(damaged))
    with pytest.raises(ConfigError, match="not a readable drawing"):
        load_drawing(path)


@pytest.mark.parametrize("value", [0, 1, 7, 13])
def test_a_png_with_a_broken_chunk_length_is_refused(tmp_path, image_bytes, value):
    """Pillow raises SyntaxError ("broken PNG file") here, not OSError: found by hypothesis."""
    where = image_bytes.index(b"IDAT") - 1  # the low byte of the IDAT chunk's length
    path = tmp_path / "broken.png"
    path.write_bytes(image_bytes[:where] + bytes([value]) + image_bytes[where + 1:])
    with pytest.raises(ConfigError, match="not a readable PNG"):
        image_density(path)


@FAST
@given(text=st.text(alphabet="0123456789.,-e \nxyabel\t;nainf", max_size=200))
def test_random_point_files_load_or_are_refused(tmp_path, text):
    path = tmp_path / "points.csv"
    path.write_text(text)
    try:
        points, labels = read_points(path)
        assert points.ndim == 2 and points.shape[1] == 2 and np.isfinite(points).all()
    except ConfigError:
        pass
