"""The drawing tools as buttons: tool, colour, width, undo/redo, for one ``ViewerOverlay``.

The overlay itself has no buttons (it lets clicks through when no tool is
picked); this row drives it from the panel, or from wherever the app's glue
puts it.
"""

from __future__ import annotations

from typing import Any, Optional

from Qt import QtCore, QtWidgets

from .overlay import MAX_WIDTH, MIN_WIDTH, PALETTE, TOOLS, ViewerOverlay
from .widgets import TOGGLE_STYLE, FlowLayout

TOOL_LABELS = {
    "pen": ("Pen", "Draw freehand"),
    "line": ("Line", "Draw a straight line"),
    "arrow": ("Arrow", "Draw an arrow (head at the end)"),
    "rect": ("Box", "Draw a rectangle"),
    "ellipse": ("Ellipse", "Draw an ellipse"),
    "text": ("Text", "Click, type, Enter"),
    "eraser": ("Eraser", "Drag over your own marks to delete them"),
    "move": ("Move", "Drag one of your marks to move it"),
    "laser": ("Laser", "Point for everyone; nothing is kept"),
}


class OverlayToolbar(QtWidgets.QWidget):
    """Buttons for an overlay's tools; unchecking the current tool lets clicks through again."""

    def __init__(self, overlay: Optional[ViewerOverlay] = None, parent: Any = None) -> None:
        super().__init__(parent)
        self.overlay: Optional[ViewerOverlay] = None
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        row = FlowLayout(spacing=2)  # as many rows as a narrow dock needs
        self.buttons: dict[str, Any] = {}
        for name in TOOLS:
            label, tip = TOOL_LABELS[name]
            button = QtWidgets.QToolButton(self)
            button.setText(label)
            button.setToolTip(tip)
            button.setCheckable(True)
            button.setStyleSheet(TOGGLE_STYLE)
            button.clicked.connect(lambda checked=False, n=name: self._pick(n, checked))
            row.addWidget(button)
            self.buttons[name] = button
        layout.addLayout(row)
        style = FlowLayout(spacing=2)
        self.colors: dict[str, Any] = {}
        for title, rgba in PALETTE:
            swatch = QtWidgets.QToolButton(self)
            swatch.setToolTip(title)
            swatch.setCheckable(True)
            swatch.setFixedSize(18, 18)
            r, g, b, _ = (round(v * 255) for v in rgba)
            swatch.setStyleSheet(
                f"QToolButton {{ background: rgb({r}, {g}, {b}); border: 1px solid palette(mid); }}"
                " QToolButton:checked { border: 2px solid palette(window-text); }"
            )
            swatch.clicked.connect(lambda checked=False, c=rgba: self._color(c))
            style.addWidget(swatch)
            self.colors[title] = swatch
        self.width_slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal, self)
        self.width_slider.setRange(round(MIN_WIDTH * 1000), round(MAX_WIDTH * 1000))
        self.width_slider.setToolTip("Line width")
        self.width_slider.setFixedWidth(90)
        self.width_slider.valueChanged.connect(self._width)
        style.addWidget(self.width_slider)
        self.undo_button = QtWidgets.QToolButton(self)
        self.undo_button.setText("Undo")
        self.undo_button.setToolTip("Undo your last note, deletion or move")
        self.redo_button = QtWidgets.QToolButton(self)
        self.redo_button.setText("Redo")
        style.addWidget(self.undo_button)
        style.addWidget(self.redo_button)
        layout.addLayout(style)
        self.undo_button.clicked.connect(lambda: self.overlay and self.overlay.undo())
        self.redo_button.clicked.connect(lambda: self.overlay and self.overlay.redo())
        self.set_overlay(overlay)

    def set_overlay(self, overlay: Optional[ViewerOverlay]) -> None:
        if self.overlay is not None:
            try:
                self.overlay.changed.disconnect(self.refresh)
            except (RuntimeError, TypeError):
                pass
        self.overlay = overlay
        if overlay is not None:
            overlay.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Show the overlay's state: tool, colour, width, what undo/redo can do."""
        overlay = self.overlay
        actions = overlay.note_actions if overlay is not None else None
        can = actions is not None and actions.can_draw
        for name, button in self.buttons.items():
            button.setEnabled(can)
            button.setChecked(overlay is not None and overlay.tool == name)
        for title, rgba in PALETTE:
            self.colors[title].setEnabled(can)
            self.colors[title].setChecked(overlay is not None and overlay.color == rgba)
        self.width_slider.setEnabled(can)
        if overlay is not None:
            self.width_slider.blockSignals(True)
            self.width_slider.setValue(round(overlay.width_units * 1000))
            self.width_slider.blockSignals(False)
        self.undo_button.setEnabled(actions is not None and actions.can_undo)
        self.redo_button.setEnabled(actions is not None and actions.can_redo)

    def _pick(self, name: str, checked: bool) -> None:
        if self.overlay is not None:
            self.overlay.set_tool(name if checked else None)

    def _color(self, rgba: tuple[float, float, float, float]) -> None:
        if self.overlay is not None:
            self.overlay.set_color(rgba)

    def _width(self, value: int) -> None:
        if self.overlay is not None:
            self.overlay.set_width(value / 1000)
