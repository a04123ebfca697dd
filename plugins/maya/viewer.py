"""Finding the Qt widget of a model panel's viewport, for the overlay (Qt via Qt.py, GUI only).

``M3dView.getM3dViewFromModelPanel(panel).widget()`` (API 2.0) is the address of the
viewport's own QWidget (the GL/Viewport 2.0 surface inside the panel, without its toolbar);
Qt.py's ``QtCompat.wrapInstance`` turns it into a widget of the binding Maya runs (PySide2
up to Maya 2024, PySide6 from 2025).
"""

from __future__ import annotations

import logging
from typing import Any

import maya.api.OpenMayaUI as omui

log = logging.getLogger("overshoulder.maya")


def find_viewport_widget(panel: str) -> Any:
    """The viewport QWidget of ``panel``; None without Qt, a QApplication or a widget."""
    try:
        from Qt import QtCompat, QtWidgets
    except ImportError:  # no Qt binding: a batch session
        return None
    if QtWidgets.QApplication.instance() is None:
        return None
    try:
        address = int(omui.M3dView.getM3dViewFromModelPanel(panel).widget())
    except Exception as exc:
        log.warning("no viewport widget for %s: %s", panel, exc)
        return None
    if not address:
        return None
    return QtCompat.wrapInstance(address, QtWidgets.QWidget)
