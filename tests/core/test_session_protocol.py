"""SessionProtocol fed directly: no sockets, no threads, no clock (every time is given)."""

from __future__ import annotations

import dataclasses
import itertools
import json
import time
import uuid
from typing import Any, Optional

import pytest

from overshoulder.core.client import CONNECTION_LOST, REPLACED, UNREACHABLE, Outbox
from overshoulder.core.client import protocol as protocol_module
from overshoulder.core.client.protocol import (
    RETRYABLE,
    SessionProtocol,
    StateChanged,
    annotation_changes,
)
from overshoulder.core.errors import ErrorCode, ProtocolError
from overshoulder.core.model import (
    Anchor,
    Annotation,
    ChatMessage,
    Participant,
    Playhead,
    SessionInfo,
    Shape,
    new_id,
)
from overshoulder.core.protocol import PROTOCOL_VERSION, Envelope, build, dumps
from overshoulder.core.protocol.messages import (
    CLOSE_REFUSED,
    CLOSE_REPLACED,
    FATAL_HELLO_ERRORS,
    Error,
    FrameRequest,
    GuestTimeline,
    Hello,
    LeaseRelease,
    Presence,
    Stream,
)
from overshoulder.core.schema import encode

SESSION = SessionInfo(id="S1", name="Shot 010", created=1.0)
OTHER_SESSION = SessionInfo(id="S2", name="Shot 020", created=2.0)
ME = Participant(id=str(uuid.uuid4()), name="Sam", role="reviewer")
HOST = Participant(id=str(uuid.uuid4()), name="Hana", role="host")
MIA = Participant(id=str(uuid.uuid4()), name="Mia", role="host")
LEO = Participant(id=str(uuid.uuid4()), name="Leo", role="reviewer")
HELLO = Hello(
    protocol=PROTOCOL_VERSION, token="os1.token", name="Sam", client="test", client_id=ME.id
)
NOW = 1000.0
TICKET_REFUSED = Error(code=ErrorCode.UNAUTHORIZED, message="ticket expired")
WALL = 1.7e9

# --- helpers ------------------------------------------------------------------------------------


def make(outbox: Optional[Outbox] = None) -> SessionProtocol:
    p = SessionProtocol(HELLO, outbox)
    p.start()
    return p


def relay(mtype: str, data: Any = None, **env: Any) -> str:
    return dumps(build(mtype, data, **env))


def welcome(seq: int = 0, me: Participant = ME, session: SessionInfo = SESSION) -> str:
    body = {
        "protocol": PROTOCOL_VERSION,
        "session": encode(session),
        "participant": encode(me),
        "media_ticket": f"ticket-{seq}",
        "limits": {},
        "capabilities": [],
        "seq": seq,
        "server_time": WALL,
    }
    return relay("welcome", body)


def snapshot(
    seq: int = 0,
    *,
    full: bool = True,
    me: Participant = ME,
    others: tuple[Participant, ...] = (MIA,),
    driver: Optional[str] = None,
    pages: Optional[int] = None,
    annotations: tuple[Annotation, ...] = (),
    chat: tuple[ChatMessage, ...] = (),
    session: SessionInfo = SESSION,
) -> str:
    body: dict[str, Any] = {
        "session": encode(session),
        "participants": [encode(x) for x in (me, *others)],
        "seq": seq,
        "full": full,
        "driver": driver,
        "pages": pages,
    }
    if full:
        body.update(annotations=[encode(a) for a in annotations], chat=[encode(c) for c in chat])
    return relay("snapshot", {k: v for k, v in body.items() if v is not None})


def feed(p: SessionProtocol, *texts: str, gen: Optional[int] = None, now: float = NOW) -> list:
    return [p.receive_text(t, p.gen if gen is None else gen, now, WALL) for t in texts]


def join(
    p: SessionProtocol, seq: int = 0, *, full: bool = True, now: float = NOW, **kw: Any
) -> int:
    """Connect and become live; returns the connection's generation."""
    gen = p.connect().gen
    me = kw.get("me", ME)
    feed(p, welcome(seq, me, kw.get("session", SESSION)), snapshot(seq, full=full, **kw), now=now)
    if not full:
        feed(p, relay("synced", {"seq": seq}), now=now)
    assert p.phase == "live"
    return gen


def drop(p: SessionProtocol) -> None:
    p.connection_lost()
    p.connection_ended()


def sent(p: SessionProtocol) -> list[dict[str, Any]]:
    return [json.loads(item.text) for item in p.data_to_send()]


def types(p: SessionProtocol) -> list[str]:
    return [msg["type"] for msg in sent(p)]


def states(p: SessionProtocol) -> list[str]:
    return [d.state for d in p.events_received() if isinstance(d, StateChanged)]


