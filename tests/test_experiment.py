"""Experiment files: exact round trips, continuing a run, and refusing every kind of bad file."""

import io
import os
import json
import pickle
import zipfile

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advplay.core.config import Config, config_from_dict
from advplay.core.drawn import DrawnTarget
from advplay.core.errors import ConfigError
from advplay.core.experiment import MAX_MEMBER_BYTES, load_experiment, save_experiment
from advplay.core.session import Session

SMALL = {"model.width": 32, "model.depth": 2, "train.batch_size": 64, "train.metrics_every": 10}


def small_session(**changes) -> Session:
    return Session(Config().replace({**SMALL, **changes}))


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A session trained 30 steps and its file."""
    session = small_session()
    session.step(30)
    path = tmp_path_factory.mktemp("exp") / "run.advplay"
    save_experiment(path, session)
    return session, path


def test_round_trip_restores_weights_step_and_histories_exactly(saved):
    session, path = saved
    restored = load_experiment(path).session()
    assert restored.step_count == 30
    for mine, theirs in zip(session.model.generator.parameters(),
                            restored.model.generator.parameters()):
        assert torch.equal(mine, theirs)
    np.testing.assert_array_equal(restored.snapshot().history_losses,
                                  session.snapshot().history_losses)
    np.testing.assert_array_equal(restored.snapshot().fake, session.snapshot().fake)
    assert restored.config == session.config.resolved()


def test_continuing_from_a_file_equals_training_straight_through(tmp_path):
    straight = small_session()
    straight.step(70)
    first = small_session()
    first.step(30)
    save_experiment(tmp_path / "half.advplay", first)
    continued = load_experiment(tmp_path / "half.advplay").session()
    continued.step(40)
    a, b = straight.snapshot(), continued.snapshot()
    assert a.step == b.step == 70
    np.testing.assert_array_equal(a.fake, b.fake)
    np.testing.assert_array_equal(a.history_losses, b.history_losses)
    assert dict(a.metrics) == dict(b.metrics)


def test_a_drawn_target_travels_with_the_experiment(tmp_path):
    density = np.zeros((2, 16, 16))
    density[0, 2:6, 2:6] = 1.0
    density[1, 10:14, 9:13] = 2.0
    bounds = (-2.0, 2.0, -1.0, 3.0)
    data = {**Config().replace(SMALL).to_dict(), "target": {"name": "drawn"}}
    config = config_from_dict(data, check_target=False)  # the drawing is in memory, not a file
    session = Session(config, DrawnTarget(density, bounds))
    session.step(12)
    save_experiment(tmp_path / "drawn.advplay", session, drawing=(density, bounds))
    experiment = load_experiment(tmp_path / "drawn.advplay")
    np.testing.assert_array_equal(experiment.drawing[0], density)
    assert experiment.drawing[1] == bounds
    restored = experiment.session()
    assert restored.target.bounds == bounds and restored.step_count == 12


def test_saving_is_atomic_and_an_unwritable_path_says_so(saved, tmp_path):
    session, _ = saved
    with pytest.raises(ConfigError, match="cannot be written"):
        save_experiment(tmp_path / "missing-folder" / "run.advplay", session)
    assert list(tmp_path.iterdir()) == []


def _rewrite(path, target, change):
    """Copy the archive at ``path`` to ``target`` with ``change(members)`` applied."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    change(members)
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return target


class _Hostile:
    def __reduce__(self):
        return (print, ("this must never run",))


def _manifest(**fields):
    def change(members):
        manifest = json.loads(members["manifest.json"])
        manifest.update(fields)
        members["manifest.json"] = json.dumps(manifest).encode()
    return change


