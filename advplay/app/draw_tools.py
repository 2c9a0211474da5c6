"""The drawing tool strip: tools, brush, classes, undo/redo/clear, with shortcuts."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

from advplay.app.draw_canvas import CLASS_COLORS, DrawCanvas
from advplay.core.drawn import MAX_CLASSES


class DrawTools(QtWidgets.QWidget):
    """Buttons and shortcuts that drive a :class:`DrawCanvas`.

    Tools (B, E, P), brush radius (``[`` smaller, ``]`` larger) and strength, eight class
    colours (keys 1 to 8), Undo, Redo and Clear. The shortcuts work while this strip or the
    canvas has focus; Ctrl+Z and Ctrl+Shift+Z are left to the main window.

    Attributes
    ----------
    tool_buttons : dict of str to QtWidgets.QToolButton
    class_buttons : list of QtWidgets.QToolButton
        Object names ``classButton0`` to ``classButton7``.
    radius_spin, strength_spin : QtWidgets.QDoubleSpinBox
    undo_button, redo_button, clear_button : QtWidgets.QToolButton
    """

    #: tool name -> (label, shortcut key, tooltip)
    TOOL_LABELS = {"brush": ("Brush", "B",
                             "Paint density of the chosen class (B); right drag erases"),
                   "eraser": ("Eraser", "E", "Erase density of every class (E)"),
                   "points": ("Points", "P", "Add one small blob per click (P)")}
    #: radius change per [ or ] press
    RADIUS_STEP = 1.25

    def __init__(self, canvas: DrawCanvas, parent=None):
        super().__init__(parent)
        self.setObjectName("drawTools")
        self.canvas = canvas
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._build_tool_row())
        layout.addLayout(self._build_class_row())
        self._add_shortcuts()
        canvas.tool_changed.connect(self._show_tool)
        canvas.class_changed.connect(self._show_class)
        canvas.brush_changed.connect(self._show_brush)
        canvas.drawing_changed.connect(self._show_history)
        self._show_tool(canvas.tool)
        self._show_class(canvas.label)
        self._show_brush(*canvas.brush)
        self._show_history()

    def _build_tool_row(self) -> QtWidgets.QHBoxLayout:
        row = QtWidgets.QHBoxLayout()
        group = QtWidgets.QButtonGroup(self)
        self.tool_buttons = {}
        for tool, (text, key, tip) in self.TOOL_LABELS.items():
            button = _tool_button(text, tip, checkable=True)
            button.setObjectName(f"{tool}ToolButton")
            button.clicked.connect(lambda _=False, name=tool: self.canvas.set_tool(name))
            group.addButton(button)
            row.addWidget(button)
            self.tool_buttons[tool] = button
        self.radius_spin = _spin_box(0.02, 2.0, 0.05, "Brush radius in data units ([ and ])")
        self.strength_spin = _spin_box(0.05, 1.0, 0.05, "Brush strength: ink per stamp, "
                                                        "or the fraction the eraser removes")
        for label, spin in (("Radius", self.radius_spin), ("Strength", self.strength_spin)):
            row.addWidget(QtWidgets.QLabel(label))
            row.addWidget(spin)
            spin.valueChanged.connect(self._brush_edited)
        row.addStretch(1)
        return row

    def _build_class_row(self) -> QtWidgets.QHBoxLayout:
        row = QtWidgets.QHBoxLayout()
        group = QtWidgets.QButtonGroup(self)
        self.class_buttons = []
        for label, color in enumerate(CLASS_COLORS):
            button = _tool_button(str(label + 1), f"Class {label} (key {label + 1})",
                                  checkable=True)
            button.setObjectName(f"classButton{label}")
            pixmap = QtGui.QPixmap(14, 14)
            pixmap.fill(QtGui.QColor(*color))
            button.setIcon(QtGui.QIcon(pixmap))
            button.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.clicked.connect(lambda _=False, value=label: self.canvas.set_class(value))
            group.addButton(button)
            row.addWidget(button)
            self.class_buttons.append(button)
        row.addStretch(1)
        self.undo_button = _tool_button("Undo", "Take back the last stroke (Ctrl+Z)")
        self.redo_button = _tool_button("Redo", "Apply the undone stroke again (Ctrl+Shift+Z)")
        self.clear_button = _tool_button("Clear", "Erase the whole drawing (undoable)")
        for button, slot in ((self.undo_button, self.canvas.undo),
                             (self.redo_button, self.canvas.redo),
                             (self.clear_button, self.canvas.clear)):
            button.setObjectName(f"{button.text().lower()}Button")
            button.clicked.connect(slot)
            row.addWidget(button)
        return row

    def _add_shortcuts(self) -> None:
        bindings = [(key, lambda _=False, name=tool: self.canvas.set_tool(name))
                    for tool, (_, key, _) in self.TOOL_LABELS.items()]
        bindings += [(str(label + 1), lambda _=False, value=label: self.canvas.set_class(value))
                     for label in range(MAX_CLASSES)]
        bindings += [("[", lambda _=False: self._scale_radius(1 / self.RADIUS_STEP)),
                     ("]", lambda _=False: self._scale_radius(self.RADIUS_STEP))]
        self.shortcut_actions = []
        for key, slot in bindings:
            action = QtGui.QAction(self)
            action.setShortcut(QtGui.QKeySequence(key))
            action.setShortcutContext(QtCore.Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            # active while either the strip or the canvas has focus
            self.addAction(action)
            self.canvas.addAction(action)
            self.shortcut_actions.append(action)

    def _scale_radius(self, factor: float) -> None:
        self.radius_spin.setValue(self.radius_spin.value() * factor)

    def _brush_edited(self) -> None:
        self.canvas.set_brush(self.radius_spin.value(), self.strength_spin.value())

    # ------------------------------------------------------------------ following the canvas

    def _show_tool(self, tool: str) -> None:
        self.tool_buttons[tool].setChecked(True)

    def _show_class(self, label: int) -> None:
        self.class_buttons[label].setChecked(True)

    def _show_brush(self, radius: float, strength: float) -> None:
        for spin, value in ((self.radius_spin, radius), (self.strength_spin, strength)):
            with QtCore.QSignalBlocker(spin):
                spin.setValue(value)

    def _show_history(self) -> None:
        drawing = self.canvas.drawing
        self.undo_button.setEnabled(drawing.can_undo)
        self.redo_button.setEnabled(drawing.can_redo)
        self.clear_button.setEnabled(not drawing.is_empty())


def _tool_button(text: str, tooltip: str, checkable: bool = False) -> QtWidgets.QToolButton:
    button = QtWidgets.QToolButton()
    button.setText(text)
    button.setToolTip(tooltip)
    button.setCheckable(checkable)
    return button


def _spin_box(low: float, high: float, step: float, tooltip: str) -> QtWidgets.QDoubleSpinBox:
    spin = QtWidgets.QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setSingleStep(step)
    spin.setDecimals(2)
    spin.setToolTip(tooltip)
    return spin
