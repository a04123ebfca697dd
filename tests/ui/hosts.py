"""Hosts and widgets for the UI tests: a MemoryHost with a viewer, and a viewer that logs clicks."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, Optional, TypeVar

import numpy as np

from overshoulder.core.host import Capture, ViewerView
from overshoulder.core.model import Anchor, HostObject, ImageRef
from overshoulder.core.ui.overlay import event_pos
from tests.hosts.memory import MemoryHost

from .qt import QtCore, QtGui, QtWidgets, app, pump

W = TypeVar("W")


@contextlib.contextmanager
def shown(widget: W, width: int, height: int) -> Iterator[W]:
    """``widget`` (made after ``app()``) shown at width x height, closed and deleted after."""
    widget.resize(width, height)  # type: ignore[attr-defined]
    widget.show()  # type: ignore[attr-defined]
    pump()
    try:
        yield widget
    finally:
        widget.close()  # type: ignore[attr-defined]
        widget.deleteLater()  # type: ignore[attr-defined]
        pump()


@contextlib.contextmanager
def panel_host() -> Iterator[ViewerHost]:
    """A ViewerHost over a plain 320x180 viewer widget, for panel tests."""
    app()
    host: Optional[ViewerHost] = None
    try:
        with shown(QtWidgets.QWidget(), 320, 180) as viewer:
            host = ViewerHost(viewer)
            yield host
    finally:
        if host is not None:
            host.shut()


class ClickLog(QtWidgets.QWidget):  # type: ignore[misc]
    """A stand-in for an app's viewer: remembers where it was pressed."""

    def __init__(self) -> None:
        super().__init__()
        self.presses: list[tuple[int, int]] = []

    def mousePressEvent(self, event: Any) -> None:
        x, y = event_pos(event)
        self.presses.append((round(x), round(y)))


class ViewerHost(MemoryHost):
    """A MemoryHost whose viewer is a real QWidget; shares a small sRGB image per frame."""

    def __init__(self, viewer: Any = None, view: Optional[ViewerView] = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.viewer = viewer
        self.view = view
        self.version: Optional[str] = None
        self.shade = 40
        self.selected: list[HostObject] = []
        self.anchor_object = HostObject("memory.node", "Grade1", label="Grade1")

    def viewer_widget(self) -> Any:
        return self.viewer

    def viewer_view(self) -> Optional[ViewerView]:
        return self.view

    def capture(self) -> Optional[Capture]:
        pixels = np.full((32, 64, 3), self.shade, np.uint8)
        return Capture(
            frame=self.frame,
            width=64,
            height=32,
            pixels=pixels,
            colorspace="sRGB",
            version=self.version,
        )

    def anchor(self) -> Anchor:
        image = ImageRef(version=self.version) if self.version else None
        return Anchor(frame=self.frame, object=self.anchor_object, image=image)

    def select(self, obj: HostObject) -> bool:
        self.selected.append(obj)
        return True


def mouse(widget: Any, kind: str, x: float, y: float, held: bool = True) -> None:
    """Send a left-button press, move or release at (x, y) straight to ``widget``."""
    types = {
        "press": QtCore.QEvent.Type.MouseButtonPress,
        "move": QtCore.QEvent.Type.MouseMove,
        "release": QtCore.QEvent.Type.MouseButtonRelease,
    }
    left = QtCore.Qt.MouseButton.LeftButton
    button = QtCore.Qt.MouseButton.NoButton if kind == "move" else left
    buttons = left if (kind != "release" and held) else QtCore.Qt.MouseButton.NoButton
    local = QtCore.QPointF(x, y)
    glob = QtCore.QPointF(widget.mapToGlobal(QtCore.QPoint(int(x), int(y))))
    event = QtGui.QMouseEvent(
        types[kind], local, glob, button, buttons, QtCore.Qt.KeyboardModifier.NoModifier
    )
    QtWidgets.QApplication.sendEvent(widget, event)


def tablet(widget: Any, kind: str, x: float, y: float, pressure: float) -> bool:
    """Send a pen tablet's press, move or release at (x, y) with ``pressure`` to ``widget``;
    True when the widget accepted it. The constructor differs between Qt 5 and Qt 6."""
    import Qt

    types = {
        "press": QtCore.QEvent.Type.TabletPress,
        "move": QtCore.QEvent.Type.TabletMove,
        "release": QtCore.QEvent.Type.TabletRelease,
    }
    left = QtCore.Qt.MouseButton.LeftButton
    button = QtCore.Qt.MouseButton.NoButton if kind == "move" else left
    buttons = left if kind != "release" else QtCore.Qt.MouseButton.NoButton
    local = QtCore.QPointF(x, y)
    glob = QtCore.QPointF(widget.mapToGlobal(QtCore.QPoint(int(x), int(y))))
    mods = QtCore.Qt.KeyboardModifier.NoModifier
    if Qt.__binding__ == "PySide6":
        # Qt 6's input devices are not among Qt.py's common members: the binding's own module.
        gui = Qt._QtGui
        input_device = gui.QInputDevice
        device = gui.QPointingDevice(
            "test stylus",
            1,
            input_device.DeviceType.Stylus,
            gui.QPointingDevice.PointerType.Pen,
            input_device.Capability.Position | input_device.Capability.Pressure,
            1,
            1,
        )
        widget._test_stylus = device  # kept alive as long as the widget (Qt holds a pointer)
        tilt_etc = (0.0, 0.0, 0.0, 0.0, 0.0)  # x and y tilt, tangential pressure, rotation, z
        event = QtGui.QTabletEvent(
            types[kind], device, local, glob, pressure, *tilt_etc, mods, button, buttons
        )
    else:  # Qt 5: device and pointer type are enumerations, and a unique id comes last
        tab = QtGui.QTabletEvent
        event = tab(
            types[kind],
            local,
            glob,
            int(tab.TabletDevice.Stylus),
            int(tab.PointerType.Pen),
            pressure,
            0,
            0,
            0.0,
            0.0,
            0,
            mods,
            1,
            button,
            buttons,
        )
    event.setAccepted(False)
    QtWidgets.QApplication.sendEvent(widget, event)
    return bool(event.isAccepted())
