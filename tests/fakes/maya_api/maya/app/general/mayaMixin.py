"""A FAKE of ``maya.app.general.mayaMixin``: the dockable mixin, for tests only.

``MayaQWidgetDockableMixin.show(dockable=True, uiScript=..., retain=...)`` makes (or reuses) a
workspaceControl named ``<objectName>WorkspaceControl`` whose ``uiScript`` Maya runs to
restore the panel with the saved workspace, and shows the widget (Qt).
"""

from __future__ import annotations

from typing import Any

from ..._fake import state


class MayaQWidgetDockableMixin:
    def show(self, *args: Any, **kwargs: Any) -> None:
        state.check_thread("MayaQWidgetDockableMixin.show")
        name = self.objectName() + "WorkspaceControl"  # type: ignore[attr-defined]
        if kwargs.get("dockable"):
            state.workspace_controls[name] = {
                "label": self.windowTitle(),  # type: ignore[attr-defined]
                "uiScript": kwargs.get("uiScript"),
                "retain": kwargs.get("retain", True),
                "visible": True,
                "widget": self,
            }
        super().show()  # type: ignore[misc]

    def dockCloseEventTriggered(self) -> None:
        pass
