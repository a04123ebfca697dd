"""A room loaded from its log gives each note the text ``dumps(encode(note))`` gives: read from
the stored event where it is that text (as the relay writes notes), written again where it is
not (another stored form); notes changed after the load, and a room loaded again, agree."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from pathlib import Path
from typing import Any, Optional

import pytest

from overshoulder.core.limits import DEFAULT_LIMITS
from overshoulder.core.model import Participant
from overshoulder.core.protocol.events import as_stored, read_stored
from overshoulder.core.protocol.messages import build, dumps, parse
from overshoulder.core.schema import encode
from overshoulder.relay import rooms
from overshoulder.relay.frames import FrameStore
from overshoulder.relay.rooms import ControlConn, Room
from overshoulder.relay.store.base import EventRecord, SessionRecord
from overshoulder.relay.store.sqlite import SqliteStore

SESSION = SessionRecord("s1", "Shot", 1.0, "Mia")


def _ann(shape: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "shape": shape, "anchor": {"frame": 1001}, **more}


#: Notes of every kind, with the fields and characters a note may hold.
NOTES = [
    _ann({"kind": "stroke", "points": [[0.1, -0.2], [0.123456789, 0.5]]}, text="plain"),
    _ann({"kind": "line", "start": [0, 0], "end": [1, 1]}, style={"color": [1, 0, 0, 1]}),
    _ann({"kind": "arrow", "start": [0.25, 0.5], "end": [-0.75, 0.125]}, status="done"),
    _ann(
        {"kind": "rect", "min": [-0.5, -0.5], "max": [0.5, 0.5]}, text='Café "quoted" \\ \n\t ✓ 😀'
    ),
    _ann({"kind": "ellipse", "min": [0.1, 0.1], "max": [0.2, 0.3]}, author="h", created=1.5),
    _ann(
        {"kind": "text", "at": [0.0, 0.0], "text": "\u2028\x00\x7f", "size": 0.05},
        anchor={
            "frame": 7,
            "duration": 3,
            "time": {"value": 7.0, "rate": 24.0},
            "object": {"kind": "nuke.node", "path": "Grade1", "label": "Grade"},
            "image": {"hash": "ab" * 32},
        },
        author_name="Mia",
    ),
]


def _stored(ann: dict[str, Any]) -> tuple[Any, str]:
    """The note as the relay stores it, and the stored event's text."""
    sent = {"v": 1, "type": "annotation_add", "eid": "e", "data": {"annotation": ann}}
    body = as_stored(parse(json.dumps(sent)).data)
    return body.annotation, dumps(build("annotation_add", encode(body), eid="e", seq=1, ts=1.0))


def test_a_note_writes_the_text_encode_gives() -> None:
    for ann in NOTES:
        note, _ = _stored(ann)
        assert rooms._note_text(note) == dumps(encode(note))


def test_a_note_is_read_from_its_stored_event_only_where_that_holds_its_text() -> None:
    pytest.importorskip("msgspec")
    for ann in NOTES:
        note, text = _stored(ann)
        assert rooms._stored_note_text(note, text) == dumps(encode(note))
    note, text = _stored(NOTES[0])
    other_forms = [
        text.replace('"text":"plain","status":"open"', '"status":"open","text":"plain"'),
        text.replace('"status":"open"', '"status":"open","extra":1'),
        text.replace(",", ", "),
        text.replace('"v":1,', '"ref":"r","v":1,'),  # another envelope than the relay's
    ]
    for other in other_forms:
        assert rooms._stored_note_text(note, other) is None, other
    # msgspec writes 1e-05 as 0.00001: such a note is not taken from msgspec's text.
    tiny, tiny_text = _stored(_ann({"kind": "stroke", "points": [[0.00001, 0.5]]}))
    assert "1e-05" in tiny_text and rooms._stored_note_text(tiny, tiny_text) is None


class _Socket:
    async def send_str(self, data: str) -> None:
        pass

    async def send_bytes(self, data: bytes) -> None:
        pass

    async def close(self, **kwargs: Any) -> bool:
        return True


