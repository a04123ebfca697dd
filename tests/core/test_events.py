"""The one definition of how stored events change a session (core/protocol/events.py): each
kind of event, ``clear``, what the relay fills in, and stored events read back."""

from __future__ import annotations

import dataclasses
import json

import pytest

from overshoulder.core.errors import ProtocolError
from overshoulder.core.model import (
    Anchor,
    Annotation,
    ChatMessage,
    ImageRef,
    Participant,
    SessionInfo,
    Shape,
)
from overshoulder.core.protocol import CLEARABLE, dumps
from overshoulder.core.protocol.events import (
    CREATED_AHEAD_S,
    RELAY_FILLED,
    Filled,
    SessionState,
    Unreadable,
    as_stored,
    fill,
    filled_in,
    read_filled,
    read_stored,
    relay_fill,
    stored_body,
    updated,
)
from overshoulder.core.protocol.messages import (
    AnnotationAdd,
    AnnotationDelete,
    AnnotationUpdate,
    SessionUpdate,
)
from overshoulder.core.schema import encode

NOTE = Annotation(
    id="6f1c8f5e-6d3b-4b8e-9b5e-1a2b3c4d5e6f",
    shape=Shape(kind="line", start=(0.0, 0.0), end=(0.123456789, -0.2)),
    anchor=Anchor(frame=1012, duration=9),
    text="soften the rim light",
)


def test_every_clearable_name_is_removed_and_clearing_what_a_note_lacks_changes_nothing():
    bare = Annotation(id=NOTE.id, shape=NOTE.shape, anchor=Anchor(frame=1012))
    for name in CLEARABLE:
        assert updated(bare, AnnotationUpdate(NOTE.id, clear=[name])) == bare
    both = updated(NOTE, AnnotationUpdate(NOTE.id, clear=list(CLEARABLE)))
    assert both == bare


def test_notes_are_added_changed_cleared_deleted_and_restored():
    state = SessionState()
    assert state.apply("annotation_add", AnnotationAdd(NOTE)) == "notes"
    change = AnnotationUpdate(NOTE.id, anchor=Anchor(frame=1020), clear=["text"])
    assert state.apply("annotation_update", change) == "notes"
    assert state.notes[NOTE.id].anchor == Anchor(frame=1020)
    assert state.notes[NOTE.id].text is None
    again = AnnotationUpdate(NOTE.id, text="warmer", clear=["anchor.duration"])
    state.apply("annotation_update", again)
    assert state.notes[NOTE.id].text == "warmer"
    assert state.apply("annotation_update", AnnotationUpdate("nobody", status="done")) is None
    assert state.apply("annotation_delete", AnnotationDelete(NOTE.id)) == "notes"
    assert NOTE.id not in state.notes and state.deleted[NOTE.id].text == "warmer"
    assert state.apply("annotation_delete", AnnotationDelete(NOTE.id)) is None
    state.apply("annotation_add", AnnotationAdd(NOTE))
    assert NOTE.id in state.notes and NOTE.id not in state.deleted


def test_chat_is_kept_once_per_id_and_only_the_latest_lines():
    state = SessionState(chat_kept=2)
    lines = [
        ChatMessage(id=f"6f1c8f5e-6d3b-4b8e-9b5e-1a2b3c4d5e6{i}", text=str(i)) for i in range(3)
    ]
    for line in lines:
        assert state.apply("chat", line) == "chat"
    assert state.apply("chat", lines[2]) is None
    assert [c.text for c in state.chat] == ["1", "2"]


def test_chat_lines_are_kept_in_seq_order_with_lines_of_no_seq_yet_at_the_end():
    state = SessionState(chat_kept=3)
    lines = [
        ChatMessage(id=f"6f1c8f5e-6d3b-4b8e-9b5e-1a2b3c4d5e6{i}", text=str(i)) for i in range(5)
    ]
    state.reset((), (), lines[:1], seq=2)
    state.apply("chat", lines[1], seq=5)
    state.apply("chat", lines[2])  # no seq yet: at the end
    assert state.apply("chat", lines[3], seq=3) == "chat"
    assert [c.text for c in state.chat] == ["3", "1", "2"]  # full: the snapshot's line went
    assert state.apply("chat", lines[4], seq=1) is None  # older than every line kept
    assert [c.text for c in state.chat] == ["3", "1", "2"]


def test_session_events_change_only_what_they_name():
    state = SessionState(SessionInfo("s", "Shot", 1.0, host_name="Mia"))
    state.apply("session", SessionUpdate(watermark="off"))
    state.apply("session", SessionUpdate(name="Shot 020", closed=True))
    assert state.session == SessionInfo("s", "Shot 020", 1.0, "Mia", closed=True, watermark="off")
    assert SessionState().apply("session", SessionUpdate(name="x")) is None


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"text": "x", "clear": ["text"]}, "text is both set and cleared"),
        ({"anchor": Anchor(frame=1, duration=2), "clear": ["anchor.duration"]}, "anchor.duration"),
        ({"clear": ["text", "text"]}, "clear names text twice"),
        ({"clear": ["style"]}, "text, anchor.duration"),
    ],
)
def test_an_update_that_both_sets_and_clears_or_names_a_field_twice_is_refused(kwargs, words):
    with pytest.raises(ProtocolError) as caught:
        AnnotationUpdate(NOTE.id, **kwargs)
    assert caught.value.field == "clear" and words in caught.value.message


