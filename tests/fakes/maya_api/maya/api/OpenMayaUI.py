"""A FAKE of ``maya.api.OpenMayaUI`` (API 2.0): M3dView and MUiMessage, for tests only.

A view's frame buffer is the fake's test pattern through the panel's camera at the current
frame (``maya._fake.State.frame_buffer``), read bottom-up as OpenGL reads it. ``widget()``
returns the address of the QWidget a test registered for the panel
(``maya._fake.state.panel_widgets``), 0 when there is none.
"""

from __future__ import annotations

from typing import Any, Callable

from .._fake import MayaError, state
from .OpenMaya import MImage, MMessage


class M3dView:
    #: ``getRendererName`` answers (the fake's values; the adapter only compares with them).
    kDefaultQualityRenderer = 0
    kHighQualityRenderer = 1
    kViewport2Renderer = 2
    kExternalRenderer = 3

    def __init__(self, panel: str = "") -> None:
        self._panel = panel

    @staticmethod
    def active3dView() -> M3dView:
        state.check_thread("M3dView.active3dView")
        panel = state.active_panel if state.active_panel in state.panels else "modelPanel4"
        return M3dView(panel)

    @staticmethod
    def getM3dViewFromModelPanel(name: str) -> M3dView:
        state.check_thread("M3dView.getM3dViewFromModelPanel")
        if name not in state.panels:
            raise MayaError(f"(kInvalidParameter): no model panel named {name}")
        return M3dView(name)

    def portWidth(self) -> int:
        state.check_thread("M3dView.portWidth")
        return state.panel_sizes[self._panel][0]

    def portHeight(self) -> int:
        state.check_thread("M3dView.portHeight")
        return state.panel_sizes[self._panel][1]

    def readColorBuffer(self, image: MImage, readRGBA: bool = False) -> M3dView:
        state.check_thread("M3dView.readColorBuffer")
        rgba = state.frame_buffer(self._panel)
        if not readRGBA:
            rgba = rgba[:, :, [2, 1, 0, 3]].copy()  # BGRA by default, as documented
        image._fill(rgba)
        state.read_color_buffers += 1
        state.captures.append({"how": "readColorBuffer", "panel": self._panel})
        return self

    def getRendererName(self) -> int:
        state.check_thread("M3dView.getRendererName")
        return state.renderer

    def refresh(self, all: bool = False, force: bool = False, offscreen: bool = False) -> None:
        state.check_thread("M3dView.refresh")
        state.captures.append({"how": "refresh", "panel": self._panel, "force": force})
        state.redraw(None if all else [self._panel])

    def widget(self) -> int:
        state.check_thread("M3dView.widget")
        widget = state.panel_widgets.get(self._panel)
        if widget is None:
            return 0
        from Qt import QtCompat

        return _address(QtCompat.getCppPointer(widget))


class MUiMessage(MMessage):
    @staticmethod
    def add3dViewPostRenderMsgCallback(
        panelName: str, function: Callable[[str, Any], None], clientData: Any = None
    ) -> int:
        state.check_thread("MUiMessage.add3dViewPostRenderMsgCallback")
        return state.add_render(panelName, function, clientData)


def _address(pointer: Any) -> int:
    """Qt.py's getCppPointer gives an int or a one-item tuple, by binding and version."""
    return int(pointer[0] if isinstance(pointer, (list, tuple)) else pointer)
