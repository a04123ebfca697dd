"""NoteActions (core/history.py): what a note edit sends, what the document gets at once, and
undo/redo of one's own steps, against a client whose state changes when the relay acks."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from overshoulder.core.client.protocol import annotation_changes
from overshoulder.core.history import NoteActions
from overshoulder.core.limits import DEFAULT_LIMITS
from overshoulder.core.model import Anchor, Annotation, Participant, Shape, new_id
from overshoulder.core.protocol import MESSAGES
from overshoulder.core.protocol.events import SessionState, as_stored, fill, relay_fill
from overshoulder.core.schema import decode, encode

ME = Participant(id="p1", name="Sam", role="reviewer")


class _Client:
    """A client as NoteActions sees it: what it sends, and a state that takes each event
    when ``ack`` says the relay stored it (as the real one shows one's own events)."""

    def __init__(self) -> None:
        self.participant = ME
        self.state = SessionState()
        self.sent: list[tuple[str, dict[str, Any]]] = []

    @property
    def annotations(self) -> dict[str, Annotation]:
        return self.state.notes

    def add_annotation(self, note: Annotation) -> str:
        return self._send("annotation_add", {"annotation": encode(note)})

    def update_annotation(self, note_id: str, *, clear: Any = (), **changes: Any) -> str:
        return self._send("annotation_update", annotation_changes(note_id, clear, changes))

    def delete_annotation(self, note_id: str) -> str:
        return self._send("annotation_delete", {"id": note_id})

    def _send(self, mtype: str, data: dict[str, Any]) -> str:
        self.sent.append((mtype, data))
        return new_id()

    def ack(self) -> None:
        """The relay stored everything sent so far (filling in who and when, as it does)."""
        for mtype, data in self.sent:
            body = decode(MESSAGES[mtype].body, data, "data", DEFAULT_LIMITS)
            stored = fill(mtype, as_stored(body), relay_fill(mtype, body, ME, 1000.0))
            self.state.apply(mtype, stored)
        self.sent = []


class _Sharer:
    """The Sharer and the host at once: the document's notes, changed on the 'main thread'."""

    def __init__(self) -> None:
        self.client = _Client()
        self.host = self
        self.document: dict[str, Annotation] = {}

    def add_note(self, note: Annotation) -> str:
        self.document[note.id] = note
        return self.client.add_annotation(note)

    def run_on_main(self, fn: Callable[[], None]) -> None:
        fn()

    def apply_annotation(self, note: Annotation) -> None:
        self.document[note.id] = note

    def remove_annotation(self, note_id: str) -> None:
        self.document.pop(note_id, None)


@pytest.fixture
def sharer() -> _Sharer:
    return _Sharer()


def _stored(sharer: _Sharer, actions: NoteActions, text: str = "warmer") -> Annotation:
    note = Annotation(
        new_id(), Shape(kind="arrow", start=(0, 0), end=(0.1, 0.1)), Anchor(frame=1), text=text
    )
    actions.add(note)
    sharer.client.ack()
    return note


@pytest.mark.parametrize("emptied", ["", "  \n\t"])
def test_emptied_words_clear_the_field_as_the_page_does(sharer: _Sharer, emptied: str) -> None:
    actions = NoteActions(sharer)  # type: ignore[arg-type]
    note = _stored(sharer, actions)
    actions.set_text(note.id, emptied)
    assert sharer.client.sent == [("annotation_update", {"id": note.id, "clear": ["text"]})]
    assert sharer.document[note.id].text is None, "the document loses the words at once"
    sharer.client.ack()
    assert sharer.client.annotations[note.id].text is None
    assert sharer.client.annotations[note.id] == sharer.document[note.id]


def test_words_are_sent_as_written_and_set_again_after_a_clear(sharer: _Sharer) -> None:
    actions = NoteActions(sharer)  # type: ignore[arg-type]
    note = _stored(sharer, actions)
    actions.set_text(note.id, "")
    sharer.client.ack()
    actions.set_text(note.id, " cooler ")
    assert sharer.client.sent == [("annotation_update", {"id": note.id, "text": " cooler "})]
    assert sharer.document[note.id].text == " cooler "
    sharer.client.ack()
    assert sharer.client.annotations[note.id].text == " cooler "


def test_undoing_the_delete_of_a_cleared_note_brings_it_back_without_words(
    sharer: _Sharer,
) -> None:
    """What comes back is the note as it was when it went: after a clear, without words;
    after new words, with them."""
    actions = NoteActions(sharer)  # type: ignore[arg-type]
    note = _stored(sharer, actions)
    actions.set_text(note.id, "")
    sharer.client.ack()
    actions.delete([note.id])
    sharer.client.ack()
    assert note.id not in sharer.document
    actions.undo()
    ((mtype, data),) = sharer.client.sent
    assert mtype == "annotation_add" and "text" not in data["annotation"]
    sharer.client.ack()
    assert sharer.client.annotations[note.id].text is None
    assert sharer.document[note.id].text is None
    actions.set_text(note.id, "back")
    sharer.client.ack()
    actions.undo()  # the add of the restore is undone: the note goes again, with its words
    sharer.client.ack()
    actions.redo()
    ((mtype, data),) = sharer.client.sent
    assert mtype == "annotation_add" and data["annotation"]["text"] == "back"


def test_status_and_range_changes_reach_the_document_as_the_relay_makes_them(
    sharer: _Sharer,
) -> None:
    actions = NoteActions(sharer)  # type: ignore[arg-type]
    note = _stored(sharer, actions)
    actions.set_range(note.id, 1012, 1001)
    assert sharer.document[note.id].anchor == Anchor(frame=1001, duration=12)
    sharer.client.ack()
    actions.set_range(note.id, 1005, 1005)  # one frame: the whole anchor replaces the range
    assert sharer.client.sent == [("annotation_update", {"id": note.id, "anchor": {"frame": 1005}})]
    sharer.client.ack()
    actions.set_status(note.id, "done")
    assert sharer.client.sent == [("annotation_update", {"id": note.id, "status": "done"})]
    sharer.client.ack()
    assert sharer.client.annotations[note.id] == sharer.document[note.id]
    assert sharer.document[note.id].anchor == Anchor(frame=1005)
    assert sharer.document[note.id].status == "done"
    with pytest.raises(KeyError, match="no note nobody"):
        actions.set_range("nobody", 1, 2)