def _append(store: SqliteStore, records: list[EventRecord]) -> None:
    written = threading.Event()
    failed: list[Optional[BaseException]] = []

    def done(error: Optional[BaseException]) -> None:
        failed.append(error)
        written.set()

    store.append(records, done)
    assert written.wait(10) and failed == [None]


def _event(seq: int, mtype: str, data: dict[str, Any], text: Optional[str] = None) -> EventRecord:
    eid = str(uuid.uuid4())
    text = text or dumps(build(mtype, data, eid=eid, seq=seq, sender="h", ts=1.0))
    return EventRecord("s1", seq, eid, mtype, "h", 1.0, text)


def _every_text_is_its_notes(room: Room) -> None:
    for ann_id, note in room.annotations.items():
        assert room._annotation_text(ann_id) == dumps(encode(note))


def _texts(room: Room) -> list[str]:
    return [room._annotation_text(ann_id) for ann_id in room.annotations]


async def _loaded(tmp: Path, store: SqliteStore) -> Room:
    room = Room(SESSION, store, FrameStore(tmp / "frames"), DEFAULT_LIMITS)
    await asyncio.get_running_loop().run_in_executor(None, room.load)
    return room


def test_a_loaded_room_has_each_notes_text_and_keeps_it_through_edits(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "log.sqlite3")
    store.create_session(SESSION)
    stored = [_stored(ann) for ann in NOTES]
    records = [_event(i + 1, "annotation_add", {}, text) for i, (_, text) in enumerate(stored)]
    # Stored forms the relay does not write now: keys in another order, an integer
    # where a number is a float, no status, spaces.
    odd = _ann({"kind": "stroke", "points": [[0, 1]]}, text="odd")
    odd_data = {"annotation": {**dict(reversed(list(odd.items()))), "style": {"width": 0}}}
    spaced = json.dumps(
        {
            "v": 1,
            "type": "annotation_add",
            "data": {"annotation": _ann({"kind": "rect", "min": [0.0, 0.0], "max": [0.5, 0.5]})},
            "eid": "x",
            "seq": 8,
        }
    )
    records += [_event(7, "annotation_add", odd_data), _event(8, "annotation_add", {}, spaced)]
    first, second, third = (note.id for note, _ in stored[:3])
    records += [
        _event(9, "annotation_update", {"id": first, "text": "changed"}),
        _event(10, "annotation_delete", {"id": second}),
    ]
    try:
        _append(store, records)
        room = asyncio.run(_loaded(tmp_path, store))
        assert len(room.annotations) == len(NOTES) + 1 and room.damage_notice is None
        assert room.annotations[first].text == "changed"
        _every_text_is_its_notes(room)

        async def edit() -> Room:
            room = await _loaded(tmp_path, store)
            conn = ControlConn(_Socket(), Participant(id="h", name="Mia", role="host"), room.limits)
            room.add(conn)
            add_back = _stored(NOTES[1])[1].replace(NOTES[1]["id"], second)
            for text in [
                json.dumps(
                    {
                        "v": 1,
                        "type": "annotation_update",
                        "eid": "u1",
                        "data": {"id": third, "text": "after the load", "clear": []},
                    }
                ),
                json.dumps(
                    {"v": 1, "type": "annotation_delete", "eid": "d1", "data": {"id": first}}
                ),
                json.dumps(
                    {
                        "v": 1,
                        "type": "annotation_add",
                        "eid": "a1",
                        "data": json.loads(add_back)["data"],
                    }
                ),
            ]:
                room.submit(conn, parse(text))
            while room._waiting:  # the log's writer acknowledges on the loop
                await asyncio.sleep(0.01)
            return room

        live = asyncio.run(edit())
        assert first not in live.annotations and second in live.annotations
        assert live.annotations[third].text == "after the load"
        _every_text_is_its_notes(live)
        again = asyncio.run(_loaded(tmp_path, store))
        assert _texts(again) == _texts(live) and list(again.deleted) == list(live.deleted)
        assert read_stored("annotation_add", records[0].text).annotation == stored[0][0]
    finally:
        store.close()