def test_the_relay_s_fields_are_written_by_one_function_and_read_back_from_the_ack():
    body = as_stored(AnnotationAdd(NOTE))
    assert body.annotation.shape.end == (0.12346, -0.2), "coordinates as the relay stores them"
    image = ImageRef(hash="ab" * 32)
    values = Filled(author="p1", author_name="Sam", created=5.0, image=image, ts=9.0)
    stored = fill("annotation_add", body, values)
    note = stored.annotation
    assert (note.author, note.author_name, note.created, note.anchor.image) == (
        "p1",
        "Sam",
        5.0,
        image,
    )
    assert note.anchor.duration == 9, "the rest of the anchor stays"
    ack = encode(filled_in("annotation_add", stored))
    assert ack == {
        "author": "p1",
        "author_name": "Sam",
        "created": 5.0,
        "image": {"hash": "ab" * 32},
    }
    assert set(ack) <= set(RELAY_FILLED["annotation_add"])
    assert read_filled("annotation_add", {**ack, "ts": 3.0, "text": "x"}) == Filled(
        author="p1", author_name="Sam", created=5.0, image=image
    )
    with pytest.raises(ProtocolError) as caught:
        read_filled("chat", {"author": 7})
    assert caught.value.field == "filled.author"
    chat = fill("chat", ChatMessage(id=NOTE.id, text="hi"), values)
    assert (chat.author, chat.ts) == ("p1", 9.0)
    assert fill("annotation_delete", AnnotationDelete(NOTE.id), values) == AnnotationDelete(NOTE.id)


def test_the_relay_fills_in_the_sender_and_the_time_unless_a_host_s_note_says_both():
    sam = Participant(id="p1", name="Sam", role="reviewer")
    hana = Participant(id="p2", name="Hana", role="host")
    now = 1000.0
    theirs = Annotation(
        id=NOTE.id, shape=NOTE.shape, anchor=NOTE.anchor, author="p9", author_name="Ed", created=5.0
    )
    sent = Filled(author="p1", author_name="Sam", created=now)
    # A reviewer's own created (or author) is never kept.
    assert relay_fill("annotation_add", AnnotationAdd(theirs), sam, now) == sent
    # A host's note back from the document keeps who made it and when.
    assert relay_fill("annotation_add", AnnotationAdd(theirs), hana, now) == Filled()
    # ... only when it says all of it, at a time that may be true.
    for partial in (
        dataclasses.replace(theirs, author_name=None),
        dataclasses.replace(theirs, created=None),
        dataclasses.replace(theirs, created=0.0),
        dataclasses.replace(theirs, created=now + CREATED_AHEAD_S + 1),
    ):
        filled = relay_fill("annotation_add", AnnotationAdd(partial), hana, now)
        assert filled == Filled(author="p2", author_name="Hana", created=now), partial
    ahead = dataclasses.replace(theirs, created=now + CREATED_AHEAD_S)
    assert relay_fill("annotation_add", AnnotationAdd(ahead), hana, now) == Filled()
    line = ChatMessage(id=NOTE.id, text="hi", author="p9", ts=3.0)
    assert relay_fill("chat", line, hana, now) == Filled(author="p2", author_name="Hana", ts=now)
    assert relay_fill("annotation_delete", AnnotationDelete(NOTE.id), sam, now) == Filled()
    for mtype, body in (("annotation_add", AnnotationAdd(NOTE)), ("chat", line)):
        names = {k for k, v in vars(relay_fill(mtype, body, sam, now)).items() if v is not None}
        assert names <= set(RELAY_FILLED[mtype]), mtype


def test_stored_events_read_back_typed_and_bad_ones_say_why():
    add = AnnotationAdd(NOTE)
    text = dumps({"v": 1, "type": "annotation_add", "data": encode(add), "eid": "e", "seq": 1})
    assert read_stored("annotation_add", text) == add == stored_body("annotation_add", encode(add))
    update = {"v": 1, "type": "annotation_update", "data": {"id": NOTE.id, "clear": ["text"]}}
    assert read_stored("annotation_update", json.dumps(update)).clear == ["text"]
    assert read_stored("playhead", json.dumps({"v": 1, "data": {"frame": 1}})) is None
    with pytest.raises(ProtocolError) as caught:
        read_stored("annotation_update", json.dumps({"v": 1, "data": {"clear": ["text"]}}))
    assert caught.value.field == "data.id"
    bad = {"v": 1, "data": {"id": NOTE.id, "text": "x", "clear": ["text"]}}
    with pytest.raises(ProtocolError) as caught:
        read_stored("annotation_update", json.dumps(bad))
    assert caught.value.field == "data.clear", "the schema's verdict, with its path"
    with pytest.raises(Unreadable, match="not JSON"):
        read_stored("chat", '{"v":1,"data":')
    with pytest.raises(Unreadable, match="data object"):
        read_stored("chat", '{"v":1,"data":[1]}')
