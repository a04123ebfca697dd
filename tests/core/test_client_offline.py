"""SessionClient without a real relay: durations, backoff, outbox, decoding, dispatch, resume."""

from __future__ import annotations

import dataclasses
import json
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Optional

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from overshoulder.core.client import (
    CONNECTION_LOST,
    UNREACHABLE,
    FrameCache,
    FrameSlot,
    Outbox,
    Outgoing,
    PendingEvent,
    SendQueue,
    SessionClient,
    SessionReplica,
    control_url,
    decode_relay_message,
    media_url,
    reconnect_delay,
    timeouts,
)
from overshoulder.core.client.decode import FAST_PATH_CURRENT, annotation_from_relay
from overshoulder.core.durations import DurationError, format_duration, parse_duration
from overshoulder.core.errors import ErrorCode, ProtocolError
from overshoulder.core.limits import DEFAULT_LIMITS
from overshoulder.core.model import (
    Anchor,
    Annotation,
    ChatMessage,
    HostObject,
    ImageRef,
    Participant,
    RationalTime,
    SessionInfo,
    Shape,
    Style,
    new_id,
)
from overshoulder.core.protocol import build, dumps, parse
from overshoulder.core.protocol.messages import AnnotationUpdate, Snapshot
from overshoulder.core.protocol.packet import FrameHeader
from overshoulder.core.schema import decode, encode

# --- helpers ----------------------------------------------------------------------------------


def wait_for(cond: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.01)
    return cond()


def arrow(frame: int = 1001, text: Optional[str] = None) -> Annotation:
    return Annotation(
        id=new_id(),
        shape=Shape(kind="arrow", start=(0.0, 0.0), end=(0.1, 0.2)),
        anchor=Anchor(frame=frame),
        text=text,
    )


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


SESSION = SessionInfo(id="S1", name="Shot 010", created=1.0)
ME = Participant(id=str(uuid.uuid4()), name="Sam", role="reviewer")
MIA = Participant(id=str(uuid.uuid4()), name="Mia", role="host")


def snapshot(seq: int, full: bool = True, annotations: Any = (), chat: Any = ()) -> Snapshot:
    return Snapshot(
        session=SESSION,
        participants=[ME, MIA],
        seq=seq,
        full=full,
        annotations=list(annotations) if full else None,
        chat=list(chat) if full else None,
    )


# --- durations ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("30m", 1800), ("8h", 28800), ("2d", 172800), ("1w", 604800)],
)
def test_parse_duration_reads_each_unit(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1h30m", 5400),
        ("1d 2h", 93600),
        ("2h30m15s", 9015),
        (" 8 hours ", 28800),
        ("30MIN", 1800),
        ("1.5h", 5400),
        ("0.5m", 30),
    ],
)
def test_parse_duration_adds_parts_and_accepts_decimals_spaces_long_names_and_case(
    text: str, seconds: int
) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("8", "no unit"),
        ("3600", "did you mean 3600s"),
        ("8x", "unknown unit"),
        ("h", "cannot read"),
        ("30m1h", "largest to smallest"),
        ("1h1h", "largest to smallest"),
        ("0s", "shorter than a second"),
        ("0.4s", "shorter than a second"),
        ("-5m", "cannot read"),
        ("1.h", "cannot read"),
        ("99999999w", "100 years"),
    ],
)
def test_parse_duration_error_names_the_value_and_the_problem(text: str, says: str) -> None:
    with pytest.raises(DurationError) as info:
        parse_duration(text)
    message = str(info.value)
    assert says in message
    if text:
        assert repr(text) in message


def test_duration_error_is_a_value_error_for_callers_that_catch_those() -> None:
    with pytest.raises(ValueError):
        parse_duration("soon")


