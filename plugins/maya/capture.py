"""What the active 3D viewport shows: read from the frame buffer, or played-blast to a file.

Two ways, behind one ``ViewportGrab``:

- ``colorbuffer`` (default): ``M3dView.refresh(False, True)`` draws the view now (a buffer read
  without it is assumed to risk a stale or black frame: docs/maya.md, unverified),
  then ``readColorBuffer(MImage, True)`` copies its pixels (RGBA, rows bottom-up as OpenGL
  reads them). Under Viewport 2.0 the image is made as floats first
  (``MImage.create(w, h, 4, kFloat)``: the fix for black reads in stackoverflow question
  44953145) and converted to bytes
  (``convertPixelFormat(kByte)``); any other pixel type is refused with its name. No file: the
  main thread only copies bytes (``MImage.pixels()`` is the address of width x height x 4
  bytes); flipping and dropping alpha happen on the caller's thread. It is exactly what the
  artist sees, HUD, grid and manipulators included.
- ``playblast``: a one-frame ``cmds.playblast(format="image", compression="jpg",
  completeFilename=...)`` of the panel: Maya redraws the frame (offscreen) and writes a JPEG
  that goes to reviewers untouched. Slower (a full redraw and a file per frame) but it works
  when the frame buffer cannot be read (a viewport hidden behind another window, a renderer
  override that reads back nothing). The time is put back exactly with
  ``currentTime(time, update=True)`` afterwards: a playblast made with undo off can leave it
  elsewhere (abstractfactory/maya-capture capture.py@1caf3169, its bug #21, restores it the
  same way).

Both set ``busy`` while they run: the redraws and time changes they cause are the adapter's
own, and never ask for another capture.

A colour-buffer read that fails or gives no pixels falls back to a playblast for that frame
and says so once in the log. Which is faster on real Maya is measured by bench/maya_capture.py
(not run on a real Maya yet: docs/maya.md).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Optional

import maya.api.OpenMaya as om
import maya.api.OpenMayaUI as omui
from maya import cmds

from overshoulder.core.scratch import ScratchFolder, discard, take

from . import scene
from .defaults import PLAYBLAST_QUALITY

log = logging.getLogger("overshoulder.maya")

METHODS = ("colorbuffer", "playblast")


class CaptureFailed(RuntimeError):
    """Maya could not give the viewport's pixels; the message says which panel and why."""


@dataclass(frozen=True)
class Grabbed:
    """One viewport image: raw RGBA bytes (bottom-up) or a JPEG file's path, and what it shows."""

    frame: int
    panel: str
    camera: Optional[str]
    width: int
    height: int
    rgba: Optional[bytes] = None
    jpeg_path: Optional[str] = None
    method: str = "colorbuffer"


class ViewportGrab:
    """Reads the active model panel's viewport; ``grab`` runs on the main thread."""

    def __init__(self, method: str = "colorbuffer", folder: Optional[str] = None) -> None:
        if method not in METHODS:
            raise ValueError(f"capture method {method!r}: use one of {', '.join(METHODS)}")
        self.method = method
        self._scratch = ScratchFolder("overshoulder-maya-", folder)
        self._warned = False
        #: True while a playblast runs (its time changes and redraws are ours).
        self.busy = False

    def folder(self) -> str:
        """The folder the playblasts go to (made on first use)."""
        return self._scratch.path()

    def cleanup(self) -> None:
        """Remove the private folder and what is left in it (a folder given is kept)."""
        self._scratch.cleanup()

    def grab(self) -> Optional[Grabbed]:
        """The active viewport now; None when there is none (batch, no model panel)."""
        panel = scene.active_model_panel()
        if panel is None:
            return None
        frame = scene.current_frame()
        camera = scene.panel_camera(panel)
        if self.method == "colorbuffer":
            try:
                return self._read_color_buffer(panel, frame, camera)
            except Exception as exc:
                if not self._warned:
                    log.warning(
                        "reading %s's frame buffer failed (%s); using a playblast instead",
                        panel,
                        exc,
                    )
                    self._warned = True
        return self._playblast(panel, frame, camera)

    def _read_color_buffer(self, panel: str, frame: int, camera: Optional[str]) -> Grabbed:
        view = omui.M3dView.getM3dViewFromModelPanel(panel)
        image = om.MImage()
        self.busy = True
        try:
            view.refresh(False, True)  # this view (not all), forced: drawn now
            if view.getRendererName() == omui.M3dView.kViewport2Renderer:
                image.create(int(view.portWidth()), int(view.portHeight()), 4, om.MImage.kFloat)
            view.readColorBuffer(image, True)
        finally:
            self.busy = False
        kind = image.pixelType()
        if kind == om.MImage.kFloat:
            image.convertPixelFormat(om.MImage.kByte)
        elif kind != om.MImage.kByte:
            raise CaptureFailed(
                f"{panel}: the frame buffer came back with pixel type {kind!r}, "
                f"neither MImage.kByte nor MImage.kFloat"
            )
        width, height = (int(v) for v in image.getSize())
        if width <= 0 or height <= 0:
            raise CaptureFailed(f"{panel}: the frame buffer read back empty ({width}x{height})")
        data = ctypes.string_at(int(image.pixels()), width * height * 4)
        return Grabbed(frame, panel, camera, width, height, rgba=data, method="colorbuffer")

    def _playblast(self, panel: str, frame: int, camera: Optional[str]) -> Grabbed:
        view = omui.M3dView.getM3dViewFromModelPanel(panel)
        width, height = int(view.portWidth()), int(view.portHeight())
        path = self._scratch.numbered("view", ".jpg")
        before = scene.current_time()
        self.busy = True
        try:
            with scene.undo_off(), _time_kept(before):
                cmds.playblast(
                    frame=[float(frame)],
                    format="image",
                    compression="jpg",
                    quality=PLAYBLAST_QUALITY,
                    completeFilename=path,
                    editorPanelName=panel,
                    widthHeight=(width, height),
                    percent=100,
                    viewer=False,
                    showOrnaments=True,
                    offScreen=True,
                    forceOverwrite=True,
                )
        except Exception as exc:
            discard(path, log)
            raise CaptureFailed(f"playblast of {panel} at frame {frame} failed: {exc}") from exc
        finally:
            self.busy = False
        if not os.path.exists(path):
            raise CaptureFailed(f"playblast of {panel} at frame {frame} wrote no file ({path})")
        return Grabbed(frame, panel, camera, width, height, jpeg_path=path, method="playblast")


@contextlib.contextmanager
def _time_kept(time: float) -> Iterator[None]:
    """The current time is ``time`` again after the block, whatever the block did to it."""
    try:
        yield
    finally:
        if scene.current_time() != time:
            cmds.currentTime(time, update=True)


def to_rgb(grabbed: Grabbed) -> Any:
    """The grabbed RGBA bytes as an H x W x 3 uint8 array, top row first (any thread)."""
    import numpy as np

    assert grabbed.rgba is not None
    rgba = np.frombuffer(grabbed.rgba, np.uint8).reshape(grabbed.height, grabbed.width, 4)
    return np.ascontiguousarray(rgba[::-1, :, :3])


def read_back(grabbed: Grabbed) -> bytes:
    """The playblast's JPEG bytes; the file is removed (any thread)."""
    assert grabbed.jpeg_path is not None
    return take(grabbed.jpeg_path, log)
