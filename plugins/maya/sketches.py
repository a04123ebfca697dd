"""A note's marks as a pencil frame on the camera: Blue Pencil (2023+), Grease Pencil before.

The marks are drawn into a transparent PNG the size of the image the reviewer drew on, and
that image goes into an archive in the layout of Maya's Grease Pencil archives (the
``maya.app.general.greasePencilInterop`` module names its parts): a zip holding
``greasePencil.xml`` and the frame images::

    <greasepencil>
      <settings><setting fps="24.0"/></settings>
      <frames><frame time="57" file="overshoulder_<id>_57.png" layer="0" duration="1"/></frames>
    </greasepencil>

which is imported onto the camera the active viewport looks through (briefly looking through
the note's camera when the artist looks through another). ``PencilWriter`` is the small
interface; ``writer_for_this_maya`` picks:

- ``BluePencilWriter`` (Maya 2023+, plug-in ``bluePencil``): ``cmds.bluePencilFrame(
  importArchive=zip)``. The flag is in the command's stubs; that it reads this archive
  layout and imports onto the active camera is **unverified** (docs/maya.md).
- ``GreasePencilWriter`` (Maya 2022 and older): ``cmds.greasePencilCtx(
  "greasePencilContext", edit=True, importArchive=zip)``, the route HOSTS.md names;
  the XML's exact nesting is **unverified**.

Whatever a writer does, the note's data is already in the scene (notes.py): a pencil frame
that cannot be made is logged, and the note stays.
"""

from __future__ import annotations

import contextlib
import math
import os
import struct
import tempfile
import uuid
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Optional, Protocol

from maya import cmds

from overshoulder.core.model import Annotation
from overshoulder.core.shapes import outlines

from . import scene
from .defaults import GREASE_PENCIL_CONTEXT

ARCHIVE_XML = "greasePencil.xml"


# --- drawing the marks ----------------------------------------------------------------------


def draws(note: Annotation) -> bool:
    """Whether the note has marks a pencil frame can show (text goes to a callout)."""
    return bool(outlines(note.shape, note.style.width))


def rasterize(note: Annotation, width: int, height: int) -> Any:
    """The note's marks in its colour on a transparent H x W x 4 uint8 image (top row first).

    ORI coordinates (height units, centre origin, y up) map to pixels as
    ``(W/2 + x*H, H/2 - y*H)``; lines are as wide as the note's style says (at least 1 px),
    with round ends, anti-aliased by distance.
    """
    import numpy as np

    image = np.zeros((height, width, 4), np.uint8)
    radius = max(0.5, note.style.width * height / 2)
    r, g, b, a = (min(1.0, max(0.0, v)) for v in note.style.color)
    cover = np.zeros((height, width), np.float32)
    for line in outlines(note.shape, note.style.width):
        px = [(width / 2 + x * height, height / 2 - y * height) for x, y in line]
        if len(px) == 1:
            px = px * 2
        for (x0, y0), (x1, y1) in zip(px, px[1:]):
            left = max(0, math.floor(min(x0, x1) - radius - 1))
            right = min(width, math.ceil(max(x0, x1) + radius + 2))
            top = max(0, math.floor(min(y0, y1) - radius - 1))
            bottom = min(height, math.ceil(max(y0, y1) + radius + 2))
            if left >= right or top >= bottom:
                continue
            ys, xs = np.mgrid[top:bottom, left:right].astype(np.float32) + 0.5
            dx, dy = x1 - x0, y1 - y0
            length2 = dx * dx + dy * dy
            t = np.zeros_like(xs) if length2 == 0 else ((xs - x0) * dx + (ys - y0) * dy) / length2
            t = np.clip(t, 0.0, 1.0)
            dist = np.hypot(xs - (x0 + t * dx), ys - (y0 + t * dy))
            part = np.clip(radius + 0.5 - dist, 0.0, 1.0)
            view = cover[top:bottom, left:right]
            np.maximum(view, part, out=view)
    image[..., 0] = round(r * 255)
    image[..., 1] = round(g * 255)
    image[..., 2] = round(b * 255)
    image[..., 3] = np.round(cover * a * 255).astype(np.uint8)
    image[cover == 0] = 0
    return image