def delivered(p: SessionProtocol) -> list[Envelope]:
    return [d for d in p.events_received() if isinstance(d, Envelope)]


def arrow(text: Optional[str] = None) -> Annotation:
    return Annotation(
        id=new_id(),
        shape=Shape(kind="arrow", start=(0.0, 0.0), end=(0.1, 0.2)),
        anchor=Anchor(frame=1001),
        text=text,
    )


def add(p: SessionProtocol, note: Optional[Annotation] = None) -> str:
    return p.submit("annotation_add", {"annotation": encode(note or arrow())})


def chat(p: SessionProtocol, text: str = "hello") -> str:
    return p.submit("chat", encode(ChatMessage(id=new_id(), text=text)))


def their_chat(seq: int, text: str = "theirs", eid: Optional[str] = None) -> str:
    line = ChatMessage(id=new_id(), text=text, author=MIA.id, author_name="Mia", ts=WALL)
    return relay("chat", line, seq=seq, eid=eid or new_id(), sender=MIA.id)


def ack(eid: str, seq: Optional[int], **kw: Any) -> str:
    return relay("ack", {"eid": eid, "seq": seq, "ref": eid, **kw})


def error(code: str, ref: Optional[str] = None, message: str = "no") -> str:
    body = {"code": code, "message": message, "ref": ref}
    return relay("error", {k: v for k, v in body.items() if v is not None})


def lease(holder: Optional[str]) -> str:
    return relay("lease", {"name": "playhead", "holder": holder})


def test_the_protocol_reads_no_clock_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_clock() -> float:
        raise AssertionError("the protocol read a clock")

    assert not hasattr(protocol_module, "time")  # ``now`` and ``wall`` come in as arguments
    monkeypatch.setattr(time, "monotonic", no_clock)  # (logging reads time.time itself)
    p = make()
    join(p, me=HOST, others=(LEO,), driver=LEO.id)
    eid = chat(p)
    feed(p, error(ErrorCode.INTERNAL, ref=eid), ack(eid, 1))
    p.tick(NOW + 5)
    p.media_refused(TICKET_REFUSED, 1, NOW)
    drop(p)
    join(p, full=False, me=HOST, others=(LEO,), driver=HOST.id)
    assert types(p) == ["lease_release"]


# --- connections and phases ----------------------------------------------------------------------


def test_the_first_hello_has_no_since_and_a_rejoin_resumes_after_the_last_event() -> None:
    p = make()
    first = json.loads(p.connect().text)["data"]
    assert "since" not in first and first["client_id"] == ME.id
    feed(p, welcome(seq=5), snapshot(5), their_chat(6))
    drop(p)
    again = p.connect()
    assert again.gen == 2
    assert json.loads(again.text)["data"]["since"] == 6


def test_states_go_connecting_synced_reconnecting_then_closed_and_stay_closed() -> None:
    p = make()
    join(p)
    drop(p)
    p.close()
    p.closed()
    p.connection_ended()
    assert states(p) == ["connecting", "synced", "reconnecting", "closed"]
    assert p.state == "closed"


def test_texts_of_an_older_connection_are_ignored_and_end_it() -> None:
    p = make()
    old = join(p)
    drop(p)
    p.connect()
    p.events_received()
    assert feed(p, their_chat(1), gen=old) == [False]
    assert not p.replica.chat and delivered(p) == []


def test_a_closed_protocol_says_goodbye_only_when_live_and_then_hears_nothing() -> None:
    p = make()
    assert make().close() is None  # never connected: nothing to say
    gen = join(p)
    goodbye = p.close()
    assert goodbye is not None and goodbye.gen == gen and goodbye.kind == "close"
    assert json.loads(goodbye.text)["type"] == "leave"
    assert feed(p, their_chat(1)) == [False]


def test_a_full_snapshot_goes_live_at_once_and_its_synced_sends_nothing_twice() -> None:
    p = make()
    chat(p, "queued")
    p.connect()
    before = ChatMessage(id=new_id(), text="before", author=MIA.id)
    feed(p, welcome(1), snapshot(1, chat=(before,)))
    assert p.phase == "live" and types(p) == ["chat"]
    # A newer event overtakes the snapshot's confirmation, and comes again after it.
    feed(p, their_chat(2, "after"), relay("synced", {"seq": 1}), their_chat(2, "after"))
    assert types(p) == []
    assert [c.text for c in p.replica.chat] == ["before", "after"]
    events = p.events_received()
    assert [d.state for d in events if isinstance(d, StateChanged)] == ["connecting", "synced"]
    assert [e.seq for e in events if isinstance(e, Envelope) and e.type == "chat"] == [2]
    drop(p)
    assert json.loads(p.connect().text)["data"]["since"] == 2