BAD_FILES = {
    "truncated": lambda data, members: data[: len(data) // 2],
    "random bytes": lambda data, members: bytes(range(256)) * 20,
    "empty": lambda data, members: b"",
}
BAD_MEMBERS = {
    "foreign archive": lambda m: m.pop("manifest.json"),
    "foreign manifest": _manifest(format="something-else"),
    "newer version": _manifest(version=99),
    "bad config": lambda m: m.__setitem__("config.toml", b"[model]\nwidth = -3\n"),
    "not toml": lambda m: m.__setitem__("config.toml", b"\xff\xfe[[["),
    "damaged state": lambda m: m.__setitem__("state.json", b"{not json"),
    "hostile pickle": lambda m: m.__setitem__("state.pt", pickle.dumps(_Hostile())),
    "weights of another size": lambda m: m.__setitem__(
        "config.toml", m["config.toml"].replace(b"width = 32", b"width = 48")),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_mangled_files_are_refused_with_a_message(saved, tmp_path, kind):
    _, path = saved
    bad = tmp_path / "bad.advplay"
    bad.write_bytes(BAD_FILES[kind](path.read_bytes(), None))
    with pytest.raises(ConfigError, match="experiment"):
        load_experiment(bad)


@pytest.mark.parametrize("kind", BAD_MEMBERS)
def test_bad_members_are_refused_with_a_message(saved, tmp_path, kind, capsys):
    _, path = saved
    bad = _rewrite(path, tmp_path / "bad.advplay", BAD_MEMBERS[kind])
    with pytest.raises(ConfigError, match="experiment"):
        load_experiment(bad).session()
    assert "must never run" not in capsys.readouterr().out


def test_a_zip_bomb_is_refused_before_unpacking(saved, tmp_path):
    _, path = saved
    bomb = tmp_path / "bomb.advplay"

    def inflate(members):
        members["state.json"] = b" " * (MAX_MEMBER_BYTES + 1)

    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    inflate(members)
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    assert bomb.stat().st_size < 2 << 20
    with pytest.raises(ConfigError, match="too large"):
        load_experiment(bomb)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.floats(0, 1), value=st.integers(0, 255), cut=st.booleans())
def test_any_single_byte_change_or_cut_loads_or_is_refused(saved, tmp_path, position, value, cut):
    _, path = saved
    data = bytearray(path.read_bytes())
    index = int(position * (len(data) - 1))
    data = data[:index] if cut else data[:index] + bytes([value]) + data[index + 1:]
    bad = tmp_path / "fuzzed.advplay"
    bad.write_bytes(bytes(data))
    try:
        load_experiment(bad).session()
    except ConfigError as error:
        assert "experiment" in str(error)


def test_the_archive_is_documented_members_only(saved):
    _, path = saved
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["config.toml", "manifest.json", "state.json",
                                              "state.pt"]
        manifest = json.loads(archive.read("manifest.json"))
        torch.load(io.BytesIO(archive.read("state.pt")), weights_only=True)
    assert manifest["format"] == "advplay-experiment" and manifest["version"] == 1
    assert manifest["step"] == 30 and manifest["model"] == "gan"


def test_shipped_examples_open_and_are_the_ones_the_script_writes():
    from advplay.examples import EXAMPLES, OUT, example_config

    shipped = sorted(path.stem for path in OUT.glob("*.advplay"))
    assert shipped == sorted(EXAMPLES)
    for name in shipped:
        experiment = load_experiment(OUT / f"{name}.advplay")
        assert experiment.step == EXAMPLES[name][2]
        assert experiment.config.model.name == EXAMPLES[name][1].get("model.name", "gan")
        values = experiment.config.to_dict()
        for key, value in EXAMPLES[name][1].items():
            section, field = key.split(".")
            assert values[section][field] == value, (name, key)
        if not name.startswith("drawn-"):  # model and training in full, recipe files included
            expected = example_config(name).to_dict()
            for section in ("model", "train"):
                assert values[section] == expected[section], (name, section)
            assert values["target"]["name"] == expected["target"]["name"], name


def test_saved_files_get_the_users_usual_permissions(tmp_path):
    """Atomic saves go through a temporary file: it must not stay private (mkstemp's 0600)."""
    from advplay.core.drawn import save_drawing

    previous = os.umask(0o022)
    try:
        save_experiment(tmp_path / "run.advplay", Session(Config()))
        save_drawing(tmp_path / "q.npz", np.ones((1, 4, 4)), (-1.0, 1.0, -1.0, 1.0))
    finally:
        os.umask(previous)
    for name in ("run.advplay", "q.npz"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644, name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q.npz", "run.advplay"]
