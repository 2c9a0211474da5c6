"""Export an animation of the run (GIF, MP4, WebP, PNG frames) or a picture of one view.

:class:`ExportDialog` collects the options and then renders in the GUI thread one frame per
timer tick (Qt widgets can only be drawn there), behind a progress dialog whose Cancel
button stops the export and leaves no file behind. :func:`export_image` saves a view as a
PNG at twice its size (for high-DPI screens and slides) or as an SVG.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Callable, Sequence

from PySide6.QtCore import QBuffer, QIODevice, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QDialog, QDialogButtonBox,
                               QDoubleSpinBox, QFileDialog, QFormLayout, QGraphicsItem,
                               QGraphicsView, QHBoxLayout, QLabel, QLineEdit, QProgressDialog,
                               QPushButton, QRadioButton, QSlider, QSpinBox, QVBoxLayout, QWidget)

from advplay.export.animation import (PANEL_LABELS, SIZE_PRESETS, THEMES, AnimationExport,
                                      ExportOptions)
from advplay.export.files import (FORMATS, ExportError, ExportPathError, atomic_path,
                                  format_for_path)

#: the suffix a format's files get ("" for the folder of a PNG sequence)
FORMAT_SUFFIXES = {"gif": ".gif", "mp4": ".mp4", "webp": ".webp", "png": ""}
CUSTOM_SIZE = "Custom"


class ExportDialog(QDialog):
    """Options for an animation of ``history`` and the export itself.

    Parameters
    ----------
    history : the snapshots (e.g. the window's SnapshotHistory); the dialog keeps the list
        as it is when opened, so training that goes on meanwhile changes nothing
    current_index : the frame the timeline shows; the range defaults to 0..current_index
    parent : the window
    view_state : :class:`~advplay.export.frames.ViewState` of the window's views, so frames
        look like the window (layers shown, surface kind, log scale)
    latent_factory : makes the latent view for the "data + latent" layout
    path : the file name proposed

    Signals: ``exported(path)`` when a file is written, ``failed(message)``, ``cancelled()``.
    """

    exported = Signal(str)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, history: Sequence, current_index: int | None = None, parent=None,
                 view_state=None, latent_factory: Callable | None = None,
                 path: str = "advplay-run.gif"):
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle("Export animation")
        self.snapshots = list(history)
        self.view_state, self.latent_factory = view_state, latent_factory
        self.job: AnimationExport | None = None
        self.progress: QProgressDialog | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._advance)
        last = len(self.snapshots) - 1 if current_index is None else current_index
        form = QFormLayout()
        form.addRow("File", self._build_path(path))
        form.addRow("Format", self._build_format())
        form.addRow("Size", self._build_size())
        form.addRow("Frames per second", self._build_fps())
        form.addRow("Frames", self._build_range(max(0, last)))
        form.addRow("Panels", self._build_panels())
        form.addRow("Theme", self._build_theme())
        form.addRow("Title", self._build_title())
        self._build_buttons(form)

    # ------------------------------------------------------------------ building

    def _build_path(self, path: str) -> QWidget:
        self.path_edit = QLineEdit(path)
        self.path_edit.setObjectName("exportPathEdit")
        self.path_edit.textEdited.connect(self._on_path_edited)
        browse = QPushButton("Browse\u2026")
        browse.clicked.connect(self._on_browse)
        return _row(self.path_edit, browse)

    def _build_format(self) -> QComboBox:
        self.format_combo = _combo("exportFormatCombo", FORMATS)
        self.format_combo.setCurrentIndex(list(FORMATS).index(self._path_format() or "gif"))
        self.format_combo.currentIndexChanged.connect(self._on_format_changed)
        return self.format_combo

    def _build_size(self) -> QWidget:
        self.size_combo = _combo("exportSizeCombo", {name: name for name in SIZE_PRESETS})
        self.size_combo.addItem(CUSTOM_SIZE, CUSTOM_SIZE)
        self.width_spin, self.height_spin = QSpinBox(), QSpinBox()
        for spin, value in ((self.width_spin, 1280), (self.height_spin, 720)):
            spin.setRange(16, 8192)
            spin.setSingleStep(2)  # MP4 needs even sizes
            spin.setValue(value)
            spin.setEnabled(False)
        self.size_combo.currentIndexChanged.connect(self._on_size_changed)
        return _row(self.size_combo, self.width_spin, QLabel("\u00d7"), self.height_spin)

    def _build_fps(self) -> QDoubleSpinBox:
        self.fps_spin = QDoubleSpinBox()
        self.fps_spin.setObjectName("exportFpsSpin")
        self.fps_spin.setRange(1.0, 60.0)
        self.fps_spin.setDecimals(1)
        self.fps_spin.setValue(15.0)
        return self.fps_spin

    def _build_range(self, last: int) -> QWidget:
        self.whole_radio = QRadioButton("Whole run")
        self.range_radio = QRadioButton("Range")
        group = QButtonGroup(self)
        for button in (self.whole_radio, self.range_radio):
            group.addButton(button)
        self.whole_radio.setChecked(last >= len(self.snapshots) - 1)
        self.range_radio.setChecked(not self.whole_radio.isChecked())
        self.first_slider, self.last_slider = QSlider(Qt.Orientation.Horizontal), \
            QSlider(Qt.Orientation.Horizontal)
        for slider, value in ((self.first_slider, 0), (self.last_slider, last)):
            slider.setRange(0, max(0, len(self.snapshots) - 1))
            slider.setValue(value)
            slider.valueChanged.connect(self._update_range_label)
        self.range_label = QLabel()
        self.max_frames_spin = QSpinBox()
        self.max_frames_spin.setRange(0, 100000)
        self.max_frames_spin.setSpecialValueText("all")
        self.max_frames_spin.setPrefix("at most ")
        self.max_frames_spin.setToolTip("Fewer frames are picked evenly from the range")
        self.range_radio.toggled.connect(self._update_range_label)
        column = QWidget()
        layout = QVBoxLayout(column)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(_row(self.whole_radio, self.range_radio, self.max_frames_spin))
        layout.addWidget(_row(self.first_slider, self.last_slider))
        layout.addWidget(self.range_label)
        self._update_range_label()
        return column

    def _build_panels(self) -> QComboBox:
        self.panels_combo = _combo("exportPanelsCombo", PANEL_LABELS)
        return self.panels_combo

    def _build_theme(self) -> QComboBox:
        self.theme_combo = _combo("exportThemeCombo",
                                  {theme: f"{theme.title()}{' (slides)' if theme == 'light' else ''}"
                                   for theme in THEMES})
        return self.theme_combo

    def _build_title(self) -> QWidget:
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText("none")
        self.step_check = QCheckBox("Step counter")
        self.step_check.setChecked(True)
        return _row(self.title_edit, self.step_check)

    def _build_buttons(self, form: QFormLayout) -> None:
        self.error_label = QLabel()
        self.error_label.setObjectName("exportErrorLabel")
        self.error_label.setStyleSheet("color: #d33;")
        self.error_label.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setObjectName("exportButton")
        buttons.accepted.connect(self.start_export)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)

    # ------------------------------------------------------------------ options

    def set_range(self, first: int, last: int) -> None:
        """Export frames ``first``..``last`` (indices into the history), e.g. a selection
        made on the timeline."""
        self.range_radio.setChecked(True)
        self.first_slider.setValue(first)
        self.last_slider.setValue(last)

    def options(self) -> ExportOptions:
        """The options as the controls set them."""
        whole = self.whole_radio.isChecked()
        first, last = sorted((self.first_slider.value(), self.last_slider.value()))
        return ExportOptions(
            size=self._size(), fps=self.fps_spin.value(),
            panels=self.panels_combo.currentData(), theme=self.theme_combo.currentData(),
            title=self.title_edit.text().strip(), step_counter=self.step_check.isChecked(),
            first=0 if whole else first, last=None if whole else last,
            frames=self.max_frames_spin.value() or None, format=self.format_combo.currentData())

    def _size(self) -> tuple[int, int]:
        name = self.size_combo.currentData()
        if name == CUSTOM_SIZE:
            return self.width_spin.value(), self.height_spin.value()
        return SIZE_PRESETS[name]

    def _path_format(self) -> str | None:
        try:
            return format_for_path(self.path_edit.text())
        except ExportError:
            return None

    def _on_path_edited(self) -> None:
        format = self._path_format()
        if format is not None and format != self.format_combo.currentData():
            self.format_combo.blockSignals(True)
            self.format_combo.setCurrentIndex(list(FORMATS).index(format))
            self.format_combo.blockSignals(False)

    def _on_format_changed(self) -> None:
        path = Path(self.path_edit.text() or "advplay-run")
        suffix = FORMAT_SUFFIXES[self.format_combo.currentData()]
        stem = path.with_suffix("") if path.suffix.lower() in (".gif", ".mp4", ".webp") else path
        self.path_edit.setText(str(stem) + suffix)

    def _on_size_changed(self) -> None:
        custom = self.size_combo.currentData() == CUSTOM_SIZE
        for spin in (self.width_spin, self.height_spin):
            spin.setEnabled(custom)

    def _on_browse(self) -> None:
        format = self.format_combo.currentData()
        if format == "png":
            path = QFileDialog.getExistingDirectory(self, "Folder for the PNG frames")
        else:
            suffix = FORMAT_SUFFIXES[format]
            path, _ = QFileDialog.getSaveFileName(self, "Export animation", self.path_edit.text(),
                                                  f"{FORMATS[format]} (*{suffix})")
        if path:
            self.path_edit.setText(path)
            self._on_path_edited()

    def _update_range_label(self) -> None:
        if not self.snapshots:
            self.range_label.setText("No frames recorded yet")
            return
        whole = self.whole_radio.isChecked()
        for slider in (self.first_slider, self.last_slider):
            slider.setEnabled(not whole)
        first, last = (0, len(self.snapshots) - 1) if whole else sorted(
            (self.first_slider.value(), self.last_slider.value()))
        steps = self.snapshots[first].step, self.snapshots[last].step
        self.range_label.setText(f"{last - first + 1} frames, steps {steps[0]:,} to {steps[1]:,}")

    # ------------------------------------------------------------------ exporting

    def start_export(self) -> bool:
        """Check the options and start exporting; False (and a message) if they cannot work."""
        self.error_label.clear()
        try:
            self.job = AnimationExport(self.snapshots, self.path_edit.text(), self.options(),
                                       self.view_state, self.latent_factory)
        except ExportError as error:
            self._fail(str(error))
            return False
        self.export_button.setEnabled(False)
        self.progress = QProgressDialog(f"Exporting {Path(self.path_edit.text()).name}\u2026",
                                        "Cancel", 0, self.job.total, self)
        self.progress.setObjectName("exportProgress")
        self.progress.setWindowModality(Qt.WindowModality.WindowModal)
        self.progress.setMinimumDuration(0)
        self.progress.setAutoClose(False)
        self.progress.setValue(0)
        self._timer.start()
        return True

    @property
    def exporting(self) -> bool:
        """Whether an export is under way."""
        return self.job is not None and not self.job.finished

    def _advance(self) -> None:
        """One frame per timer tick, so the window stays responsive and Cancel is heard."""
        if self.progress.wasCanceled():
            self.cancel_export()
            return
        try:
            done = self.job.advance()
        except ExportError as error:
            self._finish()
            self._fail(str(error))
            return
        self.progress.setValue(self.job.done)
        if done:
            path = str(self.job.path)
            self._finish()
            self.exported.emit(path)
            self.accept()

    def cancel_export(self) -> None:
        """Stop the export under way; nothing is left on disk."""
        if self.job is None:
            return
        self.job.cancel()
        self._finish()
        self.error_label.setText("Export cancelled; nothing was written.")
        self.cancelled.emit()

    def _finish(self) -> None:
        self._timer.stop()
        self.job = None
        self.export_button.setEnabled(True)
        if self.progress is not None:
            self.progress.close()
            self.progress.deleteLater()
            self.progress = None

    def _fail(self, message: str) -> None:
        self.error_label.setText(message)
        self.failed.emit(message)

    def reject(self) -> None:
        """Closing the dialog cancels an export under way."""
        if self.job is not None:
            self.cancel_export()
        super().reject()


def export_image(view: QWidget, path, scale: float = 2.0) -> Path:
    """Save ``view`` as it looks now: a PNG at ``scale`` times its size, or an SVG. Written
    atomically; ExportError with a message if it cannot be."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise ExportPathError(f"cannot save a picture as {path.name}: use .png or .svg")
    with atomic_path(path) as temporary:
        if suffix == ".svg":
            temporary.write_bytes(_svg_bytes(view))
        elif not _render_at(view, scale).save(str(temporary), "PNG"):
            raise ExportError(f"cannot write {path}: the PNG encoder failed")
    return path


def _render_at(view: QWidget, scale: float) -> QImage:
    """``view`` painted at ``scale`` device pixels per logical pixel."""
    image = QImage(round(view.width() * scale), round(view.height() * scale),
                   QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(scale)
    image.fill(Qt.GlobalColor.transparent)
    QWidget.render(view, image)  # the widget's paint (pyqtgraph views override render)
    return image


def _svg_bytes(view: QWidget) -> bytes:
    """``view`` painted into Qt's SVG generator: lines, points and text as vectors, the
    surface as an embedded image. (pyqtgraph 0.14's SVGExporter fails on the closed paths
    Qt 6.11 writes, pyqtgraph issue #3495.)"""
    from PySide6.QtSvg import QSvgGenerator

    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(view.size())
    generator.setViewBox(QRect(0, 0, view.width(), view.height()))
    generator.setTitle(view.objectName() or "advplay")
    with _uncached(view):
        QWidget.render(view, generator)
    buffer.close()
    return bytes(buffer.data())


@contextlib.contextmanager
def _uncached(view: QWidget):
    """Items painted from pixmap caches (the live views cache their axes) paint directly
    meanwhile, so an SVG gets their lines and text, not a picture of them."""
    views = [view, *view.findChildren(QGraphicsView)] if isinstance(view, QGraphicsView) \
        else view.findChildren(QGraphicsView)
    cached = [(item, item.cacheMode()) for v in views for item in v.scene().items()
              if item.cacheMode() != QGraphicsItem.CacheMode.NoCache]
    for item, _ in cached:
        item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
    try:
        yield
    finally:
        for item, mode in cached:
            item.setCacheMode(mode)


def _combo(name: str, items: dict) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    for key, label in items.items():
        combo.addItem(label, key)
    return combo


def _row(*widgets: QWidget) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget)
    return row
