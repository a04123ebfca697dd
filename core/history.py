"""Making, changing and removing notes from the app, with undo/redo of one's own steps.

As in the browser (relay/web/js/notes.js): undo of an add deletes the note,
undo of a delete restores it (``annotation_add`` with the same id, as its
author sends it), undo of a move moves it back. Each step also goes into the
app's document through the host, since the session does not echo one's own
events back. No Qt here; call it on the app's main thread.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Optional

from .model import Annotation, Shape
from .protocol.events import SETTABLE, updated
from .protocol.messages import AnnotationUpdate
from .share import Sharer


@dataclass
class _Step:
    kind: Literal["add", "delete", "move"]
    notes: list[Annotation] = field(default_factory=list)
    before: Optional[Shape] = None
    after: Optional[Shape] = None


class NoteActions:
    """One participant's note edits through a ``Sharer``, and their undo/redo history."""

    def __init__(self, sharer: Sharer) -> None:
        self.sharer = sharer
        self.client = sharer.client
        self.host = sharer.host
        self._undo: list[_Step] = []
        self._redo: list[_Step] = []
        #: This participant's own adds and deletes the client's state does not show yet (it
        #: shows one's own events once the relay has stored them): id -> exists afterwards.
        self._intent: dict[str, bool] = {}

    # --- who may do what ------------------------------------------------------------------

    @property
    def can_draw(self) -> bool:
        me = self.client.participant
        return me is not None and me.role in ("host", "reviewer")

    def mine(self, note: Annotation) -> bool:
        """May this participant change or delete ``note`` (its author, or a host)?"""
        me = self.client.participant
        return me is not None and (me.role == "host" or note.author == me.id)

    # --- edits ---------------------------------------------------------------------------------

    def add(self, note: Annotation) -> None:
        self._add(note)
        self._record(_Step("add", [note]))

    def delete(self, ids: Iterable[str]) -> None:
        """Delete the notes of ``ids`` this participant may delete (the others are left)."""
        current = self.client.annotations
        notes = [current[i] for i in ids if i in current and self.mine(current[i])]
        if not notes:
            return
        for note in notes:
            self._delete(note.id)
        self._record(_Step("delete", [_as_sent(n) for n in notes]))

    def move(self, note: Annotation, after: Shape) -> None:
        self._reshape(note.id, after)
        self._record(_Step("move", [note], before=note.shape, after=after))

    def set_status(self, note_id: str, status: Literal["open", "done"]) -> None:
        """Mark done / open again (anyone who may draw; not an undo step, as in the browser)."""
        self._change(AnnotationUpdate(note_id, status=status))

    def set_range(self, note_id: str, first: int, last: int) -> None:
        """Make the note hold frames ``first .. last`` (either order; one frame: a plain note)."""
        note = self.client.annotations.get(note_id)
        if note is None:
            raise KeyError(f"no note {note_id} in this session")
        self._change(AnnotationUpdate(note_id, anchor=note.anchor.over(first, last)))

    def set_text(self, note_id: str, text: str) -> None:
        """New words for a note; none (or only spaces) takes its words away: the protocol's
        ``clear``, as the page sends it for an emptied editor."""
        if text.strip():
            self._change(AnnotationUpdate(note_id, text=text))
        else:
            self._change(AnnotationUpdate(note_id, clear=["text"]))

    # --- undo / redo ------------------------------------------------------------------------

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo(self) -> None:
        if self._undo:
            step = self._undo.pop()
            self._replay(step, backwards=True)
            self._redo.append(step)

    def redo(self) -> None:
        if self._redo:
            step = self._redo.pop()
            self._replay(step, backwards=False)
            self._undo.append(step)

    def _replay(self, step: _Step, backwards: bool) -> None:
        current = self.client.annotations
        if step.kind == "move":
            shape = step.before if backwards else step.after
            if step.notes[0].id in current and shape is not None:
                self._reshape(step.notes[0].id, shape)
            return
        restore = (step.kind == "add") != backwards
        if not restore:
            # What goes away now comes back later as it is now (its words may have changed).
            step.notes = [_as_sent(current.get(n.id, n)) for n in step.notes]
        for note in step.notes:
            exists = self._exists(note.id, current)
            if restore and not exists:
                self._add(note)
            elif not restore and exists:
                self._delete(note.id)

    def _record(self, step: _Step) -> None:
        self._undo.append(step)
        self._redo = []

    # --- into the session and the document ----------------------------------------------------

    def _exists(self, note_id: str, current: Mapping[str, Annotation]) -> bool:
        """Whether the note exists once this participant's own edits in flight are applied."""
        here = note_id in current
        intent = self._intent.get(note_id)
        if intent is None or intent == here:
            self._intent.pop(note_id, None)  # the state has caught up
            return here
        return intent

    def _add(self, note: Annotation) -> None:
        self._intent[note.id] = True
        self.sharer.add_note(note)

    def _delete(self, note_id: str) -> None:
        self._intent[note_id] = False
        self.client.delete_annotation(note_id)
        self.host.run_on_main(lambda: self.host.remove_annotation(note_id))

    def _reshape(self, note_id: str, shape: Shape) -> None:
        self._change(AnnotationUpdate(note_id, shape=shape))

    def _change(self, update: AnnotationUpdate) -> None:
        """Send ``update``, and put the note as it leaves it into the document (the session
        does not echo one's own events back); the change is made as the relay makes it."""
        changes = {name: getattr(update, name) for name in SETTABLE}
        self.client.update_annotation(update.id, clear=update.clear or (), **changes)
        note = self.client.annotations.get(update.id)
        if note is None:
            return
        changed = updated(note, update)
        self.host.run_on_main(lambda: self.host.apply_annotation(changed))


def _as_sent(note: Annotation) -> Annotation:
    """A note as its author sends it again (the relay fills in author fields and the time)."""
    return dataclasses.replace(note, author=None, author_name=None, created=None)
