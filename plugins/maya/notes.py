"""Notes kept in the scene: one string attribute per note on one network node.

Where: a ``network`` node ("overshoulderNotes", found by its ``overshoulderStore`` marker
attribute, whatever it is renamed to) holds one string attribute per note
(``osNote_<the id's 32 hex digits>``) with the note as JSON (``overshoulder.core.schema``'s
encoding of the Annotation: text, author, frame, shapes, resolved status) and what the
adapter made for it in the scene (the camera it was seen through, the callout, the pencil
frame), all by UUID. Saved with the .ma/.mb like any attribute; ``cmds.file(open=True)``
brings it back.

Why one node and not attributes on the objects the notes are about: a rig control is
often in a referenced file, where an added attribute is a reference edit that is lost
when the reference is reloaded or swapped; a locked node refuses new attributes; a
deleted object would take its notes with it; and one node is one place to read on open.
The object is named by its UUID instead, which survives renames and reparenting.
Why one attribute per note: an update rewrites one small string, and a damaged one spoils
only itself. Written with undo off, so notes never enter the artist's undo queue.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any, Optional

from maya import cmds

from overshoulder.core.errors import ProtocolError
from overshoulder.core.model import Annotation
from overshoulder.core.schema import decode, encode

from .defaults import NOTE_ATTR_PREFIX, STORE_MARK, STORE_NODE
from .scene import undo_off

log = logging.getLogger("overshoulder.maya")


@dataclass(frozen=True)
class Stored:
    """A note and what was made for it in the scene (UUIDs; None: nothing made)."""

    note: Annotation
    camera: Optional[str] = None
    callout: Optional[str] = None
    sketch_camera: Optional[str] = None


def attr_name(annotation_id: str) -> str:
    """The attribute a note is kept in (Maya attribute names: letters, digits, _)."""
    return NOTE_ATTR_PREFIX + uuid.UUID(annotation_id).hex


class NoteStore:
    """The notes of the open scene. Main thread only; nothing is cached between calls."""

    def node(self, create: bool = False) -> Optional[str]:
        """The store node (made when ``create`` and missing)."""
        for name in cmds.ls(type="network") or []:
            if cmds.attributeQuery(STORE_MARK, node=name, exists=True):
                return str(name)
        if not create:
            return None
        with undo_off():
            made = cmds.createNode("network", name=STORE_NODE, skipSelect=True)
            cmds.addAttr(made, longName=STORE_MARK, attributeType="bool")
            cmds.setAttr(f"{made}.{STORE_MARK}", True)
        return str(made)

    def all(self) -> list[Stored]:
        node = self.node()
        if node is None:
            return []
        out = []
        for attr in cmds.listAttr(node, userDefined=True) or []:
            if str(attr).startswith(NOTE_ATTR_PREFIX):
                stored = self._read(node, str(attr))
                if stored is not None:
                    out.append(stored)
        return out

    def get(self, annotation_id: str) -> Optional[Stored]:
        node = self.node()
        if node is None:
            return None
        attr = attr_name(annotation_id)
        if not cmds.attributeQuery(attr, node=node, exists=True):
            return None
        return self._read(node, attr)

    def put(self, stored: Stored) -> None:
        node = self.node(create=True)
        assert node is not None
        attr = attr_name(stored.note.id)
        text = json.dumps(
            {
                "note": encode(stored.note),
                "camera": stored.camera,
                "callout": stored.callout,
                "sketch_camera": stored.sketch_camera,
            },
            ensure_ascii=True,
            separators=(",", ":"),
            sort_keys=True,
        )
        with undo_off():
            if not cmds.attributeQuery(attr, node=node, exists=True):
                cmds.addAttr(node, longName=attr, dataType="string")
            cmds.setAttr(f"{node}.{attr}", text, type="string")

    def remove(self, annotation_id: str) -> bool:
        node = self.node()
        attr = attr_name(annotation_id)
        if node is None or not cmds.attributeQuery(attr, node=node, exists=True):
            return False
        with undo_off():
            cmds.deleteAttr(f"{node}.{attr}")
        return True

    def _read(self, node: str, attr: str) -> Optional[Stored]:
        text = cmds.getAttr(f"{node}.{attr}")
        try:
            raw: Any = json.loads(text or "")
            note = decode(Annotation, raw["note"])
        except (ValueError, KeyError, TypeError, ProtocolError) as exc:
            log.warning("%s.%s holds no readable note (%s); left as it is", node, attr, exc)
            return None
        return Stored(
            note=note,
            camera=raw.get("camera"),
            callout=raw.get("callout"),
            sketch_camera=raw.get("sketch_camera"),
        )
