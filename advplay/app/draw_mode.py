"""Draw mode: the drawing canvas in place of the data view, and the target files menu.

A drawing is a target like any other: once it holds some density it becomes the config's
``drawn`` target; edits while training reach the worker as arrays and training goes on toward
the new shape. Images and point files are imported into the drawing; drawings are saved and
opened as ``.npz`` (see :mod:`advplay.core.drawn`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, wait

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QFileDialog, QVBoxLayout, QWidget

from advplay.app.actions import make_action
from advplay.app.draw_canvas import DrawCanvas
from advplay.app.draw_tools import DrawTools
from advplay.core.config import config_from_dict
from advplay.core.drawing import Drawing
from advplay.core.drawn import load_drawing
from advplay.core.errors import ConfigError
from advplay.core.imports import image_density, points_density, read_points

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg)"
POINTS_FILTER = "Points (*.csv *.npy)"
DRAWING_FILTER = "advplay drawings (*.npz)"
#: what the banner says when training is asked of an empty drawing
EMPTY_DRAWING = ("The drawing is empty: paint some density (or import an image or points) "
                 "before training.")


def with_reference_drawing(window, config, key: str, value):
    """``config`` ready for the edit ``key = value``: choosing ``model.reference = drawn`` asks
    for the drawing file that is q and sets ``model.reference_path``; None if the user cancels
    or the file is bad (reported in the window's error banner). Other edits: ``config``."""
    if key != "model.reference" or value != "drawn":
        return config
    path, _ = QFileDialog.getOpenFileName(window, "Reference drawing q", "", DRAWING_FILTER)
    if not path:
        return None
    try:
        load_drawing(path)
    except ConfigError as error:
        window.show_error(f"Cannot use {path} as the reference q: {error.allowed}")
        return None
    return config.replace({"model.reference_path": path})


class DrawMode(QObject):
    """Owns the drawing, its canvas and tools, and the actions that reach them."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.canvas = DrawCanvas(Drawing())
        self.tools = DrawTools(self.canvas)
        self.page = QWidget()
        column = QVBoxLayout(self.page)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.tools)
        column.addWidget(self.canvas, 1)
        self.canvas.drawing_changed.connect(self._on_drawing_changed)
        self._loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="advplay-import")
        self._pending_import = None
        self._import_timer = QTimer(self)
        self._import_timer.setInterval(30)
        self._import_timer.timeout.connect(self._on_import_poll)
        self._build_actions()

    def _build_actions(self) -> None:
        window = self.window
        self.action_draw = self._action("&Draw target", "D", "actionDraw", checkable=True,
                                        tip="Paint the target density with the mouse (D)")
        self.action_draw.toggled.connect(self.set_active)
        self.action_import_image = self._action("Import &image…", "Ctrl+I", "actionImportImage",
                                                tip="A PNG or JPEG's brightness as the density")
        self.action_import_image.triggered.connect(lambda: self._ask_open(
            "Import image", IMAGE_FILTER, self.import_image))
        self.action_invert = self._action("In&vert imported images", "", "actionInvertImage",
                                          checkable=True,
                                          tip="Dark pixels are dense (for dark shapes on white)")
        self.action_import_points = self._action("Import &points…", "Ctrl+Shift+I",
                                                 "actionImportPoints",
                                                 tip="A CSV or .npy of x, y[, class] rows")
        self.action_import_points.triggered.connect(lambda: self._ask_open(
            "Import points", POINTS_FILTER, self.import_points))
        self.action_open = self._action("&Open target…", "Ctrl+Alt+O",
                                        "actionOpenTarget", tip="Open a saved drawing (.npz)")
        self.action_open.triggered.connect(lambda: self._ask_open(
            "Open target", DRAWING_FILTER, self.open_target))
        self.action_save = self._action("&Save target…", "Ctrl+Alt+S", "actionSaveTarget",
                                        tip="Save the drawing (.npz) for later or the CLI")
        self.action_save.triggered.connect(self._ask_save)
        self.action_undo = self._action("&Undo stroke", QKeySequence.StandardKey.Undo,
                                        "actionUndo", tip="Undo the last stroke")
        self.action_undo.triggered.connect(self.canvas.undo)
        self.action_redo = self._action("&Redo stroke", "Ctrl+Shift+Z", "actionRedo",
                                        tip="Redo the stroke undone last")
        self.action_redo.triggered.connect(self.canvas.redo)
        for action in (self.action_undo, self.action_redo):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        window.addActions([self.action_draw, self.action_undo, self.action_redo])

    def _action(self, text, shortcut, name, checkable=False, tip="") -> QAction:
        return make_action(self.window, text, shortcut, name=name, tip=tip, checkable=checkable)

    def file_actions(self) -> list[QAction]:
        return [self.action_open, self.action_save, self.action_import_image,
                self.action_invert, self.action_import_points]

    # ----------------------------------------------------------------- mode

    @property
    def drawing(self) -> Drawing:
        return self.canvas.drawing

    def set_active(self, active: bool) -> None:
        """Show the canvas (and keep the action's check mark in step)."""
        if self.action_draw.isChecked() != active:
            self.action_draw.setChecked(active)  # re-enters through toggled
            return
        self.window.show_draw_page(active)

    def arrays(self):
        """(density, bounds) of the drawing, the form in which it crosses to the worker."""
        return self.drawing.density.copy(), self.drawing.bounds

    def nothing_to_train_on(self) -> bool:
        """The drawn target is chosen and empty (the banner then says so): Play and Step
        refuse. "drawn" chosen in the combo with nothing painted yet leaves the last target in
        the config, and training on with it drew a ring on an empty canvas."""
        window = self.window
        chosen = (window.config.target.name, window.controls.target_combo.currentText())
        if "drawn" not in chosen or not self.drawing.is_empty():
            return False
        window.show_error(EMPTY_DRAWING)
        return True

    def _on_drawing_changed(self) -> None:
        window = self.window
        if self.drawing.is_empty():
            if window.config.target.name == "drawn":
                window.show_error(EMPTY_DRAWING)
            return
        if window.config.target.name != "drawn":
            data = window.config.to_dict()
            data["target"] = {"name": "drawn"}
            window.use_target(config_from_dict(data, check_target=False), self.arrays())
        else:
            window.update_drawing(*self.arrays())

    # ----------------------------------------------------------------- files

    def _ask_open(self, title: str, filters: str, handler) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, title, "", filters)
        if path:
            handler(path)

    def _ask_save(self) -> None:
        if self.drawing.is_empty():
            self.window.show_error("Nothing to save: the drawing is empty.")
            return
        path, _ = QFileDialog.getSaveFileName(self.window, "Save target", "target.npz",
                                              DRAWING_FILTER)
        if path:
            self.save_target(path if path.endswith(".npz") else path + ".npz")

    def save_target(self, path: str) -> None:
        try:
            self.drawing.save(path)
        except (OSError, ConfigError) as error:
            self.window.show_error(f"Could not save {path}: {error}")
            return
        self.window.statusBar().showMessage(f"Saved the drawing to {path}", 5000)

    def open_target(self, path: str) -> None:
        try:
            loaded = Drawing.load(path)
        except ConfigError as error:
            self.window.show_error(str(error))
            return
        self._replace(loaded.density, loaded.bounds)

    def import_points(self, path: str) -> None:
        try:
            points, labels = read_points(path)
            density, bounds, bandwidth = points_density(points, labels)
        except ConfigError as error:
            self.window.show_error(str(error))
            return
        self._replace(density, bounds)
        self.window.statusBar().showMessage(
            f"{len(points)} points smoothed with a Gaussian of bandwidth {bandwidth:.3g}", 8000)

    def import_image(self, path: str) -> None:
        """Decode in a background thread (a huge image must not freeze the window)."""
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        self.window.statusBar().showMessage(f"Importing {path}…")
        invert = self.action_invert.isChecked()
        self._pending_import = (path, self._loader.submit(image_density, path, invert))
        self._import_timer.start()

    def wait_for_import(self, timeout: float = 30.0) -> None:
        """Finish a pending image import now (scripts and tests)."""
        if self._pending_import is not None:
            wait([self._pending_import[1]], timeout)
            self._on_import_poll()

    def _on_import_poll(self) -> None:
        path, future = self._pending_import
        if not future.done():
            return
        self._import_timer.stop()
        self._pending_import = None
        QApplication.restoreOverrideCursor()
        self.window.statusBar().clearMessage()
        try:
            density = future.result()
        except ConfigError as error:
            self.window.show_error(str(error))
            return
        self._replace(density, self.drawing.bounds)

    def _replace(self, density, bounds) -> None:
        try:
            self.drawing.set_density(density, bounds)
        except (ConfigError, ValueError) as error:
            self.window.show_error(f"Not a usable target: {error}")
            return
        self.set_active(True)
        self.canvas.set_drawing(self.drawing)  # redraws and announces the change

    def shutdown(self) -> None:
        self._loader.shutdown(wait=False, cancel_futures=True)
