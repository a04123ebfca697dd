"""Driving the FAKE Maya (tests/fakes/maya_api) from tests: what Maya has no API for.

``install()`` puts the fake ``maya`` package on ``sys.path`` (tests only) and resets it.
Maya's main thread is either a ``MainLoop`` (a thread that runs what ``executeDeferred`` and
``evalDeferred`` queued, standing in for Maya's idle queue) or, for tests that show Qt
widgets, the Qt GUI thread (``QtMainThread``), as in Maya, whose GUI thread is its main one.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from . import main_thread

FAKES = Path(__file__).resolve().parent / "maya_api"


def install(batch: bool = False, version: str = "2024") -> ModuleType:
    """The fake ``maya.cmds``, on ``sys.path``, reset to an empty GUI (or batch) session."""
    if str(FAKES) not in sys.path:
        sys.path.insert(0, str(FAKES))
    import maya.cmds

    if not hasattr(sys.modules["maya"], "_fake"):
        import maya._fake
    if not str(getattr(maya.cmds, "__file__", "")).startswith(str(FAKES)):
        raise RuntimeError(f"`import maya.cmds` found {maya.cmds.__file__}, not the fake")
    reset(batch=batch, version=version)
    return maya.cmds


def fake() -> Any:
    """The fake's state (``maya._fake.state``)."""
    from maya._fake import state

    return state


def reset(batch: bool = False, version: str = "2024") -> None:
    """A new session: an empty scene, no callbacks, no menus, no main thread."""
    state = fake()
    type(state).__init__(state)
    state.batch = batch
    state.version = version


class MainLoop(main_thread.MainLoop):
    """Maya's main thread: runs what was deferred to it, in order."""

    def __init__(self) -> None:
        super().__init__(fake, "fake-maya-main")


class QtMainThread(main_thread.QtMainThread):
    """The Qt GUI thread (the caller's) as Maya's main thread: a timer drains the queue."""

    def __init__(self, interval_ms: int = 5) -> None:
        super().__init__(fake, interval_ms)


def sharer_threads() -> list[threading.Thread]:
    """The Sharers' capture threads alive in this process (``overshoulder-capture-maya``)."""
    return [t for t in threading.enumerate() if t.name == "overshoulder-capture-maya"]


def on_main(fn: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Run ``fn`` on Maya's main thread and return its result (or raise its error)."""
    return main_thread.call_on_main(fake().main_thread, fake().defer, fn, timeout)


def build_shot(
    first: int = 1001,
    last: int = 1100,
    width: int = 640,
    height: int = 360,
    unit: str = "film",
) -> dict[str, str]:
    """An animation shot: "shotCam" looked through in modelPanel4, a rig with "arm_ctrl".

    Returns the full DAG paths: camera, cameraShape, rig, arm (a control under the rig).
    """
    from maya import cmds

    state = fake()
    cmds.currentUnit(time=unit)
    cmds.playbackOptions(minTime=first, maxTime=last, animationStartTime=first)
    cmds.playbackOptions(animationEndTime=last)
    cmds.currentTime(first)
    cam = cmds.createNode("transform", name="shotCam", skipSelect=True)
    cmds.createNode("camera", name="shotCamShape", parent=cam, skipSelect=True)
    rig = cmds.createNode("transform", name="rig", skipSelect=True)
    arm = cmds.createNode("transform", name="arm_ctrl", parent=rig, skipSelect=True)
    cmds.setAttr(arm + ".translateY", 5.0)
    cmds.lookThru("modelPanel4", cam)
    for panel in state.panel_sizes:
        state.panel_sizes[panel] = (width, height)
    cmds.select(clear=True)
    state.undo_stack.clear()
    return {
        "camera": "|shotCam",
        "cameraShape": "|shotCam|shotCamShape",
        "rig": "|rig",
        "arm": "|rig|arm_ctrl",
    }


def expected_pattern(camera: str, frame: int, width: int = 640, height: int = 360) -> np.ndarray:
    """What the fake viewport shows through ``camera`` (its short name) at ``frame``: RGB."""
    from maya._fake import pattern

    return pattern(camera, frame, width, height)