@pytest.mark.parametrize("full", [False, True], ids=["resume", "paged"])
def test_a_resume_or_a_paged_snapshot_is_live_only_at_synced(full: bool) -> None:
    p = make()
    eid = chat(p)
    p.connect()
    notes = [arrow("one"), arrow("two")]
    feed(p, welcome(3), snapshot(3, full=full, pages=2 if full else None))
    for index, note in enumerate(notes):
        feed(p, relay("snapshot_page", {"index": index, "annotations": [encode(note)]}))
    assert p.phase == "syncing" and p.data_to_send() == []
    assert "synced" not in states(p)
    feed(p, relay("synced", {"seq": 3}))
    assert p.phase == "live" and states(p) == ["synced"]
    assert [m["eid"] for m in sent(p)] == [eid]
    assert set(p.replica.annotations) == {n.id for n in notes}


@pytest.mark.parametrize(
    ("mtype", "body", "ends"),
    [
        ("welcome", {"protocol": "1.0"}, True),
        ("snapshot", {"seq": "many"}, True),
        ("snapshot_page", {"index": 0}, True),
        ("synced", {"seq": "x"}, True),
        ("chat", {"text": 5}, False),
        ("lease", {"holder": 3}, False),
    ],
)
def test_an_unreadable_message_ends_the_connection_only_if_joining_needs_it(
    mtype: str, body: dict[str, Any], ends: bool
) -> None:
    p = make()
    p.connect()
    assert feed(p, relay(mtype, body)) == [not ends]
    assert p.last_error is not None and mtype in p.last_error.message


def test_text_that_is_not_json_is_reported_and_skipped() -> None:
    p = make()
    join(p)
    assert feed(p, "{not json") == [True]
    assert p.last_error is not None and "unreadable None" in p.last_error.message


# --- the outbox and resume ---------------------------------------------------------------------


def test_events_made_while_down_wait_and_go_out_in_order_once_live() -> None:
    p = make()
    eids = [add(p), chat(p), p.submit("annotation_delete", {"id": new_id()})]
    assert p.data_to_send() == [] and p.pending == 3 and p.take_outbox_changed()
    gen = join(p)
    out = p.data_to_send()
    assert [json.loads(o.text)["eid"] for o in out] == eids
    assert all(json.loads(o.text)["ref"] == json.loads(o.text)["eid"] for o in out)
    assert {o.gen for o in out} == {gen}
    assert p.take_outbox_changed()  # the events now name their session


def test_an_event_made_while_live_goes_out_at_once_for_this_connection() -> None:
    p = make()
    gen = join(p)
    eid = chat(p)
    (item,) = p.data_to_send()
    assert (item.gen, item.kind, json.loads(item.text)["eid"]) == (gen, "chat", eid)


def test_a_bad_event_is_refused_at_once_and_never_kept() -> None:
    p = make()
    with pytest.raises(ProtocolError):
        p.submit("chat", {"id": new_id(), "text": "  "})
    join(p)
    with pytest.raises(ProtocolError, match="reviewer may not send session"):
        p.submit("session", {"name": "mine now"})
    assert p.pending == 0 and p.data_to_send() == []


def test_unacknowledged_events_go_again_after_a_reconnect_and_the_ack_clears_them() -> None:
    p = make()
    join(p)
    eids = [add(p), chat(p)]
    p.data_to_send()
    drop(p)
    join(p, full=False)
    assert [m["eid"] for m in sent(p)] == eids
    feed(p, ack(eids[0], 1), ack(eids[1], 2))
    assert p.pending == 0 and p.replica.last_seq == 2
    assert [c.author for c in p.replica.chat] == [ME.id]


def test_the_outbox_file_carries_events_across_a_restart(tmp_path: Any) -> None:
    path = str(tmp_path / "outbox.json")
    first = make(Outbox(path))
    join(first)
    eids = [add(first), chat(first)]
    first.outbox.save()  # the app stops before the relay acknowledged anything
    second = make(Outbox(path))
    assert second.pending == 2
    join(second)  # a fresh start knows no seq: the relay sends the whole session
    assert [m["eid"] for m in sent(second)] == eids
    feed(second, ack(eids[0], 1))
    second.outbox.save()
    third = make(Outbox(path))
    assert [e.eid for e in third.outbox] == eids[1:]


def test_a_restart_in_another_session_keeps_the_first_sessions_events_unsent(
    tmp_path: Any,
) -> None:
    path = str(tmp_path / "outbox.json")
    first = make(Outbox(path))
    join(first)
    eid = chat(first)
    first.outbox.save()
    second = make(Outbox(path))
    join(second, session=OTHER_SESSION)
    assert sent(second) == [] and second.pending == 0
    assert [e.eid for e in second.outbox] == [eid]


