"""App tests: a private data folder, and no modal question left waiting for a user."""

import os

import pytest

from advplay.app.experiment_files import ExperimentFiles


@pytest.fixture(autouse=True)
def private_data_folder(tmp_path_factory):
    """Autosaves, recent files and settings go to a temporary folder, never the user's, and
    each test gets its own: a View menu choice one test makes is not the next one's start."""
    folder = tmp_path_factory.mktemp("advplay-data")
    previous = os.environ.get("ADVPLAY_DATA_DIR")
    os.environ["ADVPLAY_DATA_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("ADVPLAY_DATA_DIR", None)
    else:
        os.environ["ADVPLAY_DATA_DIR"] = previous


@pytest.fixture(autouse=True)
def no_questions(monkeypatch):
    """Closing a window with unsaved training discards it; no restore is offered."""
    monkeypatch.setattr(ExperimentFiles, "_ask_save", lambda self, title, text: "discard")
    monkeypatch.setattr(ExperimentFiles, "_ask_restore", lambda self, path: False)
