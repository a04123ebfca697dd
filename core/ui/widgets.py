"""Small widgets the panel is built from: a wrapping row, an eliding label, toggles, badges.

Everything takes its colours from the application's palette (Nuke and Maya are dark, a
standalone window may be light): the only fixed colours are the meaning-carrying ones
(a person's colour, a connection dot, the error red). Qt through Qt.py only.
"""

from __future__ import annotations

from typing import Any, Optional

from Qt import QtCore, QtGui, QtWidgets

#: Connection dots: what the colour means.
GREEN, AMBER, RED, GREY = "#3fb950", "#d29922", "#e5534b", "#8b949e"
#: A checkable button that is on: the palette's highlight, whatever the app's style draws.
TOGGLE_STYLE = (
    "QPushButton:checked, QToolButton:checked {"
    " background: palette(highlight); color: palette(highlighted-text);"
    " border: 1px solid palette(highlight); border-radius: 3px; padding: 3px 8px; }"
)


def person_color(person_id: Optional[str], palette: Any = None) -> Any:
    """A person's colour, the browser page's (``personColor``: a hue from the id), as a QColor.

    On a light palette the colour is darker, so a name stays readable on it.
    """
    h = 0
    for ch in person_id or "":
        h = (h * 31 + ord(ch)) & 0xFFFFFFFF
    light = 0.62 if palette is None or is_dark(palette) else 0.38
    return QtGui.QColor.fromHslF((h % 360) / 360.0, 0.55, light)


def is_dark(palette: Any) -> bool:
    """Whether ``palette``'s window colour is dark (text on it is light)."""
    return bool(palette.color(QtGui.QPalette.ColorRole.Window).lightness() < 128)


def app_palette() -> Any:
    app = QtWidgets.QApplication.instance()
    return app.palette() if app is not None else QtGui.QPalette()


class FlowLayout(QtWidgets.QLayout):
    """Lays its items out left to right and wraps to a new row when the width runs out.

    Buttons in a row that may be narrower than they are wide together (a 320 px dock) go
    on as many rows as needed: never on top of each other, never past the edge.
    """

    def __init__(self, parent: Any = None, spacing: int = 4) -> None:
        super().__init__(parent)
        self._items: list[Any] = []
        self._spacing = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: Any) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> Any:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> Any:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Any:
        return QtCore.Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QtCore.QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: Any) -> None:
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> Any:
        width = sum(i.sizeHint().width() + self._spacing for i in self._visible())
        return QtCore.QSize(max(0, width - self._spacing), self.heightForWidth(max(1, width)))

    def minimumSize(self) -> Any:
        size = QtCore.QSize(0, 0)
        for item in self._visible():
            size = size.expandedTo(item.minimumSize())
        m = self.contentsMargins()
        return size + QtCore.QSize(m.left() + m.right(), m.top() + m.bottom())

    def _visible(self) -> list[Any]:
        return [i for i in self._items if i.widget() is None or not i.widget().isHidden()]

    def _arrange(self, rect: Any, move: bool) -> int:
        m = self.contentsMargins()
        left, top = rect.x() + m.left(), rect.y() + m.top()
        right = rect.x() + rect.width() - m.right()
        x, y, row = left, top, 0
        for item in self._visible():
            hint = item.sizeHint()
            w = min(hint.width(), max(1, right - left))
            if x > left and x + w > right:
                x, y, row = left, y + row + self._spacing, 0
            if move:
                item.setGeometry(QtCore.QRect(QtCore.QPoint(x, y), QtCore.QSize(w, hint.height())))
            x += w + self._spacing
            row = max(row, hint.height())
        return y + row - rect.y() + m.bottom()