def test_events_made_before_any_welcome_are_claimed_by_the_first_session_joined(
    tmp_path: Any,
) -> None:
    path = str(tmp_path / "outbox.json")
    first = make(Outbox(path))
    eid = chat(first)
    first.outbox.save()
    second = make(Outbox(path))
    join(second)
    assert [m["eid"] for m in sent(second)] == [eid]
    assert [e.session for e in second.outbox] == [SESSION.id]


def test_a_second_ack_for_the_same_event_changes_nothing() -> None:
    p = make()
    join(p)
    eid = chat(p)
    feed(p, ack(eid, 1))
    p.take_outbox_changed()
    feed(p, ack(eid, 1), ack(eid, None))
    assert not p.take_outbox_changed()
    assert len(p.replica.chat) == 1 and p.replica.last_seq == 1


def test_an_ack_for_an_event_this_client_never_sent_is_ignored() -> None:
    p = make()
    join(p)
    feed(p, ack(new_id(), 1))
    assert p.replica.last_seq == 0 and not p.take_outbox_changed()


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_acks_in_any_order_apply_every_event_once_and_resume_after_the_last(
    order: tuple[int, ...],
) -> None:
    p = make()
    join(p)
    eids = [chat(p, f"line {i}") for i in range(3)]
    for i in order:
        feed(p, ack(eids[i], i + 1))
    assert p.pending == 0 and p.replica.last_seq == 3
    assert [c.text for c in p.replica.chat] == ["line 0", "line 1", "line 2"]  # in seq order


def test_an_ack_that_overtakes_another_participants_event_waits_for_it() -> None:
    p = make()
    join(p)
    eid = chat(p, "mine")
    pending = p.outbox.get(eid)
    assert pending is not None
    mine = dict(pending.data, author=ME.id, author_name="Sam", ts=WALL)
    feed(p, ack(eid, 2))
    assert p.replica.last_seq == 0  # seq 1 (theirs) has not come yet
    drop(p)
    assert json.loads(p.connect().text)["data"]["since"] == 0
    # The resume sends both; ours (seq 2) is not applied or delivered twice.
    feed(p, welcome(2), snapshot(2, full=False), their_chat(1), relay("chat", mine, seq=2, eid=eid))
    feed(p, relay("synced", {"seq": 2}))
    assert [c.text for c in p.replica.chat] == ["theirs", "mine"]  # as the relay stored them
    assert [e.seq for e in delivered(p) if e.type == "chat"] == [1]
    assert p.replica.last_seq == 2


def test_another_participants_line_stored_first_goes_before_ours_whatever_arrives_first() -> None:
    for theirs_first in (True, False):
        p = make()
        join(p)
        eid = chat(p, "mine")
        feed(p, *((their_chat(1), ack(eid, 2)) if theirs_first else (ack(eid, 2), their_chat(1))))
        assert [c.text for c in p.replica.chat] == ["theirs", "mine"], theirs_first
        assert p.replica.last_seq == 2


def test_lines_after_a_full_snapshot_go_after_its_chat_in_seq_order() -> None:
    p = make()
    old = ChatMessage(id=new_id(), text="earlier", author=MIA.id, author_name="Mia", ts=WALL)
    join(p, 4, chat=(old,))
    eid = chat(p, "mine")
    feed(p, ack(eid, 6), their_chat(5))
    assert [c.text for c in p.replica.chat] == ["earlier", "theirs", "mine"]


def test_an_event_replayed_with_this_clients_eid_clears_it_and_applies_once() -> None:
    p = make()
    join(p)
    note = arrow("stored")
    eid = add(p, note)
    drop(p)
    p.connect()
    stored = dict(encode(note), author=ME.id, author_name="Sam")
    replay = relay("annotation_add", {"annotation": stored}, seq=1, eid=eid)
    feed(p, welcome(1), snapshot(1, full=False), replay)
    assert p.data_to_send() == []  # not live yet
    feed(p, relay("synced", {"seq": 1}), replay)
    assert sent(p) == []  # the replay proved the relay has it: nothing goes again
    assert p.pending == 0 and list(p.replica.annotations) == [note.id]
    assert [e.seq for e in delivered(p) if e.type == "annotation_add"] == [1]


def test_the_ack_fills_in_what_the_relay_wrote_into_this_clients_note() -> None:
    p = make()
    join(p)
    note = arrow()
    eid = add(p, note)
    feed(p, ack(eid, 1, filled={"created": 42.0, "author_name": "Sam (Nuke)"}))
    mine = p.replica.annotations[note.id]
    assert (mine.author, mine.author_name, mine.created) == (ME.id, "Sam (Nuke)", 42.0)


