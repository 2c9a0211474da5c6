"""Save, open, recent files, examples, autosave and crash recovery for the main window.

The session lives in the worker process, so the worker writes experiment files itself (a
``save`` command, answered by the client's ``saved`` signal); opening checks the file here
first, so a bad file is refused with a message before anything changes.

Autosave: every ``AUTOSAVE_SECONDS`` in which something changed (training moved or a setting
changed), the worker writes ``autosave-<pid>.advplay`` in the data folder (platformdirs, or
``$ADVPLAY_DATA_DIR``). A clean quit deletes it; so a file left by a process that is gone
means a crash or a kill, and the next launch offers to restore it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QTimer
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from advplay.app.actions import make_action
from advplay.core.config import dump_config
from advplay.core.errors import ConfigError
from advplay.core.experiment import SUFFIX, load_experiment
from advplay.core.paths import data_folder

AUTOSAVE_SECONDS = float(os.environ.get("ADVPLAY_AUTOSAVE_SECONDS", 10))
RECENT_FILES = 8
FILE_FILTER = f"advplay experiments (*{SUFFIX})"
EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def orphaned_autosaves(folder: Path) -> list[Path]:
    """Autosaves of processes that no longer run, newest first."""
    found = []
    for path in folder.glob(f"autosave-*{SUFFIX}"):
        pid = path.stem.removeprefix("autosave-")
        if pid.isdigit() and not _running(int(pid)):
            found.append(path)
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def _prune(paths, keep: int) -> None:
    """Delete all but the ``keep`` newest of ``paths``."""
    for path in sorted(paths, key=lambda p: p.stat().st_mtime, reverse=True)[keep:]:
        path.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


class ExperimentFiles(QObject):
    """File actions of ``window`` (a MainWindow); the window calls :meth:`confirm_close`.

    ``ask`` (a function of title and text returning "save", "discard" or "cancel") and
    ``ask_restore`` (returning a bool) are plain attributes so tests can answer for a user.
    """

    def __init__(self, window, settings: QSettings | None = None):
        super().__init__(window)
        self.window = window
        self.settings = settings or QSettings(str(data_folder() / "settings.ini"),
                                              QSettings.Format.IniFormat)
        self.path: Path | None = None
        self.autosave_path = data_folder() / f"autosave-{os.getpid()}{SUFFIX}"
        self.ask, self.ask_restore = self._ask_save, self._ask_restore
        self._saved_state = None  # (step, config) at the last user save or open
        self._autosaved_state = None
        self._waiting: dict[str, bool] = {}
        self._interrupted = False
        self._build_actions()
        self._timer = QTimer(self)
        self._timer.setInterval(int(AUTOSAVE_SECONDS * 1000))
        self._timer.timeout.connect(self._autosave)
        self._timer.start()
        window.client.saved.connect(self._on_saved)

    # ----------------------------------------------------------------- actions

    def _build_actions(self) -> None:
        w = self.window
        self.action_open = make_action(w, "&Open experiment…", QKeySequence.StandardKey.Open,
                                       tip="Open a saved experiment and continue it",
                                       name="actionOpen")
        self.action_save = make_action(w, "&Save experiment", QKeySequence.StandardKey.Save,
                                       tip="Save config, drawing, weights and step",
                                       name="actionSave")
        self.action_save_as = make_action(w, "Save experiment &as…", "Ctrl+Shift+S",
                                          name="actionSaveAs")
        self.action_copy_config = make_action(w, "&Copy config as TOML", "Ctrl+Shift+C",
                                              tip="The current settings, ready for advplay train",
                                              name="actionCopyConfig")
        self.action_open.triggered.connect(self._on_open)
        self.action_save.triggered.connect(lambda: self.save(self.path))
        self.action_save_as.triggered.connect(lambda: self.save(None))
        self.action_copy_config.triggered.connect(self.copy_config)
        self.recent_menu = QMenu("Open &recent", w)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.examples_menu = QMenu("E&xamples", w)
        self._fill_examples()

    def add_to_menu(self, menu: QMenu) -> None:
        menu.addAction(self.action_open)
        menu.addMenu(self.recent_menu)
        menu.addMenu(self.examples_menu)
        menu.addAction(self.action_save)
        menu.addAction(self.action_save_as)
        menu.addAction(self.action_copy_config)
        for action in (self.action_open, self.action_save, self.action_save_as,
                       self.action_copy_config):
            self.window.addAction(action)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.recent_files():
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.open(p))
        self.recent_menu.setEnabled(True)
        if not self.recent_menu.actions():
            self.recent_menu.addAction("(none yet)").setEnabled(False)

    def _fill_examples(self) -> None:
        examples = sorted(EXAMPLES.glob(f"*{SUFFIX}")) if EXAMPLES.is_dir() else []
        for path in examples:
            action = self.examples_menu.addAction(path.stem.replace("-", " "))
            action.setToolTip(f"Open the ready-trained example {path.name}")
            action.triggered.connect(lambda _=False, p=path: self.open(p, remember=False))
        self.examples_menu.setEnabled(bool(examples))

    def recent_files(self) -> list[str]:
        value = self.settings.value("recent_files", [])
        files = [value] if isinstance(value, str) else list(value or [])
        return [f for f in files if Path(f).exists()][:RECENT_FILES]

    def _remember(self, path: Path) -> None:
        files = [str(path)] + [f for f in self.recent_files() if f != str(path)]
        self.settings.setValue("recent_files", files[:RECENT_FILES])

    # ----------------------------------------------------------------- save and open

    def save(self, path: Path | None, wait: bool = False) -> bool:
        """Save to ``path`` (asks for one when None); with ``wait``, until the worker is done."""
        if path is None:
            chosen, _ = QFileDialog.getSaveFileName(self.window, "Save experiment",
                                                    str(self._suggested_name()), FILE_FILTER)
            if not chosen:
                return False
            path = Path(chosen if chosen.endswith(SUFFIX) else chosen + SUFFIX)
        self._waiting[str(path)] = False
        self.window.client.save(str(path), "user")
        return self._wait_for(str(path)) if wait else True

    def _suggested_name(self) -> Path:
        config = self.window.config
        return Path.home() / f"{config.target.name}-{config.model.name}{SUFFIX}"

    def _wait_for(self, path: str, timeout: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout
        while not self._waiting.get(path) and time.monotonic() < deadline:
            QGuiApplication.processEvents()
            time.sleep(0.01)
        return bool(self._waiting.pop(path, False))

    def _on_saved(self, path: str, tag: str, step: int) -> None:
        if tag == "user":
            self.path = Path(path)
            self._saved_state = (step, self.window.config)
            self._remember(self.path)
            self.window.setWindowFilePath(path)
            self.window.statusBar().showMessage(f"Saved {path} (step {step})", 5000)
        if path in self._waiting:
            self._waiting[path] = True

    def _on_open(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(self.window, "Open experiment",
                                                str(self.path or Path.home()), FILE_FILTER)
        if chosen:
            self.open(chosen)

    def open(self, path, remember: bool = True) -> bool:
        """Open the experiment in ``path``; a bad file shows why and changes nothing."""
        try:
            experiment = load_experiment(path)
        except ConfigError as error:
            self.window.show_error(f"Cannot open {path}: {error.allowed}")
            return False
        self.window.open_experiment(experiment, str(path))
        self.path = Path(path) if remember else None
        self._saved_state = (experiment.step, experiment.config)
        if remember:
            self._remember(Path(path))
        return True

    def copy_config(self) -> None:
        QGuiApplication.clipboard().setText(dump_config(self.window.config.resolved()))
        self.window.statusBar().showMessage("Config copied as TOML", 3000)

    # ----------------------------------------------------------------- autosave and recovery

    def _state(self):
        snapshot = self.window.snapshot
        return (snapshot.step if snapshot is not None else 0, self.window.config)

    def unsaved(self) -> bool:
        """Whether the run has trained or changed since it was last saved or opened."""
        step, config = self._state()
        return step > 0 and (step, config) != self._saved_state

    def _autosave(self) -> None:
        state = self._state()
        if state[0] > 0 and state != self._autosaved_state and self.window.snapshot is not None:
            self._autosaved_state = state
            self.window.client.save(str(self.autosave_path), "autosave")

    def offer_restore(self) -> bool:
        """After a crash: offer the newest orphaned autosave; True if it was opened.

        A restored autosave is kept as ``recovered-<time>.advplay`` (the newest few), the
        file the worker reads from; the others are deleted.
        """
        orphans = orphaned_autosaves(self.autosave_path.parent)
        if not orphans:
            return False
        opened = False
        if self.ask_restore(orphans[0]):
            kept = orphans[0].with_name(f"recovered-{time.strftime('%Y%m%d-%H%M%S')}{SUFFIX}")
            orphans[0].replace(kept)
            opened = self.open(kept, remember=False)
            _prune(kept.parent.glob(f"recovered-*{SUFFIX}"), keep=3)
        for path in orphans:
            path.unlink(missing_ok=True)
        return opened

    def close_interrupted(self) -> None:
        """Close the window for Ctrl+C or SIGTERM: no question (nobody may be there to answer
        it), and the last autosave stays, so the next launch offers the run back as after a
        crash; the worker still ends as on any close."""
        self._interrupted = True
        self.window.close()

    def confirm_close(self) -> bool:
        """Before quitting: ask to save unsaved work; False if the user cancels."""
        if self._interrupted:
            self._timer.stop()
            return True
        if self.unsaved():
            answer = self.ask("Save before quitting?",
                              f"The run at step {self._state()[0]} has not been saved.")
            if answer == "cancel" or (answer == "save" and not self.save(self.path, wait=True)):
                return False
        self._timer.stop()
        self.autosave_path.unlink(missing_ok=True)
        return True

    def _ask_save(self, title: str, text: str) -> str:
        buttons = (QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                   | QMessageBox.StandardButton.Cancel)
        answer = QMessageBox.question(self.window, title, text, buttons)
        return {QMessageBox.StandardButton.Save: "save",
                QMessageBox.StandardButton.Discard: "discard"}.get(answer, "cancel")

    def _ask_restore(self, path: Path) -> bool:
        answer = QMessageBox.question(
            self.window, "Restore the last session?",
            "advplay did not quit cleanly last time. Restore the run it saved automatically "
            f"({time.ctime(path.stat().st_mtime)})?")
        return answer == QMessageBox.StandardButton.Yes

