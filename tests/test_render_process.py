"""Frames drawn beside training: the render process's replica draws what the session itself
would, follows the session's changes, and the worker moves frames to it and back."""

import pickle
import threading
import types
from multiprocessing import Pipe

import numpy as np
import pytest

from advplay.core.config import Config
from advplay.core.models import MODELS
from advplay.core.session import Session
from advplay.core.snapshot import Snapshot
from advplay.worker import render
from advplay.worker.render import Replica, serve
from worker_helpers import live_frames, play_until

SMALL = Config().replace({"model.width": 32, "train.batch_size": 64})
RESOLUTION = 24
BOUNDS = (-2.0, 2.0, -2.0, 2.0)


def same(a, b) -> bool:
    """Equal values, arrays and NaNs included."""
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, (dict, types.MappingProxyType)):
        return a.keys() == b.keys() and all(same(a[key], b[key]) for key in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and np.isnan(a):
        return isinstance(b, float) and np.isnan(b)
    return a == b


def assert_same_frame(drawn: Snapshot, own: Snapshot) -> None:
    different = [name for name in Snapshot.__dataclass_fields__
                 if not same(getattr(drawn, name), getattr(own, name))]
    assert not different


def drawn_by(replica: Replica, session: Session) -> Snapshot:
    """The replica's frame of ``session``, its inputs pickled as they cross the processes."""
    state, fields = pickle.loads(pickle.dumps((session.frame_state(), session.frame_fields())))
    kind, snapshot, error, seconds = replica.draw(state, fields)
    assert error is None and seconds >= 0
    return snapshot


def blob(x: float, y: float) -> np.ndarray:
    """A drawing: one square of density on a 16x16 canvas over BOUNDS."""
    density = np.zeros((16, 16))
    row, column = int((y + 2) * 4), int((x + 2) * 4)
    density[row:row + 3, column:column + 3] = 1.0
    return density


@pytest.mark.parametrize("name", MODELS.names())
def test_a_replica_draws_each_methods_frame_as_the_session_does(name):
    config = SMALL.replace({"model.name": name})
    session = Session(config, surface_resolution=RESOLUTION)
    replica = Replica(RESOLUTION)
    replica.set_scene(config, False, None, frozenset())
    session.step(40)
    assert_same_frame(drawn_by(replica, session), session.snapshot())


def test_a_replica_follows_changes_on_the_fly_skipped_extras_and_new_sessions():
    replica = Replica(RESOLUTION)
    replica.set_scene(SMALL, False, None, frozenset())
    built = replica.session
    session = Session(SMALL, surface_resolution=RESOLUTION)
    session.step(30)
    hinge = session.apply({"model.loss": "hinge", "train.lr_d": 1e-3})  # the surface changes
    replica.set_scene(hinge, True, None, frozenset({"optimal_discriminator"}))
    assert replica.session is built  # changes on the fly: applied, no new session
    session.skip_extras({"optimal_discriminator"})
    session.step(10)
    frame = drawn_by(replica, session)
    assert_same_frame(frame, session.snapshot())
    assert frame.skipped_extras == ("optimal_discriminator",)
    fresh = Session(hinge, surface_resolution=RESOLUTION)  # Reset: a new, untrained session
    fresh.skip_extras({"optimal_discriminator"})
    assert_same_frame(drawn_by(replica, fresh), fresh.snapshot())
    wider = hinge.replace({"model.width": 16})  # needs a new model: the replica builds one
    replica.set_scene(wider, True, None, frozenset())
    assert replica.session is not built
    other = Session(wider, surface_resolution=RESOLUTION)
    other.step(5)
    assert_same_frame(drawn_by(replica, other), other.snapshot())


def test_a_replica_follows_an_edited_drawing():
    from advplay.core.drawn import DrawnTarget

    first, second = (blob(-1, -1), BOUNDS), (blob(0.5, 0.5), BOUNDS)
    session = Session(SMALL, target=DrawnTarget(*first), surface_resolution=RESOLUTION)
    replica = Replica(RESOLUTION)
    replica.set_scene(SMALL, False, first, frozenset())
    session.step(20)
    assert_same_frame(drawn_by(replica, session), session.snapshot())
    session.set_target(DrawnTarget(*second))  # painted while training
    replica.set_scene(SMALL, False, second, frozenset())
    session.step(20)
    frame = drawn_by(replica, session)
    assert_same_frame(frame, session.snapshot())
    assert frame.real.mean(axis=0) == pytest.approx([0.875, 0.875], abs=0.1)  # the new blob


def test_the_render_process_answers_scenes_and_frames_and_reports_a_scene_it_cannot_build():
    ours, theirs = Pipe()
    server = threading.Thread(target=serve, args=(theirs, RESOLUTION), daemon=True)
    server.start()
    ours.send(("scene", 0, SMALL, False, None, frozenset()))
    assert ours.recv() == ("ready", 0)
    session = Session(SMALL, surface_resolution=RESOLUTION)
    session.step(10)
    ours.send(("frame", session.frame_state(), session.frame_fields()))
    kind, snapshot, error, seconds = ours.recv()
    assert kind == "frame" and error is None and snapshot.step == 10
    ours.send(("frame", {"networks": {}, "tensors": {"nope": None}, "extra": None}, {}))
    kind, snapshot, error, seconds = ours.recv()  # a frame that fails: its error, no frame
    assert snapshot is None and "Traceback" in error
    ours.send(("scene", 1, SMALL, False, (np.zeros((16, 16)), BOUNDS), frozenset()))
    kind, text = ours.recv()  # an empty drawing cannot be a target: the process ends
    assert kind == "broken" and "density" in text.lower()
    server.join(5)
    assert not server.is_alive()


@pytest.fixture
def eager_worker(monkeypatch, worker):
    """A worker (driven directly) that moves frames to a render process at its first frame."""
    monkeypatch.setattr(render, "PROCESS_AFTER_FRAMES", 1)
    return worker


def test_the_worker_draws_live_frames_in_a_render_process_and_ends_it(eager_worker):
    worker, published = eager_worker, eager_worker.published
    worker.handle(("configure", SMALL.to_dict()))
    worker.handle(("play",))
    play_until(worker, lambda: len(live_frames(published, "process")) >= 3)
    steps = [m[1].step for m in live_frames(published, "process")]
    assert steps == sorted(steps) and steps[-1] > 0
    worker.handle(("apply", {"model.loss": "hinge"}))  # the replica follows; frames go on
    count = len(live_frames(published, "process"))
    play_until(worker, lambda: len(live_frames(published, "process")) >= count + 2)
    assert not live_frames(published, "process")[-1][1].output_is_probability  # hinge's
    worker.handle(("pause",))  # the frame of the step training stopped at comes last
    assert published[-1][0] == "snapshot" and published[-1][1].step == worker.session.step_count
    assert not [m for m in published if m[0] == "error"]
    child = worker.frames.process._child
    worker.close()
    assert child.wait(5) == 0


def test_the_frame_rate_follows_the_drawing_time_of_the_last_frame_wherever_drawn(
        eager_worker):
    worker, published = eager_worker, eager_worker.published
    worker.handle(("configure", SMALL.to_dict()))
    worker.handle(("play",))
    play_until(worker, lambda: live_frames(published, "process"))
    worker.frames.thread.render_seconds = 30.0  # a slow frame of the thread's, before
    count = len(live_frames(published, "process"))
    play_until(worker, lambda: len(live_frames(published, "process")) > count)
    assert worker.frames.render_seconds < 30.0  # the process's last frame rules now
    assert worker._frame_spacing() < 100.0


def test_frames_go_on_in_the_worker_when_the_render_process_dies(eager_worker, capfd):
    worker, published = eager_worker, eager_worker.published
    worker.handle(("configure", SMALL.to_dict()))
    worker.handle(("play",))
    play_until(worker, lambda: live_frames(published, "process"))
    worker.frames.process._child.kill()
    worker.frames.process._child.wait(5)
    before = len(live_frames(published, "thread"))
    play_until(worker, lambda: len(live_frames(published, "thread")) > before)
    assert worker.frames.process_failures == 1
    assert not [m for m in published if m[0] == "error"]  # the window saw nothing amiss
    assert "the render process stopped" in capfd.readouterr().err