def test_an_ack_without_filled_values_fills_them_by_the_relays_rule() -> None:
    """A reviewer's own time is replaced by the ack's; a host's note that says who made it
    and when (back from the document) keeps both, as the relay keeps them."""
    p = make()
    join(p)
    dated = dataclasses.replace(arrow(), created=5.0)
    feed(p, ack(add(p, dated), 1))
    mine = p.replica.annotations[dated.id]
    assert (mine.author, mine.author_name, mine.created) == (ME.id, "Sam", WALL)
    host = make()
    join(host, me=HOST)
    kept = dataclasses.replace(arrow(), author=LEO.id, author_name="Leo", created=5.0)
    feed(host, ack(add(host, kept), 1))
    again = host.replica.annotations[kept.id]
    assert (again.author, again.author_name, again.created) == (LEO.id, "Leo", 5.0)


# --- errors ---------------------------------------------------------------------------------------

HELLO_CODES = sorted(FATAL_HELLO_ERRORS | {ErrorCode.RATE_LIMITED, ErrorCode.INTERNAL})


@pytest.mark.parametrize("code", HELLO_CODES)
def test_an_error_to_hello_refuses_for_good_only_when_it_is_fatal(code: str) -> None:
    p = make()
    p.connect()
    fatal = code in FATAL_HELLO_ERRORS
    assert feed(p, error(code)) == [not fatal]
    p.connection_lost()
    p.connection_ended()
    assert p.last_error is not None and p.last_error.code == code
    assert (p.refusal is not None) == fatal
    assert p.state == ("refused" if fatal else "reconnecting")


EVENT_CODES = sorted(RETRYABLE | {ErrorCode.FORBIDDEN, ErrorCode.BAD_MESSAGE, ErrorCode.CONFLICT})


@pytest.mark.parametrize("phase", ["syncing", "live"])
@pytest.mark.parametrize("code", EVENT_CODES)
def test_an_error_naming_an_event_drops_it_unless_it_may_pass_later(phase: str, code: str) -> None:
    p = make()
    if phase == "live":
        join(p)
    eid = chat(p)
    if phase == "syncing":
        p.connect()
        feed(p, welcome(), snapshot(full=False))
    p.data_to_send()
    p.take_outbox_changed()
    assert feed(p, error(code, ref=eid)) == [True]
    assert p.last_error is not None and p.last_error.code == code
    if code in RETRYABLE:
        assert p.pending == 1 and p.deadline() == NOW + 2.0
        assert not p.take_outbox_changed()
    else:
        assert p.pending == 0 and p.deadline() is None
        assert p.take_outbox_changed()


@pytest.mark.parametrize(
    ("code", "retries"),
    [(ErrorCode.INTERNAL, True), (ErrorCode.RATE_LIMITED, False), (ErrorCode.FORBIDDEN, False)],
)
def test_an_error_without_a_ref_retries_the_outbox_only_when_the_relay_failed(
    code: str, retries: bool
) -> None:
    p = make()
    join(p)
    chat(p)
    p.data_to_send()
    feed(p, error(code))
    assert (p.deadline() is not None) == retries
    assert p.pending == 1


def test_an_error_naming_an_ephemeral_message_leaves_the_outbox_alone() -> None:
    p = make()
    join(p)
    chat(p)
    feed(p, error(ErrorCode.RATE_LIMITED, ref=new_id()))
    assert p.pending == 1 and p.deadline() is None


def test_a_retry_sends_the_outbox_again_when_due_and_only_while_live() -> None:
    p = make()
    join(p)
    eid = chat(p)
    p.data_to_send()
    feed(p, error(ErrorCode.INTERNAL, ref=eid))
    p.tick(NOW + 1.9)
    assert p.data_to_send() == []
    p.tick(NOW + 2.0)
    assert [m["eid"] for m in sent(p)] == [eid] and p.deadline() is None
    feed(p, error(ErrorCode.INTERNAL, ref=eid))
    drop(p)
    p.tick(NOW + 10)
    assert p.data_to_send() == [] and p.deadline() is None  # the next join sends it anyway


@pytest.mark.parametrize(
    ("code", "reason", "phase", "refusal", "error_code"),
    [
        (CLOSE_REPLACED, "", "live", REPLACED, REPLACED),
        (CLOSE_REPLACED, "taken", "hello", REPLACED, REPLACED),
        (CLOSE_REFUSED, "", "hello", ErrorCode.UNAUTHORIZED, ErrorCode.UNAUTHORIZED),
        (CLOSE_REFUSED, "bad token", "live", ErrorCode.UNAUTHORIZED, ErrorCode.UNAUTHORIZED),
        (1001, "going away", "live", None, CONNECTION_LOST),
        (1001, "going away", "hello", None, None),
        (None, "", "live", None, CONNECTION_LOST),
    ],
)
def test_a_close_from_the_relay_refuses_only_for_a_replaced_or_refused_seat(
    code: Optional[int],
    reason: str,
    phase: str,
    refusal: Optional[str],
    error_code: Optional[str],
) -> None:
    p = make()
    if phase == "live":
        join(p)
    else:
        p.connect()
    p.close_frame(code, reason)
    drop(p)
    assert (p.refusal.code if p.refusal else None) == refusal
    assert (p.last_error.code if p.last_error else None) == error_code
    if reason and p.last_error is not None:
        assert reason in p.last_error.message
    assert p.state == ("refused" if refusal else "reconnecting")


