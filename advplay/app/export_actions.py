"""File > Export animation (Ctrl+E) and Export image (Ctrl+Shift+E) for the main window.

Animations are made from the window's snapshot history (the whole run, or the range marked
on the timeline) by :class:`~advplay.app.export_dialog.ExportDialog`; images are the data view
as it looks now (both data views while comparing), as a PNG at twice its size or an SVG.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from advplay.app.actions import make_action
from advplay.app.export_dialog import ExportDialog, export_image
from advplay.export.files import ExportError
from advplay.export.frames import ViewState


class ExportActions(QObject):
    """The export actions of ``window`` (a MainWindow with ``history`` and ``timeline``)."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.dialog: ExportDialog | None = None
        self.action_export = make_action(window, "&Export animation…", "Ctrl+E",
                                         name="actionExport",
                                         tip="Write the run as a GIF, MP4, WebP or PNG frames")
        self.action_export_image = make_action(window, "Export &image…", "Ctrl+Shift+E",
                                               name="actionExportImage",
                                               tip="The data view as a PNG (2× size) or an SVG")
        self.action_export.triggered.connect(self.export_animation)
        self.action_export_image.triggered.connect(self._on_export_image)

    def add_to_menu(self, menu) -> None:
        for action in (self.action_export, self.action_export_image):
            menu.addAction(action)
            self.window.addAction(action)

    def _name(self, suffix: str) -> str:
        config = self.window.config
        what = "compare" if self.window.compare.active else config.model.name
        return str(Path.home() / f"{config.target.name}-{what}{suffix}")

    def export_animation(self) -> ExportDialog | None:
        """Open the export dialog on the kept frames; None (and a message) if there are none.

        While comparing, the frames are both runs' paired by step, shown side by side.
        """
        window, compare = self.window, self.window.compare
        frames = compare.frames() if compare.active else window.history
        if len(frames) < 2:
            window.show_error("Nothing to export yet: train a little first (the animation is "
                              "made of the frames the timeline keeps).")
            return None
        state = ViewState.from_views(window.data_view, window.curves_view,
                                     window.target_log_density)
        if compare.active:
            state = dataclasses.replace(state, titles=compare.titles)
        last = len(frames) - 1  # pairs are a prefix of the window's history
        self.dialog = ExportDialog(frames, min(window.timeline.slider.value(), last), window,
                                   view_state=state, path=self._name(".gif"))
        if compare.active:
            compare.offer_layout(self.dialog)
        marked = window.timeline.range_indices()
        if marked is not None:
            self.dialog.set_range(*(min(index, last) for index in marked))
        self.dialog.exported.connect(
            lambda path: window.statusBar().showMessage(f"Exported {path}", 8000))
        self.dialog.failed.connect(window.show_error)
        self.dialog.open()
        return self.dialog

    def _on_export_image(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Export image", self._name(".png"),
                                              "PNG image (*.png);;SVG drawing (*.svg)")
        if path:
            self.export_image(path)

    def export_image(self, path) -> Path | None:
        try:
            compare = self.window.compare
            view = compare.image_widget() if compare.active else self.window.data_view
            written = export_image(view, path, scale=2)
        except ExportError as error:
            self.window.show_error(str(error))
            return None
        self.window.statusBar().showMessage(f"Exported {written}", 8000)
        return written
