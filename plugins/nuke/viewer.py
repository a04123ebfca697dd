"""Finding the Qt widget of Nuke's viewer, for the overlay (Qt through Qt.py, GUI only).

Nuke's Python API has no handle on the viewer's widget. As public viewer tools
do, the viewer panel is found among the application's widgets by its window
title (the Viewer node's name, e.g. "Viewer1"), and the image area is its
largest visible OpenGL child (a class whose name holds "GL": QGLWidget,
QOpenGLWidget or Nuke's own subclass). Unverified across Nuke versions: when
nothing matches, the overlay has no viewer to sit on and says so.
"""

from __future__ import annotations

from typing import Any


def find_viewer_widget(viewer_name: str) -> Any:
    """The image widget of the viewer panel titled ``viewer_name``; None when not found."""
    try:
        from Qt import QtWidgets
    except ImportError:  # no Qt binding: a headless session
        return None
    app = QtWidgets.QApplication.instance()
    if app is None:
        return None
    best: Any = None
    best_area = 0
    for panel in QtWidgets.QApplication.allWidgets():
        if panel.windowTitle() != viewer_name:
            continue
        for child in panel.findChildren(QtWidgets.QWidget):
            if "GL" not in child.metaObject().className() or not child.isVisible():
                continue
            area = child.width() * child.height()
            if area > best_area:
                best, best_area = child, area
    return best
