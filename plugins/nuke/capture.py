"""What the viewer shows, rendered by Nuke itself through a temporary Write node.

Nuke's ``ViewerWindow`` gives no pixels. As OpenRV's rvNuke and AYON do, the
node the active viewer shows is rendered through nodes made for the purpose
and deleted right after, with the undo stack switched off:

    viewed node -> copy of the viewer's input process (if on) -> OCIODisplay
    (the viewer's display/view) -> Write (JPEG, raw: no further conversion)

so the JPEG holds the display-referred image the artist sees (without the
viewer's gain/gamma sliders) and goes to reviewers byte for byte. The render
runs on Nuke's main thread; reading the file back happens on the caller's.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from typing import Optional

import nuke

from overshoulder.core.model import HostObject
from overshoulder.core.scratch import ScratchFolder, discard, take

from .defaults import JPEG_QUALITY, JPEG_SUB_SAMPLING
from .graph import (
    active_viewer_node,
    current_frame,
    deselect_all,
    image_version,
    in_root,
    knob_value,
    node_by_full_name,
    undo_disabled,
    viewed_node,
)
from .identity import host_object

log = logging.getLogger("overshoulder.nuke")

#: A viewerProcess value "View (Display)", as Nuke lists OCIO displays and views.
_VIEW_DISPLAY = re.compile(r"^(?P<view>.+?)\s*\((?P<display>[^()]+)\)$")
#: viewerProcess values that mean "no display transform".
_NO_TRANSFORM = {"", "None", "none", "Raw", "raw"}


class CaptureFailed(RuntimeError):
    """Nuke could not render what the viewer shows; the message says which node and why."""


@dataclass(frozen=True)
class Rendered:
    """A frame rendered to ``path`` (a JPEG the caller reads and removes)."""

    path: str
    frame: int
    source: HostObject
    version: str
    display: Optional[str]
    view: Optional[str]


def display_view(viewer: nuke.Node) -> tuple[Optional[str], Optional[str]]:
    """The OCIO (display, view) of a Viewer's ``viewerProcess``; (None, None) for none.

    Nuke lists OCIO views as "View (Display)", e.g. "sRGB (ACES)"; a plain
    name (Nuke's own LUTs, older configs) is a view of the default display.
    """
    process = str(knob_value(viewer, "viewerProcess", "") or "").strip()
    if process in _NO_TRANSFORM:
        return None, None
    match = _VIEW_DISPLAY.match(process)
    if match:
        return match.group("display").strip(), match.group("view").strip()
    return None, process


class ViewerRender:
    """Renders the viewed node at the current frame; ``render`` runs on the main thread."""

    def __init__(self, folder: Optional[str] = None) -> None:
        """``folder``: where the renders go (kept by ``cleanup``); default, a private one."""
        self._scratch = ScratchFolder("overshoulder-nuke-", folder)
        #: True while temporary nodes exist (their knob changes are ours, not the artist's).
        self.busy = False

    def folder(self) -> str:
        """The folder the renders go to (made on first use)."""
        return self._scratch.path()

    def cleanup(self) -> None:
        """Remove the private folder and what is left in it (a folder given is kept)."""
        self._scratch.cleanup()

    def render(self) -> Optional[Rendered]:
        """Render what the active viewer shows; None when it shows nothing.

        Raises ``CaptureFailed`` naming the node, the frame and Nuke's error.
        Temporary nodes are deleted and undo re-enabled whatever happens.
        """
        viewer = active_viewer_node()
        node = viewed_node()
        if viewer is None or node is None:
            return None
        return self.render_node(node, viewer)

    def render_node(
        self, node: nuke.Node, viewer: Optional[nuke.Node], sub_sampling: str = JPEG_SUB_SAMPLING
    ) -> Rendered:
        """Render ``node`` at the current frame as ``viewer`` would show it (its input process
        and display transform; none without a viewer, as under ``nuke -t``)."""
        frame = current_frame()
        path = self._scratch.numbered("view", ".jpg")
        display, view = display_view(viewer) if viewer is not None else (None, None)
        made: list[nuke.Node] = []
        self.busy = True
        try:
            with undo_disabled(), in_root():  # temporary nodes at the top, whatever the context
                try:
                    top = node
                    process = self._input_process(viewer, made) if viewer is not None else None
                    if process is not None:
                        process.setInput(0, top)
                        top = process
                    if view is not None:
                        ocio = nuke.nodes.OCIODisplay()
                        made.append(ocio)
                        if display is not None:
                            ocio.knob("display").setValue(display)
                        ocio.knob("view").setValue(view)
                        ocio.setInput(0, top)
                        top = ocio
                    write = nuke.nodes.Write(file=path, file_type="jpeg")
                    made.append(write)
                    write.knob("_jpeg_quality").setValue(JPEG_QUALITY)
                    write.knob("_jpeg_sub_sampling").setValue(sub_sampling)
                    write.knob("raw").setValue(True)
                    write.setInput(0, top)
                    nuke.execute(write, frame, frame)
                except Exception as exc:
                    discard(path, log)
                    raise CaptureFailed(
                        f"rendering {node.fullName()} at frame {frame} failed: {exc}"
                    ) from exc
                finally:
                    for temporary in reversed(made):
                        _delete(temporary)
            if not os.path.exists(path):
                raise CaptureFailed(
                    f"rendering {node.fullName()} at frame {frame} wrote no file ({path})"
                )
            return Rendered(
                path=path,
                frame=frame,
                source=host_object(node),
                version=image_version(node),
                display=display,
                view=view,
            )
        finally:
            self.busy = False

    def _input_process(self, viewer: nuke.Node, made: list[nuke.Node]) -> Optional[nuke.Node]:
        """A copy of the viewer's input process node when it is on (None when not).

        A plain node is copied by its knobs; a Group or gizmo through a private
        copy/paste file (so its insides come along), with the selection restored.
        """
        if not knob_value(viewer, "input_process", False):
            return None
        name = str(knob_value(viewer, "input_process_node", "") or "")
        original = node_by_full_name(name) if name else None
        if original is None:
            return None
        if original.Class() in ("Group", "Gizmo") or original.knob("gizmo_file") is not None:
            return self._paste_copy(original, made)
        copy = getattr(nuke.nodes, original.Class())()
        made.append(copy)
        copy.readKnobs(original.writeKnobs(nuke.WRITE_NON_DEFAULT_ONLY | nuke.TO_SCRIPT))
        return copy

    def _paste_copy(self, original: nuke.Node, made: list[nuke.Node]) -> nuke.Node:
        selected = nuke.selectedNodes()
        clip = self._scratch.file("input-process.nk")
        try:
            deselect_all()
            original.setSelected(True)
            nuke.nodeCopy(clip)
            original.setSelected(False)
            copy = nuke.nodePaste(clip)
            made.append(copy)
            copy.setSelected(False)
            return copy
        finally:
            discard(clip, log)
            deselect_all()
            for n in selected:
                n.setSelected(True)


def read_back(rendered: Rendered) -> bytes:
    """The rendered JPEG's bytes; the file is removed (any thread)."""
    return take(rendered.path, log)


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's frame header; ``ValueError`` when it has none."""
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG file (no SOI marker)")
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            i += 1 if marker == 0xFF else 2
            continue
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height = int.from_bytes(data[i + 5 : i + 7], "big")
            width = int.from_bytes(data[i + 7 : i + 9], "big")
            return width, height
        i += 2 + length
    raise ValueError("JPEG without a frame header (SOF marker)")


def _delete(node: nuke.Node) -> None:
    try:
        nuke.delete(node)
    except Exception as exc:  # already gone (a callback deleted it): nothing left to clean
        log.debug("a temporary node could not be deleted: %s", exc)
