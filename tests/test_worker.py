"""The worker: its command handling driven directly (no process), then the real process."""

import math
import time

from advplay.core.config import Config
from advplay.worker import WorkerHandle
from advplay.worker.process import DEFAULT_FRAME_RATE, RENDER_BUDGET

SMALL = Config().replace({"model.width": 32, "train.batch_size": 64})


def kinds(messages):
    return [m[0] for m in messages]


def test_configure_step_and_reset_publish_frames(worker):
    worker.handle(("configure", SMALL.to_dict()))
    assert worker.published[-1][0] == "snapshot" and worker.published[-1][1].step == 0
    worker.handle(("step", 7, None))
    assert worker.published[-1][1].step == 7
    worker.handle(("step", 1, ["d"]))
    assert worker.published[-1][1].step == 8
    worker.handle(("reset",))
    assert worker.published[-1][1].step == 0


def test_play_trains_in_chunks_and_renders_in_the_background(worker):
    worker.handle(("configure", SMALL.to_dict()))
    worker.handle(("play",))
    assert ("state", {"playing": True}) in worker.published
    deadline = time.time() + 30
    while time.time() < deadline and not any(
            m[0] == "snapshot" and m[1].step > 0 for m in worker.published):
        worker.train_chunk()
    frames = [m[1] for m in worker.published if m[0] == "snapshot"]
    assert frames[-1].step > 0
    worker.handle(("pause",))
    assert worker.published[-1][0] == "snapshot"
    assert worker.published[-1][1].step == worker.session.step_count


def test_chunks_end_when_the_next_frame_falls_due(worker, monkeypatch):
    from advplay.worker import process

    worker.handle(("configure", SMALL.to_dict()))
    assert worker._chunk_steps() == 1  # the pace is not known yet
    step = worker._seconds_per_step = 2.0 ** -10  # binary fractions: exact arithmetic
    monkeypatch.setattr(process.time, "perf_counter", lambda: 64.0)
    worker._next_frame = 64.0 + 32 * step  # due within a chunk and a half: the chunk ends there
    assert worker._chunk_steps() == 32
    worker._next_frame = 200.0  # far: a plain chunk
    assert worker._chunk_steps() == math.ceil(process.CHUNK_SECONDS / step)
    worker._next_frame = 63.0  # overdue, the renderer still busy: short chunks
    assert worker._chunk_steps() == math.ceil(process.CHUNK_SECONDS / 5 / step)
    worker.handle(("speed", 40))  # a speed limit caps the chunk at its share
    assert worker._chunk_steps() == int(40 * process.CHUNK_SECONDS)


def test_frames_come_at_the_frame_rate_asked_for_unless_they_render_slowly(worker):
    assert worker._frame_spacing() == 1 / DEFAULT_FRAME_RATE
    worker.handle(("frame_rate", 30))
    assert worker._frame_spacing() == 1 / 30
    worker.frames.thread.render_seconds = RENDER_BUDGET  # a slow frame: its CPU budget rules
    assert worker._frame_spacing() == 1.0
    for bad in (0, 31, -5, float("nan"), "fast", None):  # refused, reported, nothing changes
        worker.handle(("frame_rate", bad))
        assert worker.published[-1][0] == "error" and "frame_rate" in worker.published[-1][1]
        assert worker.frame_rate == 30


def test_skipped_extras_hold_across_sessions_and_come_back_at_once_while_paused(worker):
    worker.handle(("skip_extras", ["optimal_discriminator"]))  # before any session exists
    worker.handle(("configure", SMALL.to_dict()))
    frame = worker.published[-1][1]
    assert "optimal_discriminator" not in frame.extras
    assert frame.skipped_extras == ("optimal_discriminator",)
    worker.handle(("reset",))  # a new session skips it too
    assert worker.published[-1][1].skipped_extras == ("optimal_discriminator",)
    count = len(worker.published)
    worker.handle(("skip_extras", []))  # its view is shown: a frame with D* comes right away
    assert len(worker.published) == count + 1
    assert "optimal_discriminator" in worker.published[-1][1].extras
    worker.handle(("skip_extras", ["optimal_discriminator"]))  # hidden again: no frame needed
    assert len(worker.published) == count + 1
    worker.handle(("skip_extras", ["latent_real"]))  # not optional: refused, nothing kept
    assert worker.published[-1][0] == "error" and "latent_real" in worker.published[-1][1]
    worker.handle(("reset",))  # so later sessions still build
    assert worker.published[-1][0] == "snapshot"
    assert worker.published[-1][1].skipped_extras == ("optimal_discriminator",)


