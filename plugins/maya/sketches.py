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
  importArchive=zip)`` puts each note on a layer of its own, named for the note and replaced
  when the note is applied again (an import adds a layer: Autodesk's 2024 help). Whether a
  Maya's ``bluePencilFrame`` has ``importArchive`` is asked at run time (``cmds.help``): an
  earlier Maya's stubs are reported to list only ``importFrames`` (a dialog; unverified).
  Without it, notes stay data only and the panel says why.
- ``GreasePencilWriter`` (Maya 2022 and older): ``cmds.greasePencilCtx(
  "greasePencilContext", edit=True, importArchive=zip)``, the route HOSTS.md names;
  the XML's exact nesting is **unverified**.

Whatever a writer does, the note's data is already in the scene (notes.py): a pencil frame
that cannot be made is logged (and said in the panel), and the note stays.
"""

from __future__ import annotations

import contextlib
import logging
import math
import struct
import uuid
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Optional, Protocol

from maya import cmds

from overshoulder.core.model import Annotation
from overshoulder.core.scratch import ScratchFolder
from overshoulder.core.shapes import outlines

from . import scene
from .defaults import BLUE_PENCIL_PLUGIN, GREASE_PENCIL_CONTEXT, PENCIL_LAYER_PREFIX

log = logging.getLogger("overshoulder.maya")

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


class PencilUnsupported(RuntimeError):
    """This Maya's pencil commands lack what the writer needs; the message says what."""


class PencilWriter(Protocol):
    """Puts a note's marks on a camera as a pencil frame; ``name`` says which Maya tool."""

    name: str

    def put(
        self,
        panel: str,
        camera: str,
        note: Annotation,
        others: Sequence[Annotation],
        size: tuple[int, int],
        fps: float,
    ) -> None:
        """Show ``note``'s marks on ``camera`` (a transform's full path), seen in ``panel``;
        ``others``: the open notes already drawn on that camera and frame. Applying the same
        note again replaces what it showed (never adds to it)."""

    def remove(self, camera: str, note_id: str) -> None:
        """Take away what ``put`` made for the note (nothing when the tool cannot)."""


def _import_archive(
    panel: str, camera: str, frames: Sequence[PencilFrame], fps: float, run: Any
) -> None:
    """Write ``frames`` to a temporary archive and ``run(path)`` it onto ``camera`` through
    ``panel`` (looking through the camera for it), with undo off."""
    scratch = ScratchFolder("overshoulder-pencil-")
    path = scratch.file("overshoulder_notes.zip")
    try:
        write_archive(path, frames, fps)
        with scene.undo_off(), looking_through(panel, camera):
            run(path)
    finally:
        scratch.cleanup()


def layer_name(note_id: str) -> str:
    """The Blue Pencil layer that shows one note (Maya names: letters, digits, _)."""
    return PENCIL_LAYER_PREFIX + uuid.UUID(note_id).hex


class BluePencilWriter:
    """Maya 2023+: one Blue Pencil layer per note, named for it, replaced when re-applied.

    Autodesk documents that importing a Grease Pencil archive into Blue Pencil adds a new
    layer (Maya 2024 help, "Import or export Blue Pencil frames"), so importing a frame's
    notes again would stack layers and strokes. Here each note is imported alone; the layer
    the import added is renamed ``overshoulder_<id>`` (``bluePencilLayer -editName``), and
    applying the note again first deletes the layers of that name (``-count``,
    ``-queryName``, ``-delete``: Autodesk's bluePencilLayer reference, 2023).
    """

    name = "Blue Pencil"

    @staticmethod
    def available() -> bool:
        if not cmds.pluginInfo(BLUE_PENCIL_PLUGIN, query=True, loaded=True):
            cmds.loadPlugin(BLUE_PENCIL_PLUGIN, quiet=True)
        return bool(cmds.pluginInfo(BLUE_PENCIL_PLUGIN, query=True, loaded=True))

    def put(
        self,
        panel: str,
        camera: str,
        note: Annotation,
        others: Sequence[Annotation],
        size: tuple[int, int],
        fps: float,
    ) -> None:
        try:
            self._put(panel, camera, note, size, fps)
        except TypeError as exc:  # cmds: "Invalid flag 'importArchive'" on an older Maya
            raise PencilUnsupported(f"a Blue Pencil command refused a flag: {exc}") from exc

    def _put(
        self, panel: str, camera: str, note: Annotation, size: tuple[int, int], fps: float
    ) -> None:
        frame = frame_for([note], *size)
        wanted = layer_name(note.id)
        self._delete_layers(camera, wanted)
        before = self.layer_names(camera)
        _import_archive(panel, camera, [frame], fps, self._import)
        after = self.layer_names(camera)
        if len(after) != len(before) + 1:
            raise RuntimeError(
                f"importing a pencil archive onto {camera} made {len(after) - len(before)} "
                f"layers, not one: the note's layer cannot be named"
            )
        index = next((i for i, (a, b) in enumerate(zip(after, before)) if a != b), len(before))
        with scene.undo_off():
            # The stubs know only bluePencilLayer's -active flag; Autodesk's reference
            # (2023) documents -count, -queryName, -delete and -editName.
            cmds.bluePencilLayer(camera, editName=(wanted, index))  # type: ignore[call-overload]

    def remove(self, camera: str, note_id: str) -> None:
        try:
            self._delete_layers(camera, layer_name(note_id))
        except TypeError as exc:
            raise PencilUnsupported(f"a Blue Pencil command refused a flag: {exc}") from exc

    @staticmethod
    def _import(path: str) -> None:
        cmds.bluePencilFrame(importArchive=path)

    @staticmethod
    def layer_names(camera: str) -> list[str]:
        count = int(cmds.bluePencilLayer(camera, count=True) or 0)  # type: ignore[call-overload]
        return [
            str(cmds.bluePencilLayer(camera, queryName=i))  # type: ignore[call-overload]
            for i in range(count)
        ]

    def _delete_layers(self, camera: str, wanted: str) -> None:
        names = self.layer_names(camera)
        with scene.undo_off():
            for index in reversed(range(len(names))):
                if names[index] == wanted:
                    cmds.bluePencilLayer(camera, delete=index)  # type: ignore[call-overload]


class GreasePencilWriter:
    """Maya 2022 and older: Grease Pencil frames, imported through the tool's context.

    Grease Pencil has no layers: a camera holds one frame per frame, so the frame is made of
    every open note on it (importing one note alone would replace the others')."""

    name = "Grease Pencil"

    def put(
        self,
        panel: str,
        camera: str,
        note: Annotation,
        others: Sequence[Annotation],
        size: tuple[int, int],
        fps: float,
    ) -> None:
        frame = frame_for([*others, note], *size)
        _import_archive(panel, camera, [frame], fps, self._import)

    def remove(self, camera: str, note_id: str) -> None:
        """Not verified for Grease Pencil: its frame stays (docs/maya.md)."""

    @staticmethod
    def _import(path: str) -> None:
        # greasePencilCtx is missing from types-maya, whose commands come from Maya 2023+,
        # where Grease Pencil is gone (docs/maya.md); it is documented up to Maya 2022.
        cmds.greasePencilCtx(  # type: ignore[attr-defined]
            GREASE_PENCIL_CONTEXT, edit=True, importArchive=path
        )


# --- what this Maya's commands accept ----------------------------------------------------------

#: Flags the Blue Pencil writer passes, by command (long names).
BLUE_PENCIL_NEEDS: dict[str, tuple[str, ...]] = {
    "bluePencilFrame": ("importArchive",),
    "bluePencilLayer": ("count", "queryName", "delete", "editName"),
}

_flags_seen: dict[str, Optional[frozenset[str]]] = {}


def command_flags(command: str) -> Optional[frozenset[str]]:
    """The flag names (long and short) ``cmds.help(command)`` lists in this Maya, read once
    per session; None when help gives nothing readable (then the call itself is tried).

    ``help`` prints one flag a line as ``-short -long [type]`` (the layout Muream/maya-stubs parses:
    maya-stubgen/maya_stubgen/cli/generate_stubs/parsers/cmds_parsers/synopsis_parser.py
    at 0c633a2a; assumed the same in every Maya)."""
    if command not in _flags_seen:
        try:
            text = str(cmds.help(command) or "")
        except Exception as exc:  # an unknown command (plug-in not loaded) or no help
            log.debug("help(%s) failed: %s", command, exc)
            text = ""
        found: set[str] = set()
        for line in text.splitlines():
            words = line.split()
            if words and words[0].startswith("-"):
                found.update(w[1:] for w in words[:2] if w.startswith("-") and len(w) > 1)
        _flags_seen[command] = frozenset(found) if found else None
    return _flags_seen[command]


def missing_pencil_flags() -> list[str]:
    """The Blue Pencil flags this Maya's help does not list ("bluePencilFrame -importArchive");
    empty when all are there or help could not tell."""
    missing = []
    for command, flags in BLUE_PENCIL_NEEDS.items():
        known = command_flags(command)
        if known is None:
            continue
        missing += [f"{command} -{flag}" for flag in flags if flag not in known]
    return missing


def writer_for_this_maya() -> tuple[Optional[PencilWriter], Optional[str]]:
    """The pencil this Maya has, or None and why (a sentence for the panel; None when there
    is simply nothing to draw in: a batch session).

    Blue Pencil from 2023 when its plug-in loads and its commands have the flags it uses
    (queried at run time: the 2023 and 2024 command sets are not known to have them);
    Grease Pencil before 2023."""
    if scene.is_batch():
        return None, None
    if scene.maya_version() < 2023:
        return GreasePencilWriter(), None
    if not BluePencilWriter.available():
        return None, f"the {BLUE_PENCIL_PLUGIN} plug-in does not load"
    missing = missing_pencil_flags()
    if missing:
        return None, f"this Maya's Blue Pencil commands lack {', '.join(missing)}"
    return BluePencilWriter(), None


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