class ElidedLabel(QtWidgets.QLabel):
    """One line of plain text that ends in "…" when it does not fit (the whole in its tooltip)."""

    def __init__(self, text: str = "", parent: Any = None) -> None:
        super().__init__(parent)
        self.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        self.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Preferred, QtWidgets.QSizePolicy.Policy.Fixed
        )
        self._full = ""
        self.set_full_text(text)

    @property
    def full_text(self) -> str:
        return self._full

    @property
    def elided(self) -> bool:
        """Whether the text is cut short now (on purpose, with "…")."""
        return str(self.text()) != self._full

    def set_full_text(self, text: str) -> None:
        if text == self._full and self.text():
            return
        self._full = text
        self.setToolTip(text)
        self.updateGeometry()
        self._elide()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._elide()

    def sizeHint(self) -> Any:
        m = self.contentsMargins()
        width = self.fontMetrics().horizontalAdvance(self._full) + m.left() + m.right() + 2
        return QtCore.QSize(width, super().sizeHint().height())

    def minimumSizeHint(self) -> Any:
        return QtCore.QSize(min(16, self.sizeHint().width()), super().minimumSizeHint().height())

    def _elide(self) -> None:
        width = self.contentsRect().width()
        shown = self.fontMetrics().elidedText(self._full, QtCore.Qt.TextElideMode.ElideRight, width)
        if shown != self.text():
            super().setText(shown)


def badge(text: str, parent: Any, color: Any = None) -> Any:
    """A small framed word ("host", "drives"): the palette's mid line around it, or ``color``."""
    label = QtWidgets.QLabel(text, parent)
    label.setTextFormat(QtCore.Qt.TextFormat.PlainText)
    label.setSizePolicy(QtWidgets.QSizePolicy.Policy.Fixed, QtWidgets.QSizePolicy.Policy.Fixed)
    font = label.font()
    font.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
    label.setFont(font)
    if color is not None:
        name = QtGui.QColor(color).name()
        label.setStyleSheet(
            f"QLabel {{ border: 1px solid {name}; border-radius: 3px; padding: 0px 3px;"
            f" color: {name}; }}"
        )
    else:
        label.setStyleSheet(
            "QLabel { border: 1px solid palette(mid); border-radius: 3px; padding: 0px 3px; }"
        )
    return label


def dot(color: Any, parent: Any, size: int = 9) -> Any:
    """A round spot of ``color`` (a person's colour, a connection state)."""
    label = QtWidgets.QLabel(parent)
    label.setFixedSize(size, size)
    set_dot(label, color)
    return label


def set_dot(label: Any, color: Any) -> None:
    name = QtGui.QColor(color).name()
    radius = label.width() // 2
    label.setStyleSheet(f"QLabel {{ background: {name}; border-radius: {radius}px; }}")
    label.setProperty("dot_color", name)


def toggle(text: str, parent: Any, tip: str = "") -> Any:
    """A checkable button whose "on" shows (the palette's highlight)."""
    button = QtWidgets.QPushButton(text, parent)
    button.setCheckable(True)
    button.setStyleSheet(TOGGLE_STYLE)
    if tip:
        button.setToolTip(tip)
    return button


def muted(label: Any) -> Any:
    """A label in the palette's secondary text colour (it follows the app's palette when that
    changes: the colour is a role, not a value)."""
    label.setForegroundRole(QtGui.QPalette.ColorRole.PlaceholderText)
    return label


def section_title(text: str, parent: Any) -> Any:
    """A section's heading, as the browser page's (small, bold, spaced capitals)."""
    label = QtWidgets.QLabel(text.upper(), parent)
    label.setTextFormat(QtCore.Qt.TextFormat.PlainText)
    font = label.font()
    font.setBold(True)
    font.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
    font.setLetterSpacing(QtGui.QFont.SpacingType.PercentageSpacing, 108)
    label.setFont(font)
    label.setContentsMargins(0, 6, 0, 0)
    return muted(label)


def hline(parent: Any) -> Any:
    line = QtWidgets.QFrame(parent)
    line.setFrameShape(QtWidgets.QFrame.Shape.HLine)
    line.setFrameShadow(QtWidgets.QFrame.Shadow.Sunken)
    return line