def test_a_refused_close_after_a_fatal_hello_error_keeps_the_relays_reason() -> None:
    p = make()
    p.connect()
    feed(p, error(ErrorCode.TOKEN_EXPIRED, message="expired yesterday"))
    p.close_frame(CLOSE_REFUSED, "refused")
    assert p.refusal is not None and p.refusal.code == ErrorCode.TOKEN_EXPIRED


@pytest.mark.parametrize(
    ("status", "code", "refused"),
    [
        (401, ErrorCode.UNAUTHORIZED, True),
        (403, ErrorCode.FORBIDDEN, True),
        (502, UNREACHABLE, False),
        (None, UNREACHABLE, False),
    ],
)
def test_a_socket_that_does_not_open_refuses_only_on_401_or_403(
    status: Optional[int], code: str, refused: bool
) -> None:
    p = make()
    p.connect()
    p.connect_failed("no", status)
    p.connection_ended()
    assert p.last_error is not None and p.last_error.code == code
    assert p.state == ("refused" if refused else "reconnecting")


def test_a_connection_error_is_recorded_as_lost() -> None:
    p = make()
    join(p)
    p.connection_error("nothing from the relay for 30 s")
    assert p.last_error is not None and p.last_error.code == CONNECTION_LOST


# --- ephemeral state sent again after each join ---------------------------------------------------


def test_presence_timeline_frame_wishes_and_stream_go_again_after_each_join() -> None:
    p = make()
    p.set_presence(Presence(state="typing", following=False))
    p.set_timeline(GuestTimeline(timeline=None))
    p.set_frame_request(FrameRequest(max_width=640))
    p.set_stream(Stream(name="comp v3"))
    assert p.data_to_send() == []
    for _ in range(2):
        join(p)
        assert types(p) == ["presence", "timeline", "frame_request", "stream"]
        drop(p)


def test_a_guest_timeline_is_told_to_each_newcomer_and_not_repeated_unchanged() -> None:
    p = make()
    join(p)
    p.set_timeline(GuestTimeline(timeline=None))
    p.set_timeline(GuestTimeline(timeline=None))
    assert types(p) == ["timeline"]
    feed(p, relay("join", {"participant": encode(LEO)}))
    assert types(p) == ["timeline"]


def test_ephemeral_messages_while_down_are_dropped() -> None:
    p = make()
    assert not p.send_live("pointer", {"x": 0.1, "y": 0.2})
    join(p)
    assert types(p) == []


@pytest.mark.parametrize(
    ("steps", "live"),
    [
        ([], False),
        (["connect"], False),
        (["connect", "welcome"], False),
        (["connect", "welcome", "resume"], False),
        (["connect", "welcome", "resume", "synced"], True),
        (["connect", "welcome", "full"], True),
        (["connect", "welcome", "full", "drop"], False),
    ],
)
def test_ephemeral_messages_go_out_only_while_live(steps: list[str], live: bool) -> None:
    p = make()
    actions = {
        "connect": lambda: p.connect(),
        "welcome": lambda: feed(p, welcome()),
        "resume": lambda: feed(p, snapshot(full=False)),
        "full": lambda: feed(p, snapshot()),
        "synced": lambda: feed(p, relay("synced", {"seq": 0})),
        "drop": lambda: drop(p),
    }
    for step in steps:
        actions[step]()
    p.data_to_send()
    assert p.send_live("pointer", {"x": 0.1, "y": 0.2}) == live
    assert types(p) == (["pointer"] if live else [])


def test_a_playhead_from_a_driver_past_its_range_is_taken_inside_it() -> None:
    p = make()
    join(p, driver=MIA.id)
    feed(p, relay("playhead", {"frame": 1200, "range": [1001, 1100]}, sender=MIA.id))
    assert p.replica.playhead is not None and p.replica.playhead.frame == 1100
    (env,) = [e for e in delivered(p) if e.type == "playhead"]
    assert env.data.frame == 1100


# --- the drive lease --------------------------------------------------------------------------


def test_a_claim_while_down_goes_out_once_live_and_a_claim_while_live_at_once() -> None:
    p = make()
    p.claim_lease()
    join(p)
    assert types(p) == ["lease_claim"]
    p.claim_lease()
    assert types(p) == ["lease_claim"]
    drop(p)
    join(p)
    assert types(p) == []  # nobody drove: nothing to claim back


