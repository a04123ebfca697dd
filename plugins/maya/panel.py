"""The Overshoulder panel docked in Maya (a workspaceControl), restored with the workspace.

``MayaQWidgetDockableMixin.show(dockable=True, uiScript=...)`` makes a workspaceControl
named ``overshoulderPanelWorkspaceControl``. Maya saves it with the workspace and, on the
next start, runs its ``uiScript``: ``restore_panel()``, which builds the panel again and
puts it into the control Maya made for it (``MQtUtil.getCurrentParent`` /
``addWidgetToMayaLayout``), as shotgunsoftware/tk-maya
python/tk_maya/panel_generation.py@d8b7ad4d does.

Closing the dock ends the panel's session: Maya's mixin tells the widget through
``dockCloseEventTriggered`` (it does not call Qt's ``closeEvent``), and the panel leaves the
session there, so no callback, Sharer or capture thread outlives it. Every panel of a Maya
session shares through one ``MayaHost`` (``session_host``): a panel opened again reuses it
instead of registering Maya's callbacks a second time.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

from maya import OpenMayaUI as omui1
from maya import cmds
from maya.app.general.mayaMixin import MayaQWidgetDockableMixin

from overshoulder.core.ui import Panel

from .defaults import PANEL_OBJECT, PANEL_TITLE
from .host import MayaHost

log = logging.getLogger("overshoulder.maya")

#: The Python statement Maya runs to rebuild the panel when it restores the workspace.
UI_SCRIPT = "import overshoulder.plugins.maya.panel as p; p.restore_panel()"
CONTROL = PANEL_OBJECT + "WorkspaceControl"

#: The panel of this session (one at a time).
_panel: Optional[Any] = None
#: The one MayaHost of this Maya session, shared by every panel opened in it.
_host: Optional[MayaHost] = None


def session_host() -> MayaHost:
    """The MayaHost of this Maya session (made on first use, then reused)."""
    global _host
    if _host is None:
        _host = MayaHost()
    return _host


def current_host() -> Optional[MayaHost]:
    """The MayaHost of this session if a panel made one (None otherwise; nothing is made)."""
    return _host


class MayaPanel(MayaQWidgetDockableMixin, Panel):
    """The shared panel, sharing this Maya session (a ``MayaHost`` on the main thread).

    Keyword arguments only: Maya's mixin takes ``parent`` first and passes the rest on.
    """

    def __init__(self, parent: Optional[Any] = None) -> None:
        super().__init__(host=session_host(), parent=parent)
        self.setObjectName(PANEL_OBJECT)
        self.setWindowTitle(PANEL_TITLE)

    def dockCloseEventTriggered(self) -> None:
        """Maya closed the panel's workspaceControl: leave the session (sharing stops, the
        host's callbacks are removed on Maya's main thread), never waiting here."""
        self.close_session()

    def closeEvent(self, event: Any) -> None:
        """Closed as a plain window (not through the dock): the same."""
        self.close_session()
        super().closeEvent(event)


def show_panel() -> Any:
    """Show the panel, docked; the existing one when there is one."""
    global _panel
    if _panel is not None and cmds.workspaceControl(CONTROL, exists=True):
        cmds.workspaceControl(CONTROL, edit=True, restore=True)
        return _panel
    if _panel is not None:  # its control was closed: make sure its session is gone too
        _leave(_panel)
        _panel = None
    if cmds.workspaceControl(CONTROL, exists=True):
        cmds.deleteUI(CONTROL)  # left from a closed panel: make it anew
    _panel = MayaPanel()
    # The mixin's show (types-maya has no stubs for maya.app, so it is named explicitly).
    MayaQWidgetDockableMixin.show(_panel, dockable=True, retain=False, uiScript=UI_SCRIPT)
    return _panel


def restore_panel() -> Any:
    """Rebuild the panel inside the workspaceControl Maya restored (its ``uiScript``)."""
    global _panel
    # MQtUtil is API 1.0 (maya.OpenMayaUI), whose types-maya stub module is empty
    # (docs/maya.md); API 2.0 has no MQtUtil.
    parent = omui1.MQtUtil.getCurrentParent()  # type: ignore[attr-defined]
    if _panel is not None:
        _leave(_panel)
    _panel = MayaPanel()
    address = omui1.MQtUtil.findControl(_panel.objectName())  # type: ignore[attr-defined]
    omui1.MQtUtil.addWidgetToMayaLayout(int(address), int(parent))  # type: ignore[attr-defined]
    return _panel


def _leave(panel: Any) -> None:
    """End an old panel's session (Maya may have deleted its widget already)."""
    try:
        panel.close_session()
    except RuntimeError as exc:  # "Internal C++ object already deleted": nothing runs there
        log.debug("the old panel was already gone: %s", exc)