def test_bad_changes_are_reported_not_raised(worker):
    worker.handle(("configure", SMALL.to_dict()))
    worker.handle(("apply", {"train.lr_d": -1.0}))
    assert worker.published[-1][0] == "error" and "train.lr_d" in worker.published[-1][1]
    worker.handle(("configure", {"target": {"name": "nope"}}))
    assert "target.name" in worker.published[-1][1]
    worker.handle(("bogus",))
    assert worker.published[-1][0] == "error" and "unknown worker command" in worker.published[-1][1]
    worker.handle(("step", 2, None))  # the last good session still trains
    assert worker.published[-1][1].step == 2


def test_divergence_pauses_and_sends_the_last_good_frame(worker):
    wild = SMALL.replace({"model.loss": "wasserstein", "model.gp_weight": 0.0,
                          "train.optimizer": "sgd", "train.lr_d": 10.0, "train.lr_g": 10.0})
    worker.handle(("configure", wild.to_dict()))
    worker.handle(("step", 500, None))
    kind, text, snapshot = worker.published[-1]
    assert kind == "error" and "diverged at step" in text and snapshot.error == text
    assert not worker.playing
    worker.handle(("play",))  # Play after a divergence starts afresh
    assert any(m[0] == "snapshot" and m[1].step == 0 for m in worker.published[-3:])


def test_the_process_answers_and_stops_quickly():
    handle = WorkerHandle()
    handle.start()
    try:
        handle.send("configure", SMALL.to_dict())
        handle.send("step", 5, None)
        deadline = time.time() + 60
        frames = []
        while time.time() < deadline and not any(f.step == 5 for f in frames):
            frames += [m[1] for m in handle.receive() if m[0] == "snapshot"]
            time.sleep(0.02)
        assert frames[-1].step == 5
        handle.send("play")
        time.sleep(0.5)
    finally:
        process = handle.process
        start = time.time()
        handle.stop()
    assert time.time() - start < 2.0 and not process.is_alive()


def test_a_worker_whose_app_is_gone_at_its_first_look_ends_by_itself():
    """The app's pid is handed over at start: an app that went away while the worker was
    still starting (its parent is then another process) leaves no worker waiting forever."""
    import multiprocessing

    from advplay.worker.process import worker_main

    context = multiprocessing.get_context("spawn")
    commands, messages = context.Queue(), context.Queue()
    not_our_parent = -1
    process = context.Process(target=worker_main, daemon=True,
                              args=(commands, messages, 1, not_our_parent))
    process.start()
    process.join(60)
    assert process.exitcode == 0


def test_a_killed_process_is_detected_and_restarted():
    handle = WorkerHandle()
    handle.start()
    handle.send("configure", SMALL.to_dict())
    handle.send("play")
    time.sleep(1.0)
    handle.process.kill()
    handle.process.join(5)
    assert not handle.alive
    assert handle.ensure_running() is True and handle.alive
    handle.stop()


def test_drawn_targets_cross_as_arrays_and_update_live(worker):
    import numpy as np

    density = np.zeros((1, 16, 16))
    density[0, 2:4, 2:4] = 1.0
    bounds = (-2.0, 2.0, -2.0, 2.0)
    drawn = SMALL.to_dict()
    drawn["target"] = {"name": "drawn"}
    worker.handle(("configure", drawn, (density, bounds)))
    assert worker.published[-1][0] == "snapshot"
    assert (worker.published[-1][1].real < -1.0).all()  # bottom-left square
    worker.handle(("step", 3, None))
    moved = np.zeros((1, 16, 16))
    moved[0, 12:14, 12:14] = 1.0
    worker.handle(("set_target", moved, bounds))
    frame = worker.published[-1][1]
    assert frame.step == 3 and (frame.real > 1.0).all()  # training goes on, new shape
    worker.handle(("set_target", np.zeros((1, 16, 16)), bounds))
    assert worker.published[-1][0] == "error" and "paint some density" in worker.published[-1][1]
