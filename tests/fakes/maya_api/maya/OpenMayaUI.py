"""A FAKE of ``maya.OpenMayaUI`` (API 1.0): only MQtUtil, for restoring a docked panel."""

from __future__ import annotations

from typing import Any

from ._fake import state


class MQtUtil:
    """Pointers to Maya's Qt controls (here: the workspace controls the fake made)."""

    @staticmethod
    def getCurrentParent() -> int:
        state.check_thread("MQtUtil.getCurrentParent")
        return 0

    @staticmethod
    def findControl(name: str) -> Any:
        """The address of the Qt widget named ``name`` (None when there is none)."""
        state.check_thread("MQtUtil.findControl")
        from Qt import QtCompat, QtWidgets

        for widget in QtWidgets.QApplication.allWidgets():
            if widget.objectName() == name:
                return _address(QtCompat.getCppPointer(widget))
        return None

    @staticmethod
    def addWidgetToMayaLayout(widget: int, parent: int) -> None:
        state.check_thread("MQtUtil.addWidgetToMayaLayout")
        state.restored_widgets = [*getattr(state, "restored_widgets", []), (widget, parent)]


def _address(pointer: Any) -> int:
    """Qt.py's getCppPointer gives an int or a one-item tuple, by binding and version."""
    return int(pointer[0] if isinstance(pointer, (list, tuple)) else pointer)
