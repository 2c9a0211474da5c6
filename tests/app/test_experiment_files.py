"""Save, open, autosave, crash recovery and the quit question, against a real worker."""

import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication

from advplay.app.experiment_files import orphaned_autosaves
from advplay.app.main_window import MainWindow
from advplay.core.config import Config
from advplay.core.experiment import load_experiment

START_TIMEOUT = 60_000
SMALL = {"model.width": 32, "model.depth": 2, "train.batch_size": 64}


def make_window(qtbot):
    window = MainWindow(Config().replace(SMALL))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.snapshot is not None, timeout=START_TIMEOUT)
    return window


def trained_window(qtbot, steps=40):
    window = make_window(qtbot)
    window.client.step(steps)
    qtbot.waitUntil(lambda: window.snapshot.step == steps, timeout=30_000)
    return window


def test_save_writes_the_run_and_remembers_it(qtbot, tmp_path):
    window = trained_window(qtbot)
    path = tmp_path / "run.advplay"
    assert window.files.unsaved()
    assert window.files.save(path, wait=True)
    experiment = load_experiment(path)
    assert experiment.step == 40 and experiment.config == window.config.resolved()
    assert str(path) in window.files.recent_files()
    assert not window.files.unsaved()
    window.close()


def test_open_restores_the_picture_and_play_continues(qtbot, tmp_path):
    first = trained_window(qtbot, steps=30)
    path = tmp_path / "run.advplay"
    first.files.save(path, wait=True)
    saved_fake = first.snapshot.fake.copy()
    first.close()
    window = make_window(qtbot)
    assert window.files.open(path)
    qtbot.waitUntil(lambda: window.snapshot.step == 30, timeout=30_000)
    assert (window.snapshot.fake == saved_fake).all()
    window.transport.play_action.setChecked(True)
    qtbot.waitUntil(lambda: window.snapshot.step > 60, timeout=30_000)
    window.transport.play_action.setChecked(False)
    window.close()


def test_a_bad_file_is_refused_and_changes_nothing(qtbot, tmp_path):
    window = make_window(qtbot)
    bad = tmp_path / "bad.advplay"
    bad.write_bytes(b"PK\x03\x04 definitely not a whole archive")
    config = window.config
    assert not window.files.open(bad)
    assert window.banner.isVisible() and "Cannot open" in window.banner.label.text()
    assert window.config == config
    window.close()


def test_quitting_with_unsaved_work_asks_and_cancel_keeps_the_window(qtbot):
    window = trained_window(qtbot, steps=5)
    questions = []
    window.files.ask = lambda title, text: questions.append(text) or "cancel"
    window.close()
    assert window.isVisible() and "step 5" in questions[0]
    window.files.ask = lambda title, text: "discard"
    window.close()
    assert not window.isVisible()


def test_copy_config_puts_valid_toml_on_the_clipboard(qtbot):
    window = make_window(qtbot)
    window.files.action_copy_config.trigger()
    data = tomllib.loads(QGuiApplication.clipboard().text())
    assert data["model"]["width"] == 32 and data["target"]["name"] == "ring8"
    window.close()


def test_autosave_writes_the_running_session(qtbot):
    window = trained_window(qtbot, steps=12)
    window.files._autosave()
    path = window.files.autosave_path
    qtbot.waitUntil(path.exists, timeout=20_000)
    qtbot.waitUntil(lambda: _loads(path), timeout=20_000)
    assert load_experiment(path).step == 12
    window.close()
    assert not path.exists()  # a clean quit leaves no autosave behind


def _loads(path) -> bool:
    try:
        load_experiment(path)
        return True
    except Exception:  # noqa: BLE001 (still being written)
        return False


def _launch_until_autosaved(folder, stderr=subprocess.DEVNULL):
    """``advplay --play`` in a subprocess, once it has autosaved (every second) into
    ``folder``: (the process, its autosave). The process is killed if it never autosaves."""
    env = {**os.environ, "ADVPLAY_AUTOSAVE_SECONDS": "1", "QT_QPA_PLATFORM": "offscreen"}
    app = subprocess.Popen([sys.executable, "-m", "advplay", "--play"], env=env,
                           stdout=subprocess.DEVNULL, stderr=stderr, text=True)
    autosave = folder / f"autosave-{app.pid}.advplay"
    deadline = time.monotonic() + 90
    while not (autosave.exists() and _loads(autosave)) and time.monotonic() < deadline:
        time.sleep(0.2)
    if not autosave.exists():
        app.kill()
        app.wait(10)
        raise AssertionError("the running app never autosaved")
    return app, autosave


@pytest.mark.slow
def test_after_a_kill_the_next_launch_restores_the_autosave(qtbot, private_data_folder):
    app, autosave = _launch_until_autosaved(private_data_folder)
    app.send_signal(signal.SIGKILL)
    app.wait(10)
    assert orphaned_autosaves(private_data_folder)[0] == autosave
    saved_step = load_experiment(autosave).step
    window = make_window(qtbot)
    window.files.ask_restore = lambda path: True
    assert window.files.offer_restore()
    qtbot.waitUntil(lambda: window.snapshot.step == saved_step, timeout=30_000)
    assert not autosave.exists()
    window.close()


def _state_and_parent(pid: int) -> tuple[str, int] | None:
    """Process ``pid``'s state letter and parent (Linux /proc), None once it is gone."""
    try:
        state, parent = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[:2]
    except OSError:
        return None
    return state, int(parent)


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    return [int(path.name) for path in Path("/proc").glob("[0-9]*")
            if (found := _state_and_parent(int(path.name))) and found[1] == pid]


def _running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting to be reaped has ended)."""
    found = _state_and_parent(pid)
    return found is not None and found[0] != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_and_sigterm_close_the_app_cleanly_and_keep_the_autosave(private_data_folder,
                                                                        number):
    app, autosave = _launch_until_autosaved(private_data_folder, stderr=subprocess.PIPE)
    try:
        workers = _children(app.pid)
        assert workers
        app.send_signal(number)
        _, errors = app.communicate(timeout=30)  # it did nothing at all on Ctrl+C before
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(10)
    try:
        assert app.returncode == 0
        # nothing but the offscreen platform's notes: no traceback, no leaked semaphores
        assert [line for line in errors.splitlines() if "propagateSizeHints" not in line] == []
        deadline = time.monotonic() + 10  # its children end on their own once it is gone
        while any(_running(pid) for pid in workers):
            assert time.monotonic() < deadline, "a child process outlived the app"
            time.sleep(0.1)
        assert orphaned_autosaves(private_data_folder)[0] == autosave  # offered next launch
    finally:
        autosave.unlink(missing_ok=True)
