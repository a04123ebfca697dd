"""Notes kept in the script: JSON in a hidden knob on the node each note is about.

Each node with notes holds one invisible String_Knob (``NOTES_KNOB``) with one
JSON object ``{annotation id: annotation}`` (``overshoulder.core.schema``'s
encoding); notes about no node are kept on the Root node. The knob is saved
with the .nk, so the notes come back when the script is reopened. JSON is
written as ASCII (non-ASCII characters escaped), one line, so the .nk holds
it byte for byte.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any, Optional

import nuke

from overshoulder.core.errors import ProtocolError
from overshoulder.core.model import Annotation
from overshoulder.core.schema import decode, encode

from .defaults import CLEARED_KNOB, NOTES_KNOB
from .graph import all_nodes, hidden_text, set_hidden_text, undo_disabled

log = logging.getLogger("overshoulder.nuke")

#: How many parsed knob texts to keep (parsing is the costly part of a lookup).
_PARSED_CACHE = 256


class NoteStore:
    """The notes of the open script, read from and written to the nodes' hidden knobs.

    Main thread only. Nothing is cached but parsed knob text, so what the
    script holds (after an undo, a paste or a reopen) is always what is read.
    """

    def __init__(self) -> None:
        self._parsed: dict[str, dict[str, Any]] = {}

    # --- reading ---------------------------------------------------------------------------

    def holders(self) -> Iterator[nuke.Node]:
        """Every node with notes (inside Groups too), Root last."""
        for n in all_nodes():
            if n.knob(NOTES_KNOB) is not None:
                yield n
        root = nuke.root()
        if root.knob(NOTES_KNOB) is not None:
            yield root

    def read(self, node: nuke.Node) -> dict[str, Any]:
        """The notes on ``node``, as stored (id -> encoded annotation); a copy."""
        text = hidden_text(node, NOTES_KNOB)
        if not text:
            return {}
        parsed = self._parsed.get(text)
        if parsed is None:
            try:
                parsed = json.loads(text)
            except ValueError as exc:
                log.warning("%s: the notes knob holds no JSON (%s); ignored", node.name(), exc)
                parsed = {}
            if not isinstance(parsed, dict):
                log.warning("%s: the notes knob holds no JSON object; ignored", node.name())
                parsed = {}
            if len(self._parsed) >= _PARSED_CACHE:
                self._parsed.clear()
            self._parsed[text] = parsed
        return dict(parsed)

    def where(self, annotation_id: str) -> Optional[nuke.Node]:
        """The node holding the note ``annotation_id`` (None: the script has no such note)."""
        for node in self.holders():
            if annotation_id in self.read(node):
                return node
        return None

    def on(self, node: nuke.Node) -> list[Annotation]:
        """The notes on ``node``, decoded (a note that no longer decodes is skipped)."""
        return [n for n in (_decode(raw, node) for raw in self.read(node).values()) if n]

    def all(self) -> list[Annotation]:
        """Every note the script holds."""
        out: list[Annotation] = []
        seen: set[str] = set()
        for node in self.holders():
            for note in self.on(node):
                if note.id not in seen:
                    seen.add(note.id)
                    out.append(note)
        return out

    # --- writing ---------------------------------------------------------------------------

    def put(self, note: Annotation, node: nuke.Node) -> None:
        """Keep ``note`` on ``node``, replacing any note with its id (moved from another node)."""
        with undo_disabled():
            old = self.where(note.id)
            if old is not None and old != node:
                self._write(old, {k: v for k, v in self.read(old).items() if k != note.id})
            notes = self.read(node)
            notes[note.id] = encode(note)
            self._write(node, notes)

    def remove(self, annotation_id: str) -> bool:
        """Remove the note from the script; False when it holds no such note."""
        node = self.where(annotation_id)
        if node is None:
            return False
        with undo_disabled():
            notes = self.read(node)
            notes.pop(annotation_id, None)
            self._write(node, notes)
        return True

    def _write(self, node: nuke.Node, notes: dict[str, Any]) -> None:
        text = json.dumps(notes, ensure_ascii=True, separators=(",", ":"), sort_keys=True)
        set_hidden_text(node, NOTES_KNOB, text if notes else None)

    # --- resolved notes cleared from the script --------------------------------------------------

    def cleared(self) -> set[str]:
        """Ids of resolved notes that were cleared from the script."""
        text = hidden_text(nuke.root(), CLEARED_KNOB)
        try:
            ids = json.loads(text) if text else []
        except ValueError:
            ids = []
        return {str(i) for i in ids} if isinstance(ids, list) else set()

    def set_cleared(self, ids: set[str]) -> None:
        with undo_disabled():
            text = json.dumps(sorted(ids)) if ids else None
            set_hidden_text(nuke.root(), CLEARED_KNOB, text)


def _decode(raw: Any, node: nuke.Node) -> Optional[Annotation]:
    try:
        return decode(Annotation, raw)
    except (ProtocolError, TypeError, ValueError) as exc:
        log.warning("%s: a stored note cannot be read (%s); left as it is", node.name(), exc)
        return None