@pytest.mark.parametrize(("driver", "sends"), [(ME.id, True), (MIA.id, False), (None, False)])
def test_a_release_made_while_down_goes_out_only_if_we_still_drive(
    driver: Optional[str], sends: bool
) -> None:
    p = make()
    p.release_lease(LeaseRelease(to=LEO.id))
    join(p, driver=driver, others=(MIA, LEO))
    out = sent(p)
    assert [m["type"] for m in out] == (["lease_release"] if sends else [])
    if sends:
        assert out[0]["data"]["to"] == LEO.id


def test_a_release_made_while_down_survives_a_connection_that_drops_before_live() -> None:
    p = make()
    join(p, driver=ME.id, others=(MIA, LEO))
    drop(p)
    p.release_lease(LeaseRelease(to=LEO.id))
    p.connect()
    feed(p, welcome(), snapshot(full=False, driver=ME.id, others=(MIA, LEO)))
    drop(p)  # lost while syncing: we still drive, but we meant to give the drive away
    join(p, full=False, driver=ME.id, others=(MIA, LEO))
    assert [(m["type"], m["data"].get("to")) for m in sent(p)] == [("lease_release", LEO.id)]


@pytest.mark.parametrize(("driver", "claims"), [(None, True), (MIA.id, False), (ME.id, False)])
def test_a_driver_whose_connection_dropped_claims_the_drive_back_only_if_it_is_free(
    driver: Optional[str], claims: bool
) -> None:
    p = make()
    join(p, driver=ME.id)
    drop(p)
    assert p.lease_intent == "reclaim"
    join(p, full=False, driver=driver)
    assert types(p) == (["lease_claim"] if claims else [])


def test_someone_taking_the_drive_before_we_are_live_cancels_the_claim_back_and_playhead() -> None:
    p = make()
    join(p, driver=ME.id)
    drop(p)
    p.set_playhead(Playhead(frame=1010))
    assert p.playhead_pending is not None
    p.connect()
    feed(p, welcome(), snapshot(full=False, driver=None), lease(MIA.id))
    feed(p, relay("synced", {"seq": 0}))
    assert types(p) == []  # no claim and no playhead: Mia drives now
    assert p.playhead_pending is None


@pytest.mark.parametrize(("driver", "sent_types"), [(None, ["playhead"]), (MIA.id, [])])
def test_a_playhead_set_while_down_goes_out_only_if_nobody_else_drives(
    driver: Optional[str], sent_types: list[str]
) -> None:
    p = make()
    p.set_playhead(Playhead(frame=1005))
    join(p, driver=driver)
    assert types(p) == sent_types


def test_a_playhead_set_while_down_follows_the_claim_back_of_the_drive() -> None:
    p = make()
    join(p, driver=ME.id)
    drop(p)
    p.set_playhead(Playhead(frame=1007))
    join(p, full=False, driver=None)
    out = sent(p)
    assert [m["type"] for m in out] == ["lease_claim", "playhead"]
    assert out[1]["data"]["frame"] == 1007


def test_a_playhead_set_while_live_goes_at_once_and_enters_the_state_if_we_may_drive() -> None:
    p = make()
    join(p, driver=MIA.id)
    p.set_playhead(Playhead(frame=1003))
    assert types(p) == ["playhead"] and p.replica.playhead is None  # Mia drives, not us
    feed(p, lease(None))
    p.set_playhead(Playhead(frame=1004))
    assert p.replica.playhead is not None and p.replica.playhead.frame == 1004


def host_back_after_leo_drove(now: float = NOW, **kw: Any) -> SessionProtocol:
    """A host whose connection dropped while Leo drove, rejoined (the relay gave it the drive)."""
    p = make()
    join(p, me=HOST, others=(LEO,), driver=LEO.id)
    drop(p)
    assert p.hand_back == LEO.id
    join(p, full=False, me=HOST, now=now, **kw)
    return p


def test_a_host_back_hands_the_drive_back_to_whoever_held_it_when_they_are_in() -> None:
    p = host_back_after_leo_drove(others=(LEO,), driver=HOST.id)
    out = sent(p)
    assert [(m["type"], m["data"].get("to")) for m in out] == [("lease_release", LEO.id)]


def test_a_host_back_first_hands_the_drive_back_when_the_driver_joins_in_time() -> None:
    p = host_back_after_leo_drove(others=(), driver=HOST.id)
    assert types(p) == []
    feed(p, relay("join", {"participant": encode(LEO)}), now=NOW + 59)
    assert [(m["type"], m["data"].get("to")) for m in sent(p)] == [("lease_release", LEO.id)]
    feed(p, relay("join", {"participant": encode(LEO)}), now=NOW + 59)
    assert types(p) == []  # handed back once