@pytest.mark.parametrize("seconds", [1, 59, 60, 90, 3600, 5400, 86400, 93784, 30 * 86400])
def test_format_duration_reads_back_to_the_same_seconds(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


def test_format_duration_writes_the_shortest_form() -> None:
    assert format_duration(5400) == "1h30m"
    assert format_duration(14 * 86400) == "14d"
    with pytest.raises(DurationError):
        format_duration(0)


# --- backoff and URLs ---------------------------------------------------------------------------


def test_reconnect_delay_starts_at_a_quarter_second_and_doubles_to_ten() -> None:
    top = [reconnect_delay(n, rand=lambda: 1.0) for n in range(8)]
    assert top == [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_reconnect_delay_jitter_stays_between_half_and_all_of_the_step() -> None:
    assert reconnect_delay(0, rand=lambda: 0.0) == 0.125
    assert reconnect_delay(10, rand=lambda: 0.0) == 5.0
    samples = {reconnect_delay(3) for _ in range(200)}
    assert all(1.0 <= s <= 2.0 for s in samples)
    assert len(samples) > 100  # really jittered, not one value


def test_reconnect_delay_never_exceeds_the_maximum_even_after_many_attempts() -> None:
    assert reconnect_delay(10_000, rand=lambda: 1.0) == 10.0


def test_socket_urls_follow_the_relay_scheme_and_path() -> None:
    assert control_url("http://relay:8770") == "ws://relay:8770/ws"
    assert control_url("https://studio.example/overshoulder/") == (
        "wss://studio.example/overshoulder/ws"
    )
    assert media_url("http://relay:8770/") == "ws://relay:8770/ws/media"
    assert media_url("ws://relay:8770/ws") == "ws://relay:8770/ws/media"


@pytest.mark.parametrize("url", ["ftp://relay", "relay:8770", "http://", ""])
def test_socket_url_refuses_what_is_not_a_relay_address(url: str) -> None:
    with pytest.raises(ValueError):
        control_url(url)


# --- outbox -------------------------------------------------------------------------------------


def event(mtype: str = "chat", session: Optional[str] = None) -> PendingEvent:
    data = (
        encode(ChatMessage(id=new_id(), text="hi"))
        if mtype == "chat"
        else {"annotation": encode(arrow())}
    )
    return PendingEvent(eid=new_id(), type=mtype, data=data, session=session)


def test_outbox_keeps_events_in_the_order_they_were_added() -> None:
    box = Outbox()
    events = [event() for _ in range(5)]
    for e in events:
        box.add(e)
    assert [e.eid for e in box] == [e.eid for e in events]


def test_outbox_ignores_a_second_event_with_the_same_eid() -> None:
    box = Outbox()
    first = event()
    assert box.add(first)
    assert not box.add(PendingEvent(eid=first.eid, type="chat", data={"other": 1}))
    assert len(box) == 1
    assert box.get(first.eid) == first


def test_outbox_discard_removes_only_that_event_and_keeps_the_order() -> None:
    box = Outbox()
    a, b, c = event(), event(), event()
    for e in (a, b, c):
        box.add(e)
    assert box.discard(b.eid) == b
    assert box.discard(b.eid) is None
    assert box.discard(None) is None
    assert [e.eid for e in box] == [a.eid, c.eid]


def test_outbox_claims_unassigned_events_for_a_session_and_never_sends_another_sessions() -> None:
    box = Outbox()
    mine, foreign, fresh = event(session="S1"), event(session="S2"), event()
    for e in (mine, foreign, fresh):
        box.add(e)
    to_send = box.for_session("S1")
    assert [e.eid for e in to_send] == [mine.eid, fresh.eid]
    assert all(e.session == "S1" for e in to_send)
    assert box.count("S1") == 2
    assert len(box) == 3  # the other session's event is kept, not dropped


def test_outbox_file_brings_back_the_same_events_in_order(tmp_path: Any) -> None:
    path = str(tmp_path / "notes" / "outbox.json")
    box = Outbox(path)
    events = [event("annotation_add"), event("chat", session="S1")]
    for e in events:
        box.add(e)
    box.save()
    again = Outbox(path)
    assert list(again) == events


def test_outbox_moves_an_unreadable_file_aside_instead_of_deleting_notes(tmp_path: Any) -> None:
    path = tmp_path / "outbox.json"
    path.write_text("{not json")
    box = Outbox(str(path))
    assert len(box) == 0
    assert (tmp_path / "outbox.json.unreadable").read_text() == "{not json"


def test_outbox_skips_entries_that_are_not_persisted_events(tmp_path: Any) -> None:
    good = event()
    path = tmp_path / "outbox.json"
    path.write_text(
        json.dumps(
            {
                "format": Outbox.FORMAT,
                "version": 1,
                "events": [
                    {"eid": "x", "type": "pointer", "data": {}},
                    "nonsense",
                    good.to_json(),
                ],
            }
        )
    )
    assert list(Outbox(str(path))) == [good]


def test_pending_event_on_the_wire_carries_its_eid_also_as_ref() -> None:
    e = event()
    env = parse(e.wire())
    assert env.type == "chat"
    assert env.eid == e.eid
    assert env.ref == e.eid


# --- send queue, frame slot, frame cache ----------------------------------------------------------


def test_send_queue_keeps_persisted_events_in_order() -> None:
    q = SendQueue()
    for i in range(5):
        q.put(Outgoing(1, f"chat{i}", "chat"))
    assert [q.get(0).text for _ in range(5)] == [f"chat{i}" for i in range(5)]  # type: ignore[union-attr]
    assert q.get(0) is None


def test_send_queue_keeps_only_the_newest_pointer_and_sends_it_after_older_messages() -> None:
    q = SendQueue()
    q.put(Outgoing(1, "pointer1", "pointer"))
    q.put(Outgoing(1, "claim", "lease_claim"))
    q.put(Outgoing(1, "playhead1", "playhead"))
    q.put(Outgoing(1, "pointer2", "pointer"))
    q.put(Outgoing(1, "playhead2", "playhead"))
    assert [i.text for i in q.snapshot()] == ["claim", "pointer2", "playhead2"]


def header(frame: int, digest: bytes = b"\x01" * 16) -> FrameHeader:
    return FrameHeader(
        frame_id=frame, frame=frame, width=64, height=32, codec="jpeg", hash=digest, captured_us=0
    )


def test_frame_slot_keeps_only_the_newest_frame() -> None:
    slot = FrameSlot()
    for n in range(3):
        slot.put(header(n), b"x" * (n + 1))
    item = slot.take(0)
    assert item is not None
    assert item[0].frame == 2
    assert slot.replaced == 2
    assert slot.take(0) is None


def test_frame_slot_put_back_does_not_override_a_newer_frame() -> None:
    slot = FrameSlot()
    slot.put(header(2), b"new")
    slot.put_back((header(1), b"old"))
    item = slot.take(0)
    assert item is not None and item[0].frame == 2
    slot.put_back((header(1), b"old"))
    item = slot.take(0)
    assert item is not None and item[0].frame == 1


def test_frame_cache_drops_the_least_recently_used_frame() -> None:
    cache = FrameCache(2)
    a, b, c = b"a" * 16, b"b" * 16, b"c" * 16
    cache.remember(a, b"A")
    cache.remember(b, b"B")
    assert cache.recall(a) == b"A"  # a is now the most recent
    cache.remember(c, b"C")
    assert cache.recall(b) is None
    assert cache.recall(a) == b"A"
    assert cache.recall(c) == b"C"


def test_frame_cache_of_size_zero_keeps_nothing() -> None:
    cache = FrameCache(0)
    cache.remember(b"a" * 16, b"A")
    assert len(cache) == 0


# --- the replica ---------------------------------------------------------------------------------


def test_full_snapshot_replaces_notes_and_chat_and_sets_the_resume_point() -> None:
    r = SessionReplica()
    r.annotations["old"] = arrow()
    first, line = arrow(), ChatMessage(id=new_id(), text="hi")
    r.snapshot(snapshot(7, annotations=[first], chat=[line]))
    assert list(r.annotations) == [first.id]
    assert list(r.chat) == [line]
    assert r.last_seq == 7
    assert r.joined
    assert set(r.participants) == {ME.id, MIA.id}


def test_resume_snapshot_keeps_the_notes_and_chat_already_held() -> None:
    r = SessionReplica()
    held = arrow()
    r.snapshot(snapshot(3, annotations=[held]))
    r.snapshot(snapshot(9, full=False))
    assert list(r.annotations) == [held.id]
    assert r.last_seq == 3  # the missed events and "synced" move it on, not the snapshot


def test_resume_point_advances_only_over_contiguous_events() -> None:
    r = SessionReplica()
    r.snapshot(snapshot(10))
    assert r.mark(12)  # an ack overtook event 11
    assert r.last_seq == 10
    assert r.mark(11)
    assert r.last_seq == 12
    assert not r.mark(11)
    assert not r.mark(12)
    assert not r.mark(5)


def test_synced_moves_the_resume_point_over_a_gap() -> None:
    r = SessionReplica()
    r.snapshot(snapshot(10))
    r.mark(14)
    r.synced(12)
    assert r.last_seq == 12
    assert r.seen(14)
    assert r.mark(13)
    assert r.last_seq == 14


def test_update_changes_only_the_given_fields_of_a_note() -> None:
    r = SessionReplica()
    note = arrow(text="lift")
    r.snapshot(snapshot(1, annotations=[note]))
    assert r.apply("annotation_update", AnnotationUpdate(id=note.id, status="done"))
    after = r.annotations[note.id]
    assert after.status == "done"
    assert after.text == "lift"
    assert after.shape == note.shape


def test_update_or_delete_of_an_unknown_note_changes_nothing() -> None:
    r = SessionReplica()
    r.snapshot(snapshot(1))
    before = r.annotations_version
    assert not r.apply("annotation_update", AnnotationUpdate(id=new_id(), text="x"))
    assert not r.apply("annotation_delete", decode(AnnotationUpdate, {"id": new_id()}))
    assert r.annotations_version == before


def test_a_chat_line_seen_twice_is_kept_once() -> None:
    r = SessionReplica()
    line = ChatMessage(id=new_id(), text="hi")
    r.snapshot(snapshot(1, chat=[line]))
    assert not r.apply("chat", line)
    assert list(r.chat) == [line]


def test_own_events_enter_the_state_with_this_participant_as_author() -> None:
    r = SessionReplica()
    r.me = ME
    r.snapshot(snapshot(1))
    note = arrow()
    add = PendingEvent(eid=new_id(), type="annotation_add", data={"annotation": encode(note)})
    say = PendingEvent(eid=new_id(), type="chat", data=encode(ChatMessage(id=new_id(), text="hi")))
    r.apply_own(add, DEFAULT_LIMITS, now=123.0)
    r.apply_own(say, DEFAULT_LIMITS, now=124.0)
    stored = r.annotations[note.id]
    assert (stored.author, stored.author_name, stored.created) == (ME.id, "Sam", 123.0)
    assert (r.chat[0].author, r.chat[0].author_name, r.chat[0].ts) == (ME.id, "Sam", 124.0)


def test_own_events_take_the_fields_the_relay_filled_in_from_its_ack() -> None:
    r = SessionReplica()
    r.me = ME
    r.snapshot(snapshot(1))
    note = arrow()
    add = PendingEvent(eid=new_id(), type="annotation_add", data={"annotation": encode(note)})
    say = PendingEvent(eid=new_id(), type="chat", data=encode(ChatMessage(id=new_id(), text="hi")))
    image = {"hash": "ab" * 16, "version": "v012"}
    filled = {"author": ME.id, "author_name": "Sam S.", "created": 99.5, "image": image}
    r.apply_own(add, DEFAULT_LIMITS, now=123.0, filled=dict(filled, unknown="ignored"))
    r.apply_own(say, DEFAULT_LIMITS, now=124.0, filled={"author_name": "Sam S.", "ts": 98.0})
    stored = r.annotations[note.id]
    assert (stored.author, stored.author_name, stored.created) == (ME.id, "Sam S.", 99.5)
    assert stored.anchor == dataclasses.replace(note.anchor, image=ImageRef(**image))
    assert stored.shape == note.shape
    assert (r.chat[0].author, r.chat[0].author_name, r.chat[0].ts) == (ME.id, "Sam S.", 98.0)


def test_own_event_with_unreadable_filled_values_enters_the_state_with_its_own() -> None:
    r = SessionReplica()
    r.me = ME
    r.snapshot(snapshot(1))
    note = arrow()
    add = PendingEvent(eid=new_id(), type="annotation_add", data={"annotation": encode(note)})
    assert r.apply_own(add, DEFAULT_LIMITS, now=123.0, filled={"created": "yesterday"})
    stored = r.annotations[note.id]
    assert (stored.author, stored.created) == (ME.id, 123.0)


def test_synced_after_a_full_snapshot_never_moves_the_resume_point_back() -> None:
    r = SessionReplica()
    r.snapshot(snapshot(10))
    r.synced(10)
    assert r.last_seq == 10
    assert r.mark(11)  # an event that overtook the confirmation
    r.synced(10)
    assert r.last_seq == 11
    assert not r.mark(11)


def test_synced_below_the_resume_point_after_a_resume_starts_over_from_the_relay() -> None:
    r = SessionReplica()
    r.snapshot(snapshot(10))
    r.snapshot(snapshot(3, full=False))  # the relay lost events 4..10
    r.synced(3)
    assert r.last_seq == 3
    assert r.mark(4)


def test_presence_leave_and_lease_update_participants_and_driver() -> None:
    r = SessionReplica()
    r.snapshot(snapshot(1))
    r.apply_live(
        parse(
            dumps(build("presence", {"state": "drawing", "following": False, "id": MIA.id})),
            direction="relay",
        )
    )
    assert r.participants[MIA.id].state == "drawing"
    assert r.participants[MIA.id].following is False
    r.apply_live(
        parse(dumps(build("lease", {"name": "playhead", "holder": MIA.id})), direction="relay")
    )
    assert r.driver == MIA.id
    r.apply_live(parse(dumps(build("leave", {"id": MIA.id})), direction="relay"))
    assert MIA.id not in r.participants


# --- decoding snapshots -------------------------------------------------------------------------


def varied_annotations() -> list[Annotation]:
    return [
        Annotation(
            id=new_id(),
            shape=Shape(kind="stroke", points=[[0.1, 0.2], [0.3, -0.4, 0.5]]),
            anchor=Anchor(
                frame=1001,
                time=RationalTime(value=1001, rate=24.0),
                object=HostObject(kind="nuke.node", path="Grade1", label="Grade", item_frame=3),
                image=ImageRef(hash="ab" * 16, version="v012"),
            ),
            style=Style(color=(0.0, 1.0, 0.5, 1.0), width=0.01),
            text="lift the shadows",
            status="done",
            author=ME.id,
            author_name="Sam",
            created=1700000000.5,
        ),
        Annotation(
            id=new_id(), shape=Shape(kind="rect", min=(-1, -1), max=(1, 1)), anchor=Anchor(frame=-3)
        ),
        Annotation(
            id=new_id(),
            shape=Shape(kind="ellipse", min=(0, 0), max=(0.5, 0.5)),
            anchor=Anchor(frame=0),
        ),
        Annotation(
            id=new_id(),
            shape=Shape(kind="line", start=(0, 0), end=(1, 1)),
            anchor=Anchor(frame=5, duration=9),
        ),
        Annotation(
            id=new_id(),
            shape=Shape(kind="text", at=(0.2, 0.1), text="here", size=0.05),
            anchor=Anchor(frame=7, image=ImageRef(version="v3")),
        ),
        arrow(),
    ]


def snapshot_text(annotations: list[Any]) -> str:
    data = encode(snapshot(len(annotations)))
    data["annotations"] = annotations
    return dumps({"v": 1, "type": "snapshot", "data": data})


def test_snapshot_fast_path_builds_the_same_notes_as_the_schema_decoder() -> None:
    raw = [encode(a) for a in varied_annotations()]
    raw[1]["style"] = {"color": [1, 0, 0, 1], "width": 0}  # integers where floats are declared
    raw[2].pop("style")
    raw[3]["unknown_future_field"] = {"x": 1}
    text = snapshot_text(raw)
    fast = decode_relay_message(text.encode())
    generic = parse(
        text,
        dataclasses.replace(DEFAULT_LIMITS, max_message_bytes=1 << 30),
        direction="relay",
    )
    assert fast.data.annotations == generic.data.annotations
    assert [a.id for a in fast.data.annotations] == [a["id"] for a in raw]
    assert fast.data.session == generic.data.session
    assert fast.data.participants == generic.data.participants


def test_a_bad_duration_in_a_relay_note_is_refused_naming_the_field() -> None:
    raw = encode(varied_annotations()[3])
    raw["anchor"]["duration"] = 0
    with pytest.raises(ProtocolError) as exc:
        annotation_from_relay(raw, path="data.annotations[0]")
    assert exc.value.field == "data.annotations[0].anchor.duration"
    raw["anchor"]["duration"] = 9.0  # an integral number is an integer, as in the decoder
    assert annotation_from_relay(raw).anchor.duration == 9


def test_the_fast_path_knows_every_field_of_the_note_model() -> None:
    # If the model grows a field, the fast path steps aside (correct but slow): update it.
    assert FAST_PATH_CURRENT


def test_a_snapshot_with_one_unreadable_note_keeps_all_the_others() -> None:
    raw = [encode(a) for a in varied_annotations()]
    raw[0]["shape"] = {"kind": "blob"}
    env = decode_relay_message(snapshot_text(raw))
    assert [a.id for a in env.data.annotations] == [a["id"] for a in raw[1:]]


def test_a_note_with_a_malformed_colour_falls_back_to_the_schema_decoder() -> None:
    raw = [encode(a) for a in varied_annotations()]
    raw[0]["style"] = {"color": [1, 0, 0], "width": 0.01}
    env = decode_relay_message(snapshot_text(raw))
    assert [a.id for a in env.data.annotations] == [a["id"] for a in raw[1:]]


def test_a_snapshot_bigger_than_the_client_to_relay_limit_is_accepted() -> None:
    raw = [encode(arrow(text="x" * 3000)) for _ in range(200)]
    text = snapshot_text(raw)
    assert len(text) > DEFAULT_LIMITS.max_message_bytes
    assert len(decode_relay_message(text).data.annotations) == 200


def test_other_messages_decode_exactly_like_parse() -> None:
    text = dumps(build("chat", ChatMessage(id=new_id(), text="snapshot"), seq=3, eid=new_id()))
    assert decode_relay_message(text) == parse(text, direction="relay")
    with pytest.raises(ProtocolError) as info:
        decode_relay_message('{"v":1,"type":"snapshot","data":{"full":true}}')
    assert info.value.code == ErrorCode.BAD_MESSAGE


# --- the client without a relay ------------------------------------------------------------------


def make_client(url: str = "http://127.0.0.1:9", **kw: Any) -> SessionClient:
    return SessionClient(url, "os1.token", "Sam", **kw)


@pytest.mark.parametrize(
    ("kw", "error"),
    [
        ({"name": "  "}, ValueError),
        ({"name": "x" * 200}, ProtocolError),
        ({"client_id": "not-a-uuid"}, ProtocolError),
        ({"relay_url": "ftp://relay"}, ValueError),
        ({"frame_cache": -1}, ValueError),
        ({"frame_cache": 100_000}, ValueError),
    ],
)
def test_constructor_refuses_bad_arguments_at_once(kw: dict[str, Any], error: type) -> None:
    args = {"relay_url": "http://127.0.0.1:9", "token": "t", "name": "Sam", **kw}
    with pytest.raises(error):
        SessionClient(args.pop("relay_url"), args.pop("token"), args.pop("name"), **args)


def test_send_methods_refuse_bad_input_at_once_and_queue_nothing() -> None:
    c = make_client()
    with pytest.raises(TypeError, match="colour"):
        c.update_annotation(new_id(), colour="red")
    with pytest.raises(ValueError):
        c.update_annotation(new_id())
    with pytest.raises(ProtocolError):
        c.chat("   ")
    with pytest.raises(ProtocolError):
        c.pointer(50.0, 0.0)
    with pytest.raises(ProtocolError):
        c.presence("dancing", True)
    with pytest.raises(RuntimeError, match="publish_frames"):
        c.publish_frame(header(1), b"jpeg")
    with pytest.raises(ValueError, match="no relay message"):
        c.on("annotation_added", lambda env: None)
    assert c.pending == 0


@pytest.mark.parametrize(
    ("changes", "payload", "says"),
    [
        ({"hash": b"short"}, b"jpeg", "16 bytes"),
        ({"codec": "webp"}, b"jpeg", "unknown codec"),
        ({"width": 0}, b"jpeg", "width 0"),
        ({"kind": 2}, b"jpeg", "with their bytes"),
        ({}, b"", "no image bytes"),
        ({}, b"x" * (9 * 1024 * 1024), "at most"),
    ],
)
def test_publish_frame_refuses_at_once_a_frame_the_relay_would_refuse(
    changes: dict[str, Any], payload: bytes, says: str
) -> None:
    c = make_client(publish_frames=True)
    bad = dataclasses.replace(header(1), **changes)
    with pytest.raises((ValueError, ProtocolError), match=says):
        c.publish_frame(bad, payload)
    c.publish_frame(header(1), b"jpeg")  # a good one is taken


def test_update_annotation_keeps_the_fields_to_clear_in_the_event_it_queues() -> None:
    c = make_client()
    c.update_annotation("n1", clear=["text"])
    c.update_annotation("n2", clear=(), status="done")
    bodies = [e.data for e in c._protocol.outbox]
    assert bodies == [{"id": "n1", "clear": ["text"]}, {"id": "n2", "status": "done"}]
    with pytest.raises(ProtocolError, match="both set and cleared"):
        c.update_annotation("n3", clear=["text"], text="and set")
    assert c.pending == 2


def test_events_sent_before_connecting_wait_in_the_outbox_file(tmp_path: Any) -> None:
    path = str(tmp_path / "outbox.json")
    c = make_client(outbox_path=path)
    eids = [c.add_annotation(arrow()), c.chat("first"), c.delete_annotation(new_id())]
    assert c.pending == 3
    c.close()
    again = make_client(outbox_path=path)
    assert again.pending == 3
    assert [e.eid for e in again._protocol.outbox] == eids


def test_state_callbacks_go_through_the_dispatcher_not_the_network_thread() -> None:
    ui: queue.Queue[Callable[[], None]] = queue.Queue()
    seen: list[tuple[str, threading.Thread]] = []
    c = make_client(f"http://127.0.0.1:{closed_port()}", dispatch=ui.put)
    c.on_state(lambda s: seen.append((s, threading.current_thread())))
    c.start()
    try:
        assert wait_for(lambda: c.state == "reconnecting")
        assert seen == []  # nothing ran until the "UI thread" runs its queue
        while not ui.empty():
            ui.get()()
        assert [s for s, _ in seen][:2] == ["connecting", "reconnecting"]
        assert all(t is threading.current_thread() for _, t in seen)
    finally:
        c.close()
    while not ui.empty():
        ui.get()()
    assert seen[-1][0] == "closed"


def test_an_unreachable_relay_is_reported_and_retried_and_close_is_prompt() -> None:
    c = make_client(f"http://127.0.0.1:{closed_port()}")
    c.start()
    assert wait_for(lambda: c.last_error is not None)
    assert c.last_error is not None and c.last_error.code == UNREACHABLE
    assert c.state == "reconnecting"
    assert not c.wait_synced(0.2)
    started = time.monotonic()
    c.close()
    assert time.monotonic() - started < 1.0
    assert c.state == "closed"
    assert not c.wait_synced(1)


def test_a_listener_that_raises_does_not_stop_the_others() -> None:
    c = make_client(f"http://127.0.0.1:{closed_port()}")
    seen: list[str] = []

    def broken(state: str) -> None:
        raise RuntimeError("listener bug")

    c.on_state(broken)
    c.on_state(seen.append)
    c.start()
    assert wait_for(lambda: "reconnecting" in seen)
    c.close()


def test_a_removed_listener_is_not_called_again() -> None:
    c = make_client(f"http://127.0.0.1:{closed_port()}")
    seen: list[str] = []
    remove = c.on_state(seen.append)
    remove()
    c.start()
    assert wait_for(lambda: c.state == "reconnecting")
    c.close()
    assert seen == []


# --- against a scripted fake relay --------------------------------------------------------------


@dataclass
class FakeRelay:
    """A WebSocket peer that follows a script per connection and records what clients say."""

    scripts: list[Callable[[ServerConnection, dict[str, Any]], None]]
    hellos: list[dict[str, Any]] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0

    def handle(self, ws: ServerConnection) -> None:
        hello = json.loads(ws.recv(timeout=5))
        self.hellos.append(hello)
        script = self.scripts.pop(0) if self.scripts else hold
        try:
            script(ws, hello)
        except ConnectionClosed:
            pass

    def read(self, ws: ServerConnection, timeout: float = 5.0) -> dict[str, Any]:
        msg = json.loads(ws.recv(timeout=timeout))
        self.received.append(msg)
        return msg

    def read_type(self, ws: ServerConnection, mtype: str, timeout: float = 5.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            msg = self.read(ws, max(0.01, deadline - time.monotonic()))
            if msg["type"] == mtype:
                return msg


def hold(ws: ServerConnection, hello: dict[str, Any]) -> None:
    try:
        while True:
            ws.recv(timeout=30)
    except (ConnectionClosed, TimeoutError):
        pass


def welcome_text(seq: int = 0) -> str:
    return dumps(
        build(
            "welcome",
            {
                "protocol": "1.0",
                "session": encode(SESSION),
                "participant": encode(ME),
                "media_ticket": "ticket",
                "limits": {"max_text_chars": 4000, "unknown_limit": 3, "max_name_chars": "x"},
                "capabilities": [],
                "seq": seq,
                "server_time": time.time(),
            },
        )
    )


def send(ws: ServerConnection, mtype: str, data: Any, **env: Any) -> None:
    ws.send(dumps(build(mtype, data, **env)))


@pytest.fixture
def fake_relay() -> Iterator[Callable[..., FakeRelay]]:
    servers: list[Any] = []

    def start(*scripts: Callable[[ServerConnection, dict[str, Any]], None]) -> FakeRelay:
        fake = FakeRelay(list(scripts))
        server = serve(fake.handle, "127.0.0.1", 0, compression=None)
        fake.port = server.socket.getsockname()[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return fake

    yield start
    for server in servers:
        server.shutdown()


def test_rejoin_says_hello_with_the_same_client_id_and_since_the_last_event(
    fake_relay: Callable[..., FakeRelay],
) -> None:
    def first(ws: ServerConnection, hello: dict[str, Any]) -> None:
        ws.send(welcome_text(5))
        send(ws, "snapshot", snapshot(5))
        send(ws, "chat", ChatMessage(id=new_id(), text="six", author=MIA.id), seq=6, eid=new_id())
        time.sleep(0.2)
        ws.close()

    fake = fake_relay(first)
    c = make_client(f"http://127.0.0.1:{fake.port}")
    states: list[str] = []
    c.on_state(states.append)
    c.start()
    try:
        assert wait_for(lambda: len(fake.hellos) == 2)
        first_hello, second_hello = (h["data"] for h in fake.hellos)
        assert "since" not in first_hello
        assert second_hello["since"] == 6
        assert first_hello["client_id"] == second_hello["client_id"] == c.client_id
        assert states[:3] == ["connecting", "synced", "reconnecting"]
        assert [line.text for line in c.chat_log] == ["six"]
    finally:
        c.close()


def test_unacknowledged_events_are_sent_again_after_a_reconnect_and_cleared_by_the_ack(
    fake_relay: Callable[..., FakeRelay],
) -> None:
    firsts: list[dict[str, Any]] = []

    def swallow_then_drop(ws: ServerConnection, hello: dict[str, Any]) -> None:
        ws.send(welcome_text(0))
        send(ws, "snapshot", snapshot(0))
        firsts.append(fake.read_type(ws, "annotation_add"))
        firsts.append(fake.read_type(ws, "chat"))
        ws.close()  # the relay "crashes" before acknowledging anything

    def resume_and_ack(ws: ServerConnection, hello: dict[str, Any]) -> None:
        ws.send(welcome_text(0))
        send(ws, "snapshot", snapshot(0, full=False))
        send(ws, "synced", {"seq": 0})
        again = [fake.read(ws), fake.read(ws)]
        assert [m["eid"] for m in again] == [m["eid"] for m in firsts]
        for seq, msg in enumerate(again, start=1):
            send(ws, "ack", {"eid": msg["eid"], "seq": seq, "ref": msg["ref"]})
        hold(ws, hello)

    fake = fake_relay(swallow_then_drop, resume_and_ack)
    c = make_client(f"http://127.0.0.1:{fake.port}")
    c.start()
    try:
        assert c.wait_synced(5)
        note = arrow()
        add_eid = c.add_annotation(note)
        chat_eid = c.chat("lift the shadows")
        assert wait_for(lambda: len(fake.hellos) == 2 and c.pending == 0)
        assert [m["eid"] for m in firsts] == [add_eid, chat_eid]
        assert c.annotations[note.id].author == ME.id
        assert [line.text for line in c.chat_log] == ["lift the shadows"]
        assert c.last_seq == 2
    finally:
        c.close()


def test_the_ack_makes_this_clients_copy_equal_to_what_the_relay_stored(
    fake_relay: Callable[..., FakeRelay],
) -> None:
    image = {"hash": "cd" * 16}

    def store(ws: ServerConnection, hello: dict[str, Any]) -> None:
        ws.send(welcome_text(0))
        send(ws, "snapshot", snapshot(0))
        send(ws, "synced", {"seq": 0})
        add = fake.read_type(ws, "annotation_add")
        filled = {"author": ME.id, "author_name": "Sam", "created": 1700000000.25, "image": image}
        send(ws, "ack", {"eid": add["eid"], "ref": add["ref"], "seq": 1, "filled": filled})
        say = fake.read_type(ws, "chat")
        filled = {"author": ME.id, "author_name": "Sam", "ts": 1700000001.5}
        send(ws, "ack", {"eid": say["eid"], "ref": say["ref"], "seq": 2, "filled": filled})
        hold(ws, hello)

    fake = fake_relay(store)
    c = make_client(f"http://127.0.0.1:{fake.port}")
    c.start()
    try:
        assert c.wait_synced(5)
        note = arrow()
        c.add_annotation(note)
        c.chat("lift the shadows")
        assert wait_for(lambda: c.pending == 0 and c.last_seq == 2)
        stored = c.annotations[note.id]
        assert stored.created == 1700000000.25
        assert stored.anchor.image == ImageRef(hash="cd" * 16)
        assert c.chat_log[0].ts == 1700000001.5
    finally:
        c.close()


def test_a_refused_hello_stops_the_client_without_retrying(
    fake_relay: Callable[..., FakeRelay],
) -> None:
    def refuse(ws: ServerConnection, hello: dict[str, Any]) -> None:
        send(
            ws,
            "error",
            {"code": "token_expired", "message": "the link has expired", "type": "hello"},
        )
        ws.close(4003, "the link has expired")

    fake = fake_relay(refuse, refuse)
    c = make_client(f"http://127.0.0.1:{fake.port}")
    c.start()
    try:
        assert wait_for(lambda: c.state == "refused")
        assert not c.wait_synced(1)
        assert c.last_error is not None and c.last_error.code == ErrorCode.TOKEN_EXPIRED
        time.sleep(0.6)
        assert len(fake.hellos) == 1
    finally:
        c.close()


def test_a_refused_event_leaves_the_outbox_and_a_failed_store_is_retried(
    fake_relay: Callable[..., FakeRelay],
) -> None:
    def script(ws: ServerConnection, hello: dict[str, Any]) -> None:
        ws.send(welcome_text(0))
        send(ws, "snapshot", snapshot(0))
        bad = fake.read_type(ws, "annotation_delete")
        send(
            ws,
            "error",
            {
                "code": "forbidden",
                "message": "not yours",
                "ref": bad["ref"],
                "type": "annotation_delete",
            },
        )
        flaky = fake.read_type(ws, "chat")
        send(ws, "error", {"code": "internal", "message": "disk full"})
        again = fake.read_type(ws, "chat", timeout=timeouts.RETRY_AFTER_ERROR_S + 3)
        assert again["eid"] == flaky["eid"]
        send(ws, "ack", {"eid": again["eid"], "seq": 1})
        hold(ws, hello)

    fake = fake_relay(script)
    c = make_client(f"http://127.0.0.1:{fake.port}")
    errors: list[str] = []
    c.on("error", lambda env: errors.append(env.data.code))
    c.start()
    try:
        assert c.wait_synced(5)
        c.delete_annotation(new_id())
        assert wait_for(lambda: c.pending == 0)
        assert errors == ["forbidden"]
        c.chat("hello")
        assert wait_for(lambda: c.pending == 0, timeout=timeouts.RETRY_AFTER_ERROR_S + 4)
        assert errors == ["forbidden", "internal"]
        assert [line.text for line in c.chat_log] == ["hello"]
    finally:
        c.close()


def test_presence_and_frame_size_wishes_are_sent_again_after_a_reconnect(
    fake_relay: Callable[..., FakeRelay],
) -> None:
    wishes: list[list[str]] = []

    def collect(ws: ServerConnection, hello: dict[str, Any]) -> None:
        ws.send(welcome_text(0))
        send(ws, "snapshot", snapshot(0))
        got = [fake.read(ws)["type"], fake.read(ws)["type"]]
        wishes.append(sorted(got))
        ws.close()

    fake = fake_relay(collect, collect)
    c = make_client(f"http://127.0.0.1:{fake.port}")
    c.presence("drawing", False)
    c.request_frames(1280, 720)
    c.start()
    try:
        assert wait_for(lambda: len(wishes) == 2)
        assert wishes == [["frame_request", "presence"]] * 2
    finally:
        c.close()


def test_a_busy_ui_thread_gets_the_newest_pointer_per_person_but_every_chat_line(
    fake_relay: Callable[..., FakeRelay],
) -> None:
    def chatter(ws: ServerConnection, hello: dict[str, Any]) -> None:
        ws.send(welcome_text(0))
        send(ws, "snapshot", snapshot(0))
        for i in range(50):
            send(ws, "pointer", {"x": i / 100, "y": 0.0, "id": MIA.id}, sender=MIA.id)
            send(ws, "pointer", {"x": -i / 100, "y": 0.0, "id": ME.id}, sender=ME.id)
        for i in range(5):
            line = ChatMessage(id=new_id(), text=f"line {i}", author=MIA.id)
            send(ws, "chat", line, seq=i + 1, eid=new_id())
        hold(ws, hello)

    fake = fake_relay(chatter)
    ui: queue.Queue[Callable[[], None]] = queue.Queue()
    c = make_client(f"http://127.0.0.1:{fake.port}", dispatch=ui.put)
    pointers: list[tuple[str, float]] = []
    chats: list[str] = []
    c.on("pointer", lambda env: pointers.append((env.data.id, env.data.x)))
    c.on("chat", lambda env: chats.append(env.data.text))
    c.start()
    try:
        assert wait_for(lambda: c.last_seq == 5)  # everything has arrived; the UI was busy
        while not ui.empty():
            ui.get()()
        assert sorted(pointers) == sorted([(MIA.id, 0.49), (ME.id, -0.49)])
        assert chats == [f"line {i}" for i in range(5)]
    finally:
        c.close()


def test_a_relay_that_goes_silent_is_taken_as_gone_and_rejoined(
    fake_relay: Callable[..., FakeRelay], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timeouts, "RECV_TIMEOUT_S", 0.5)
    monkeypatch.setattr(timeouts, "PING_INTERVAL_S", 60.0)

    def silent(ws: ServerConnection, hello: dict[str, Any]) -> None:
        ws.send(welcome_text(3))
        send(ws, "snapshot", snapshot(3))
        time.sleep(3)  # no data, no close: a dead link looks like this

    fake = fake_relay(silent, silent)
    c = make_client(f"http://127.0.0.1:{fake.port}")
    c.start()
    try:
        assert wait_for(lambda: len(fake.hellos) == 2, timeout=3)
        assert fake.hellos[1]["data"]["since"] == 3
        assert c.last_error is not None and c.last_error.code == CONNECTION_LOST
    finally:
        c.close()
