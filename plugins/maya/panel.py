"""The Overshoulder panel docked in Maya (a workspaceControl), restored with the workspace.

``MayaQWidgetDockableMixin.show(dockable=True, uiScript=...)`` makes a workspaceControl
named ``overshoulderPanelWorkspaceControl``. Maya saves it with the workspace and, on the
next start, runs its ``uiScript``: ``restore_panel()``, which builds the panel again and
puts it into the control Maya made for it (``MQtUtil.getCurrentParent`` /
``addWidgetToMayaLayout``), as ShotGrid Toolkit's tk-maya panel_generation.py does.
"""

from __future__ import annotations

from typing import Any, Optional

from maya import OpenMayaUI as omui1
from maya import cmds
from maya.app.general.mayaMixin import MayaQWidgetDockableMixin

from overshoulder.core.ui import Panel

from .defaults import PANEL_OBJECT, PANEL_TITLE
from .host import MayaHost

#: The Python statement Maya runs to rebuild the panel when it restores the workspace.
UI_SCRIPT = "import overshoulder.plugins.maya.panel as p; p.restore_panel()"
CONTROL = PANEL_OBJECT + "WorkspaceControl"

#: The panel of this session (one at a time).
_panel: Optional[Any] = None


class MayaPanel(MayaQWidgetDockableMixin, Panel):
    """The shared panel, sharing this Maya session (a ``MayaHost`` on the main thread).

    Keyword arguments only: Maya's mixin takes ``parent`` first and passes the rest on.
    """

    def __init__(self, parent: Optional[Any] = None) -> None:
        super().__init__(host=MayaHost(), parent=parent)
        self.setObjectName(PANEL_OBJECT)
        self.setWindowTitle(PANEL_TITLE)


def show_panel() -> Any:
    """Show the panel, docked; the existing one when there is one."""
    global _panel
    if _panel is not None and cmds.workspaceControl(CONTROL, exists=True):
        cmds.workspaceControl(CONTROL, edit=True, restore=True)
        return _panel
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
    _panel = MayaPanel()
    address = omui1.MQtUtil.findControl(_panel.objectName())  # type: ignore[attr-defined]
    omui1.MQtUtil.addWidgetToMayaLayout(int(address), int(parent))  # type: ignore[attr-defined]
    return _panel