def test_a_host_back_does_not_hand_back_to_a_driver_who_came_too_late() -> None:
    p = host_back_after_leo_drove(others=(), driver=HOST.id)
    feed(p, relay("join", {"participant": encode(LEO)}), now=NOW + 61)
    assert types(p) == [] and p.hand_back is None


def test_a_host_back_does_not_hand_back_once_someone_else_drives() -> None:
    p = host_back_after_leo_drove(others=(MIA,), driver=HOST.id)
    feed(p, lease(MIA.id))
    assert p.hand_back is None
    feed(p, relay("join", {"participant": encode(LEO)}))
    assert types(p) == []


@pytest.mark.parametrize("action", ["claim", "release"])
def test_a_host_that_claims_or_releases_itself_gives_up_the_hand_back(action: str) -> None:
    p = make()
    join(p, me=HOST, others=(LEO,), driver=LEO.id)
    drop(p)
    if action == "claim":
        p.claim_lease()
    else:
        p.release_lease(LeaseRelease())
    join(p, full=False, me=HOST, others=(LEO,), driver=HOST.id)
    assert "lease_release" not in [m["type"] for m in sent(p) if m["data"].get("to") == LEO.id]


def test_a_reviewer_never_hands_the_drive_back() -> None:
    p = make()
    join(p, others=(LEO,), driver=LEO.id)
    drop(p)
    assert p.hand_back is None and p.lease_intent is None


# --- the media ticket -------------------------------------------------------------------------


def test_a_refused_media_ticket_rejoins_for_a_new_one_at_most_every_30_s() -> None:
    p = make()
    join(p)
    err = TICKET_REFUSED
    ticket = p.usable_ticket()
    assert ticket == ("ticket-0", 1)
    assert p.media_refused(err, ticket[1], NOW)
    assert p.usable_ticket() is None  # not that ticket again
    assert not p.media_refused(err, ticket[1], NOW + 29)
    assert p.media_refused(err, ticket[1], NOW + 30)
    feed(p, welcome(seq=1))
    assert p.usable_ticket() == ("ticket-1", 2)


def test_a_refused_media_ticket_while_not_live_waits_for_the_next_welcome() -> None:
    p = make()
    p.connect()
    feed(p, welcome())
    assert not p.media_refused(TICKET_REFUSED, 1, NOW)


def test_a_media_error_is_recorded_and_delivered() -> None:
    p = make()
    join(p)
    p.events_received()
    env = Envelope(type="error", data=TICKET_REFUSED)
    p.media_error(env)
    assert delivered(p) == [env] and p.last_error == env.data


# --- clearing a note's fields -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clear", "changes", "error", "says"),
    [
        ((), {}, ValueError, "at least one field"),
        ((), {"text": None}, ValueError, "at least one field"),
        ("text", {}, TypeError, "sequence of field names"),
        ((3,), {}, TypeError, "sequence of field names"),
        ((), {"colour": "red"}, TypeError, "cannot change colour"),
        ((), {"clear": ["text"]}, TypeError, "cannot change clear"),
    ],
)
def test_update_annotation_refuses_a_bad_call_naming_the_problem(
    clear: Any, changes: dict[str, Any], error: type, says: str
) -> None:
    with pytest.raises(error, match=says):
        annotation_changes("n1", clear, changes)


def test_update_annotation_sends_clear_only_when_there_is_something_to_clear() -> None:
    assert annotation_changes("n1", (), {"text": "hi"}) == {"id": "n1", "text": "hi"}
    assert annotation_changes("n1", ("text",), {"status": "done"}) == {
        "id": "n1",
        "status": "done",
        "clear": ["text"],
    }


@pytest.mark.parametrize(
    ("clear", "changes", "says"),
    [
        (["text", "text"], {}, "twice"),
        (["text"], {"text": "both"}, "both set and cleared"),
        (["anchor.duration"], {"anchor": Anchor(frame=1001, duration=4)}, "both set and cleared"),
        (["shape"], {}, "must be one of .text., .anchor.duration."),
    ],
)
def test_an_update_the_message_refuses_to_clear_is_refused_at_once_and_never_kept(
    clear: list[str], changes: dict[str, Any], says: str
) -> None:
    p = make()
    join(p)
    with pytest.raises(ProtocolError, match=says):
        p.submit("annotation_update", annotation_changes("n1", clear, changes))
    assert p.pending == 0 and p.data_to_send() == []


@pytest.mark.parametrize("clear", [["text"], ["anchor.duration"], ["text", "anchor.duration"]])
def test_an_update_that_only_clears_goes_out_carrying_the_clear(clear: list[str]) -> None:
    p = make()
    join(p)
    p.submit("annotation_update", annotation_changes("n1", clear, {}))
    (msg,) = sent(p)
    assert msg["data"] == {"id": "n1", "clear": clear}