def png_bytes(rgba: Any) -> bytes:
    """An 8-bit RGBA PNG of an H x W x 4 uint8 array (no row filters: simple and exact)."""
    height, width = rgba.shape[:2]
    raw = b"".join(b"\x00" + rgba[y].tobytes() for y in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    head = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", head)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


# --- the archive ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PencilFrame:
    """One frame of marks: the PNG and the whole frame it belongs on."""

    frame: int
    png: bytes
    name: str


def archive_xml(frames: Sequence[PencilFrame], fps: float) -> bytes:
    root = ET.Element("greasepencil")
    settings = ET.SubElement(root, "settings")
    ET.SubElement(settings, "setting", fps=repr(float(fps)))
    listed = ET.SubElement(root, "frames")
    for f in frames:
        ET.SubElement(listed, "frame", time=str(f.frame), file=f.name, layer="0", duration="1")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")


def write_archive(path: str, frames: Sequence[PencilFrame], fps: float) -> None:
    """A Grease Pencil style archive (zip: greasePencil.xml + one PNG per frame) at ``path``."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(ARCHIVE_XML, archive_xml(frames, fps))
        for f in frames:
            zf.writestr(f.name, f.png)


def frame_for(notes: Sequence[Annotation], width: int, height: int) -> PencilFrame:
    """One pencil frame with the marks of ``notes`` (all on one frame), later ones on top.

    A camera holds one pencil frame per frame, so the frame is made of every note on it:
    importing one note's marks alone would replace the others'.
    """
    import numpy as np

    if not notes:
        raise ValueError("a pencil frame needs at least one note")
    frame = notes[0].anchor.frame
    out = np.zeros((height, width, 4), np.float32)
    for note in notes:
        layer = rasterize(note, width, height).astype(np.float32) / 255.0
        alpha = layer[..., 3:4]
        out[..., :3] = layer[..., :3] * alpha + out[..., :3] * (1 - alpha)
        out[..., 3:4] = alpha + out[..., 3:4] * (1 - alpha)
    rgba = np.round(np.clip(out, 0.0, 1.0) * 255).astype(np.uint8)
    rgba[rgba[..., 3] == 0] = 0
    name = f"overshoulder_{uuid.UUID(notes[-1].id).hex}_{frame}.png"
    return PencilFrame(frame, png_bytes(rgba), name)


# --- writers -----------------------------------------------------------------------------------


class PencilWriter(Protocol):
    """Puts pencil frames on a camera; ``name`` says which Maya tool holds them."""

    name: str

    def put(self, panel: str, camera: str, frames: Sequence[PencilFrame], fps: float) -> None:
        """Import ``frames`` onto ``camera`` (a transform's full path), seen in ``panel``."""


class _ArchiveWriter:
    name = "pencil"

    def put(self, panel: str, camera: str, frames: Sequence[PencilFrame], fps: float) -> None:
        folder = tempfile.mkdtemp(prefix="overshoulder-pencil-")
        path = os.path.join(folder, "overshoulder_notes.zip").replace("\\", "/")
        try:
            write_archive(path, frames, fps)
            with scene.undo_off(), looking_through(panel, camera):
                self._import(path)
        finally:
            with contextlib.suppress(OSError):
                os.remove(path)
                os.rmdir(folder)

    def _import(self, path: str) -> None:
        raise NotImplementedError


class BluePencilWriter(_ArchiveWriter):
    """Maya 2023+: Blue Pencil frames (plug-in ``bluePencil``)."""

    name = "Blue Pencil"
    PLUGIN = "bluePencil"

    @classmethod
    def available(cls) -> bool:
        if not cmds.pluginInfo(cls.PLUGIN, query=True, loaded=True):
            cmds.loadPlugin(cls.PLUGIN, quiet=True)
        return bool(cmds.pluginInfo(cls.PLUGIN, query=True, loaded=True))

    def _import(self, path: str) -> None:
        cmds.bluePencilFrame(importArchive=path)


class GreasePencilWriter(_ArchiveWriter):
    """Maya 2022 and older: Grease Pencil frames, imported through the tool's context."""

    name = "Grease Pencil"

    def _import(self, path: str) -> None:
        # greasePencilCtx is missing from types-maya, whose commands come from Maya 2023+,
        # where Grease Pencil is gone (docs/maya.md); it is documented up to Maya 2022.
        cmds.greasePencilCtx(  # type: ignore[attr-defined]
            GREASE_PENCIL_CONTEXT, edit=True, importArchive=path
        )


def writer_for_this_maya() -> Optional[PencilWriter]:
    """The pencil this Maya has: Blue Pencil from 2023 (when its plug-in loads), Grease
    Pencil before; None in batch sessions (no viewport to draw in)."""
    if scene.is_batch():
        return None
    if scene.maya_version() >= 2023:
        return BluePencilWriter() if BluePencilWriter.available() else None
    return GreasePencilWriter()


@contextlib.contextmanager
def looking_through(panel: str, camera: str) -> Iterator[None]:
    """``panel`` looks through ``camera`` inside (and back through its own camera after)."""
    before = scene.panel_camera(panel)
    if before is not None and before == camera:
        yield
        return
    scene.look_through(panel, camera)
    try:
        yield
    finally:
        if before is not None:
            scene.look_through(panel, before)
