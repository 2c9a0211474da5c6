"""The export dialog (options, progress, Cancel) and pictures of a view."""

from xml.etree import ElementTree

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from advplay.app.data_view import DataView
from advplay.app.export_dialog import ExportDialog, export_image
from advplay.core.config import config_from_dict
from advplay.core.history import SnapshotHistory
from advplay.core.session import Session
from advplay.export import ExportPathError


@pytest.fixture(scope="module")
def history():
    """A history of six snapshots of a small run, steps 0 to 50."""
    session = Session(config_from_dict({
        "target": {"name": "ring8"}, "model": {"width": 32, "depth": 2},
        "train": {"batch_size": 64, "metrics_every": 1000}}), surface_resolution=32)
    frames = SnapshotHistory()
    for _ in range(6):
        frames.append(session.snapshot())
        session.step(10)
    return frames


def small_dialog(qtbot, history, path, **options) -> ExportDialog:
    dialog = ExportDialog(history, path=str(path), **options)
    qtbot.addWidget(dialog)
    dialog.size_combo.setCurrentIndex(dialog.size_combo.findData("Custom"))
    dialog.width_spin.setValue(160)
    dialog.height_spin.setValue(120)
    return dialog


def test_dialog_exports_a_gif(qtbot, history, tmp_path):
    dialog = small_dialog(qtbot, history, tmp_path / "run.gif")
    dialog.title_edit.setText("A ring")
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("light"))
    with qtbot.waitSignal(dialog.exported, timeout=30000) as signal:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert signal.args == [str(tmp_path / "run.gif")]
    with Image.open(tmp_path / "run.gif") as image:
        assert image.n_frames == 6 and image.size == (160, 120)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.gif"]
    assert dialog.result() == ExportDialog.DialogCode.Accepted and not dialog.exporting


def test_cancel_leaves_nothing(qtbot, history, tmp_path):
    dialog = small_dialog(qtbot, history, tmp_path / "run.mp4")
    assert dialog.start_export()
    qtbot.waitUntil(lambda: dialog.job is not None and dialog.job.done >= 2, timeout=30000)
    with qtbot.waitSignal(dialog.cancelled, timeout=10000):
        dialog.progress.cancel()
    assert list(tmp_path.iterdir()) == []
    assert not dialog.exporting and "cancelled" in dialog.error_label.text()
    assert dialog.export_button.isEnabled()  # and one can try again


def test_closing_the_dialog_cancels_the_export(qtbot, history, tmp_path):
    dialog = small_dialog(qtbot, history, tmp_path / "run.gif")
    assert dialog.start_export()
    with qtbot.waitSignal(dialog.cancelled, timeout=10000):
        dialog.reject()
    assert list(tmp_path.iterdir()) == []


def test_range_from_the_timeline(qtbot, history, tmp_path):
    dialog = small_dialog(qtbot, history, tmp_path / "part.gif", current_index=3)
    options = dialog.options()
    assert dialog.range_radio.isChecked() and (options.first, options.last) == (0, 3)
    assert "4 frames, steps 0 to 30" in dialog.range_label.text()
    dialog.set_range(1, 4)
    assert "4 frames, steps 10 to 40" in dialog.range_label.text()
    with qtbot.waitSignal(dialog.exported, timeout=30000):
        dialog.start_export()
    with Image.open(tmp_path / "part.gif") as image:
        assert image.n_frames == 4


def test_format_follows_the_file_name_and_back(qtbot, history, tmp_path):
    dialog = small_dialog(qtbot, history, tmp_path / "run.gif")
    dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("mp4"))
    assert dialog.path_edit.text() == str(tmp_path / "run.mp4")
    dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("png"))
    assert dialog.path_edit.text() == str(tmp_path / "run")
    dialog.path_edit.setText(str(tmp_path / "clip.webp"))
    dialog.path_edit.textEdited.emit(dialog.path_edit.text())
    assert dialog.format_combo.currentData() == "webp"
    assert dialog.options().size == (160, 120)
    dialog.size_combo.setCurrentIndex(dialog.size_combo.findData("1920\u00d71080"))
    assert dialog.options().size == (1920, 1080) and not dialog.width_spin.isEnabled()


def test_bad_options_show_a_message_and_write_nothing(qtbot, history, tmp_path):
    dialog = small_dialog(qtbot, history, tmp_path / "run.mp4")
    dialog.width_spin.setValue(161)
    with qtbot.waitSignal(dialog.failed) as signal:
        assert not dialog.start_export()
    assert "even width and height" in signal.args[0]
    assert "even" in dialog.error_label.text() and dialog.progress is None
    assert list(tmp_path.iterdir()) == []


def test_export_image_png_at_twice_the_size_and_svg(qtbot, history, tmp_path):
    view = DataView()
    qtbot.addWidget(view)
    view.resize(300, 200)
    view.show_snapshot(history[-1])
    png = export_image(view, tmp_path / "view.png")
    with Image.open(png) as image:
        assert image.size == (600, 400)
        pixels = np.asarray(image.convert("RGB"))
    assert pixels.std() > 10  # a picture, not a blank
    svg = ElementTree.parse(export_image(view, tmp_path / "view.svg")).getroot()
    tags = [element.tag.rsplit("}", 1)[-1] for element in svg.iter()]
    assert tags[0] == "svg" and "image" in tags  # the surface, embedded
    assert tags.count("text") > 10  # tick labels as text, not a picture of the axes
    assert tags.count("circle") >= 1000  # the generated samples as vector dots
    with pytest.raises(ExportPathError, match=".png or .svg"):
        export_image(view, tmp_path / "view.jpg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["view.png", "view.svg"]
