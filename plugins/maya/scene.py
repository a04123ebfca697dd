"""Small, typed reads and writes of the Maya scene that the adapter's modules share.

Every function here runs on Maya's main thread. DAG objects are named by full paths
(``|rig|arm_ctrl``) and, to survive renames and reparenting, by UUID (``cmds.ls(uuid=True)``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Optional

import maya.api.OpenMayaAnim as oma
from maya import cmds

from .timeunits import fps_of_unit, frame_of


def is_batch() -> bool:
    """True in mayapy, ``maya -batch`` and farm renders: no UI, no viewport."""
    return bool(cmds.about(batch=True))


def maya_version() -> int:
    """Maya's release year (2024), from ``about -version`` ("2024", "2024.2", "Preview")."""
    text = str(cmds.about(version=True)).strip()
    digits = text[:4]
    return int(digits) if digits.isdigit() else 0


# --- time --------------------------------------------------------------------------------------


def current_time() -> float:
    """The current time in the scene's unit (frames), sub-frames included.

    Read through ``MAnimControl``: the types-maya stubs have no query form of
    ``cmds.currentTime`` (docs/maya.md).
    """
    return float(oma.MAnimControl.currentTime().value)


def current_frame() -> int:
    return frame_of(current_time())


def go_to_frame(frame: int) -> None:
    """Move the time slider to ``frame`` (``currentTime`` in edit mode: viewports update)."""
    cmds.currentTime(frame)


def fps() -> float:
    return fps_of_unit(str(cmds.currentUnit(query=True, time=True)))


def frame_range() -> tuple[int, int]:
    """The playback range (the time slider's inner range), in whole frames."""
    first = cmds.playbackOptions(query=True, minTime=True)
    last = cmds.playbackOptions(query=True, maxTime=True)
    return frame_of(first), frame_of(last)


def is_playing() -> bool:
    return bool(oma.MAnimControl.isPlaying())


# --- the viewport -------------------------------------------------------------------------------


def active_model_panel() -> Optional[str]:
    """The model panel the artist works in: the focused one, else the first visible one."""
    if is_batch():
        return None
    # getPanel answers a name for withFocus and typeOf, a list for visiblePanels; the
    # types-maya stubs type every form as list[str] (docs/maya.md), hence the str().
    focused = str(cmds.getPanel(withFocus=True) or "")
    if focused and str(cmds.getPanel(typeOf=focused)) == "modelPanel":
        return focused
    for panel in cmds.getPanel(visiblePanels=True) or []:
        if str(cmds.getPanel(typeOf=panel)) == "modelPanel":
            return str(panel)
    return None


def panel_camera(panel: str) -> Optional[str]:
    """The full path of the camera transform ``panel`` looks through (None if none)."""
    name = cmds.modelPanel(panel, query=True, camera=True)
    if not name:
        return None
    found = cmds.ls(name, long=True)
    if not found:
        return None
    path = str(found[0])
    if cmds.nodeType(path) == "camera":
        parents = cmds.listRelatives(path, parent=True, fullPath=True) or []
        path = str(parents[0]) if parents else path
    return path


def look_through(panel: str, camera: str) -> None:
    cmds.lookThru(panel, camera)


# --- objects -----------------------------------------------------------------------------------


def selected_dag() -> list[str]:
    """Full paths of the selected DAG objects, in selection order."""
    chosen = cmds.ls(selection=True, long=True, objectsOnly=True) or []
    return [str(p) for p in chosen if str(p).startswith("|")]


def uuid_of(path: str) -> Optional[str]:
    found = cmds.ls(path, uuid=True) or []
    return str(found[0]) if found else None


def path_of(uuid: str) -> Optional[str]:
    """The full DAG path (or node name) of the node with ``uuid``; None when it is gone."""
    found = cmds.ls(uuid, long=True) or []
    return str(found[0]) if found else None


def short_name(path: str) -> str:
    return path.rsplit("|", 1)[-1]


def scene_file() -> str:
    """The open scene's file name ("" while unsaved).

    ``str()``: the types-maya stubs type ``file(query=True, sceneName=True)`` as bool; Maya
    returns the path (docs/maya.md).
    """
    return str(cmds.file(query=True, sceneName=True) or "")


def scene_label() -> str:
    name = scene_file()
    return os.path.basename(name) if name else "untitled"


@contextlib.contextmanager
def undo_off() -> Iterator[None]:
    """Changes made inside stay out of the artist's undo queue (which is kept, not flushed)."""
    was = bool(cmds.undoInfo(query=True, stateWithoutFlush=True))
    if was:
        cmds.undoInfo(stateWithoutFlush=False)
    try:
        yield
    finally:
        if was:
            cmds.undoInfo(stateWithoutFlush=True)
