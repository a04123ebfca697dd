"""SessionClient against a real relay process: notes, chat, drive, frames, restarts, refusals."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Optional

import pytest

from overshoulder.core.client import SessionClient
from overshoulder.core.client.sockets import abort
from overshoulder.core.errors import ErrorCode, ProtocolError
from overshoulder.core.model import Anchor, Annotation, Playhead, Shape, new_id
from overshoulder.core.protocol.packet import KIND_FRAME, KIND_REF, FrameHeader
from tests.waiting import wait_for


def arrow(frame: int = 1001, text: Optional[str] = None) -> Annotation:
    return Annotation(
        id=new_id(),
        shape=Shape(kind="arrow", start=(0.0, 0.0), end=(0.1, 0.2)),
        anchor=Anchor(frame=frame),
        text=text,
    )


def frame_header(frame: int, digest: bytes) -> FrameHeader:
    return FrameHeader(
        frame_id=frame,
        frame=frame,
        width=64,
        height=32,
        codec="jpeg",
        hash=digest,
        captured_us=int(time.time() * 1e6),
    )


@pytest.fixture
def connect(relay: Any) -> Iterator[Callable[..., SessionClient]]:
    made: list[SessionClient] = []

    def make(token: str, name: str, *, synced: bool = True, **kw: Any) -> SessionClient:
        c = SessionClient(relay.url, token, name, **kw)
        made.append(c)
        c.start()
        if synced:
            assert c.wait_synced(10), f"{name} did not sync: {c.state} {c.last_error}"
        return c

    yield make
    for c in made:
        c.close()


def test_host_and_reviewer_see_each_others_notes_and_chat(
    relay: Any, session: dict[str, Any], connect: Callable[..., SessionClient]
) -> None:
    host = connect(session["host_token"], "Mia", client="nuke")
    rev = connect(relay.invite(session["session"]["id"], "reviewer"), "Sam")
    seen_by_host: list[str] = []
    host.on("annotation_add", lambda env: seen_by_host.append(env.data.annotation.id))

    note = arrow(text="lift the shadows here")
    rev.add_annotation(note)
    rev.chat("looks great otherwise")
    assert wait_for(lambda: note.id in host.annotations and len(host.chat_log) == 1)
    assert wait_for(lambda: rev.pending == 0 and note.id in rev.annotations)

    for view in (host.annotations[note.id], rev.annotations[note.id]):
        assert view.author == rev.participant.id  # type: ignore[union-attr]
        assert view.author_name == "Sam"
        assert view.text == "lift the shadows here"
    assert host.chat_log[0].text == "looks great otherwise"
    # What the relay filled in (author, time) reached the sender through its ack.
    assert rev.annotations[note.id] == host.annotations[note.id]
    assert list(rev.chat_log) == list(host.chat_log)
    assert seen_by_host == [note.id]
    assert {p.name for p in host.participants.values()} == {"Mia", "Sam"}

    host.update_annotation(note.id, status="done")
    assert wait_for(lambda: rev.annotations[note.id].status == "done")
    rev.delete_annotation(note.id)
    assert wait_for(lambda: note.id not in host.annotations and note.id not in rev.annotations)
    assert host.last_seq == rev.last_seq == 4


def test_a_late_joiner_receives_existing_notes_and_chat_in_its_snapshot(
    relay: Any, session: dict[str, Any], connect: Callable[..., SessionClient]
) -> None:
    host = connect(session["host_token"], "Mia")
    notes = [arrow(frame=1000 + i) for i in range(20)]
    for note in notes:
        host.add_annotation(note)
    host.chat("first")
    assert wait_for(lambda: host.pending == 0)
    late = connect(relay.invite(session["session"]["id"], "viewer"), "Ana")
    assert set(late.annotations) == {n.id for n in notes}
    assert [line.text for line in late.chat_log] == ["first"]
    assert late.last_seq == 21


def test_a_viewer_is_stopped_from_drawing_before_anything_is_sent(
    relay: Any, session: dict[str, Any], connect: Callable[..., SessionClient]
) -> None:
    viewer = connect(relay.invite(session["session"]["id"], "viewer"), "Ana")
    assert viewer.participant is not None and viewer.participant.role == "viewer"
    with pytest.raises(ProtocolError) as info:
        viewer.add_annotation(arrow())
    assert info.value.code == ErrorCode.FORBIDDEN
    with pytest.raises(ProtocolError):
        viewer.pointer(0.1, 0.1)
    viewer.chat("viewers may chat")
    assert wait_for(lambda: viewer.pending == 0 and len(viewer.chat_log) == 1)


def test_the_reviewer_drives_after_the_host_hands_over_the_lease(
    relay: Any, session: dict[str, Any], connect: Callable[..., SessionClient]
) -> None:
    host = connect(session["host_token"], "Mia")
    rev = connect(relay.invite(session["session"]["id"], "reviewer"), "Sam")
    assert host.participant is not None and rev.participant is not None
    assert wait_for(lambda: rev.driver == host.participant.id)  # type: ignore[union-attr]

    requests: list[Optional[str]] = []
    host.on("lease", lambda env: requests.append(env.data.requested_by))
    rev.claim_lease()
    assert wait_for(lambda: rev.participant.id in requests)  # type: ignore[union-attr]
    host.release_lease(to=rev.participant.id)
    assert wait_for(lambda: host.driver == rev.participant.id)  # type: ignore[union-attr]

    rev.set_playhead(Playhead(frame=1042, playing=True, range=(1030, 1060)))
    assert wait_for(lambda: host.playhead is not None and host.playhead.frame == 1042)
    assert host.playhead is not None and host.playhead.range == (1030, 1060)

    pointers: list[tuple[float, float]] = []
    host.on("pointer", lambda env: pointers.append((env.data.x, env.data.y)))
    for i in range(10):
        rev.pointer(0.01 * i, 0.0, frame=1042)
    assert wait_for(lambda: bool(pointers) and pointers[-1] == (0.09, 0.0))


def test_a_driver_stepping_past_the_range_stays_on_its_last_frame(
    relay: Any, session: dict[str, Any], connect: Callable[..., SessionClient]
) -> None:
    host = connect(session["host_token"], "Mia")
    rev = connect(relay.invite(session["session"]["id"], "reviewer"), "Sam")
    assert wait_for(lambda: host.driver == host.participant.id)  # type: ignore[union-attr]
    host.set_playhead(Playhead(frame=1060, range=(1001, 1048)))
    assert host.playhead is not None and host.playhead.frame == 1048
    assert wait_for(lambda: rev.playhead is not None and rev.playhead.frame == 1048)
    host.set_playhead(Playhead(frame=1050, playing=True, range=(1001, 1048)))
    assert wait_for(lambda: rev.playhead is not None and rev.playhead.frame == 1002)


def test_frames_reach_the_reviewer_and_a_known_frame_comes_from_its_cache(
    relay: Any, session: dict[str, Any], connect: Callable[..., SessionClient]
) -> None:
    host = connect(session["host_token"], "Mia", publish_frames=True)
    rev = connect(
        relay.invite(session["session"]["id"], "reviewer"),
        "Sam",
        receive_frames=True,
        frame_cache=8,
    )
    got: list[tuple[int, int, bytes]] = []
    rev.on_frame(lambda h, payload: got.append((h.frame, h.kind, payload)))
    a, b = b"\x01" * 16, b"\x02" * 16
    image_a, image_b = b"\xff\xd8 frame a" * 100, b"\xff\xd8 frame b" * 100

    assert wait_for(lambda: host._media.ready.is_set() and rev._media.ready.is_set())
    host.publish_frame(frame_header(1, a), image_a)
    assert wait_for(lambda: len(got) >= 1)
    host.publish_frame(frame_header(2, b), image_b)
    assert wait_for(lambda: len(got) >= 2)
    host.publish_frame(frame_header(3, a), image_a)  # looping back: the relay sends only a ref
    assert wait_for(lambda: len(got) >= 3)
    assert got[0] == (1, KIND_FRAME, image_a)
    assert got[1] == (2, KIND_FRAME, image_b)
    assert got[2] == (3, KIND_REF, image_a)


def test_notes_made_while_the_relay_is_down_arrive_once_after_it_restarts(
    relay: Any, session: dict[str, Any], connect: Callable[..., SessionClient]
) -> None:
    sid = session["session"]["id"]
    host = connect(session["host_token"], "Mia")
    rev = connect(relay.invite(sid, "reviewer", expires="1h"), "Sam")
    adds: list[str] = []
    host.on("annotation_add", lambda env: adds.append(env.data.annotation.id))
    before = arrow(frame=1)
    rev.add_annotation(before)
    assert wait_for(lambda: rev.pending == 0 and before.id in host.annotations)

    relay.kill9()
    assert wait_for(lambda: rev.state == "reconnecting" and host.state == "reconnecting")
    during = [arrow(frame=2), arrow(frame=3)]
    eids = [rev.add_annotation(note) for note in during]
    assert rev.pending == 2
    relay.start()

    assert rev.wait_synced(20) and host.wait_synced(20)
    assert wait_for(lambda: rev.pending == 0)
    assert wait_for(lambda: all(n.id in host.annotations for n in during))
    time.sleep(0.3)
    assert adds == [before.id] + [n.id for n in during]
    logged = [e["eid"] for e in relay.events(sid)]
    assert all(logged.count(eid) == 1 for eid in eids)
    assert len(logged) == 3
    assert rev.last_seq == host.last_seq == 3


def test_a_dropped_connection_resumes_without_missing_or_doubling_events(
    relay: Any, session: dict[str, Any], connect: Callable[..., SessionClient]
) -> None:
    host = connect(session["host_token"], "Mia")
    rev = connect(relay.invite(session["session"]["id"], "reviewer"), "Sam")
    chats: list[str] = []
    rev.on("chat", lambda env: chats.append(env.data.text))
    host.chat("one")
    assert wait_for(lambda: chats == ["one"])

    abort(rev._control.ws)  # the Wi-Fi drops
    for text in ("two", "three", "four"):
        host.chat(text)
    assert wait_for(lambda: host.pending == 0)
    assert rev.wait_synced(10)
    assert wait_for(lambda: len(rev.chat_log) == 4)
    time.sleep(0.3)
    assert chats == ["one", "two", "three", "four"]
    assert [line.text for line in rev.chat_log] == chats


def test_an_outbox_file_delivers_notes_after_the_app_and_the_relay_restart(
    relay: Any, session: dict[str, Any], connect: Callable[..., SessionClient], tmp_path: Path
) -> None:
    sid = session["session"]["id"]
    token = relay.invite(sid, "reviewer")
    path = str(tmp_path / "outbox.json")
    first = connect(token, "Sam", outbox_path=path)
    relay.stop()
    assert wait_for(lambda: first.state == "reconnecting")
    note = arrow(text="drawn while offline")
    first.add_annotation(note)
    first.close()  # the app quits before the relay is back

    relay.start()
    second = connect(token, "Sam", outbox_path=path)
    assert wait_for(lambda: second.pending == 0)
    assert note.id in second.annotations
    assert [e["data"]["annotation"]["id"] for e in relay.events(sid)] == [note.id]


def test_a_tampered_token_is_refused_and_not_retried(
    relay: Any, session: dict[str, Any], connect: Callable[..., SessionClient]
) -> None:
    token = relay.invite(session["session"]["id"], "reviewer")
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    states: list[str] = []
    c = connect(tampered, "Eve", synced=False)
    c.on_state(states.append)
    assert wait_for(lambda: c.state == "refused")
    assert c.last_error is not None and c.last_error.code == ErrorCode.UNAUTHORIZED
    assert not c.wait_synced(0.5)
    time.sleep(0.5)
    assert c.state == "refused"
    assert "reconnecting" not in states


def test_a_host_that_only_publishes_keeps_its_media_socket(
    relay: Any,
    session: dict[str, Any],
    connect: Callable[..., SessionClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from overshoulder.core.client import timeouts

    # Nothing ever comes back to a publisher but pongs: they must count as life.
    monkeypatch.setattr(timeouts, "PING_INTERVAL_S", 0.2)
    monkeypatch.setattr(timeouts, "RECV_TIMEOUT_S", 1.0)
    host = connect(session["host_token"], "Mia", publish_frames=True)
    assert wait_for(lambda: host._media.ready.is_set())
    first = host._media.ws
    host.publish_frame(frame_header(1, b"\x01" * 16), b"\xff\xd8only frame")
    time.sleep(3.0)  # three receive timeouts' worth of silence
    assert host._media.ws is first
    assert host.state == "synced"


def test_a_host_alone_in_its_session_keeps_its_control_socket(
    relay: Any,
    session: dict[str, Any],
    connect: Callable[..., SessionClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from overshoulder.core.client import timeouts

    # Alone, the host hears nothing from the relay; its own pings' pongs must count.
    monkeypatch.setattr(timeouts, "PING_INTERVAL_S", 0.2)
    monkeypatch.setattr(timeouts, "RECV_TIMEOUT_S", 1.0)
    host = connect(session["host_token"], "Mia")
    first = host._control.ws
    states: list[str] = []
    host.on_state(states.append)
    for frame in range(1001, 1031):  # it drives: messages go out, none come back
        host.set_playhead(Playhead(frame=frame, rate=24.0, playing=True))
        time.sleep(0.1)
    assert host._control.ws is first and states == []
    assert host.state == "synced"


def test_a_late_joiner_of_a_big_session_gets_its_notes_in_pages_and_is_synced_after_them(
    relay: Any, session: dict[str, Any], connect: Callable[..., SessionClient]
) -> None:
    from tests.conftest import RawClient
    from tests.relay.test_snapshot_pages import _fill

    host = RawClient(relay.ws_url)
    try:
        host.join(session["host_token"], "Mia")
        host.expect("synced")
        ids = _fill(host, 12, 3000)  # about 70 KB a note: four pages
    finally:
        host.close()
    seen: list[tuple[str, Any]] = []
    late = SessionClient(relay.url, relay.invite(session["session"]["id"], "viewer"), "Ana")
    late.on("snapshot_page", lambda env: seen.append(("page", env.data.index)))
    late.on_state(lambda state: seen.append(("state", state)))
    late.start()
    try:
        assert late.wait_synced(20), late.last_error
        # Synced only once every page is in: the whole state, every note once, in order.
        assert list(late.annotations) == ids
        pages = [i for kind, i in seen if kind == "page"]
        assert len(pages) > 1 and pages == list(range(len(pages)))
        assert seen.index(("state", "synced")) > seen.index(("page", pages[-1]))
    finally:
        late.close()
