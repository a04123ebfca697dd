"""Clients that come back say "since N" and get exactly what they missed."""

from __future__ import annotations

import uuid

from overshoulder.core.model import new_id
from tests.conftest import RawClient, RelayProcess


def _ann(text: str) -> dict:
    return {
        "id": new_id(),
        "shape": {"kind": "text", "at": [0.0, 0.0], "text": text},
        "anchor": {"frame": 1001},
        "text": text,
    }


def test_resume_since_n_delivers_exactly_the_missed_events_then_synced(relay, raw):
    s = relay.create_session()
    sid = s["session"]["id"]
    host = raw()
    host.join(s["host_token"], "Mia")
    host.expect("snapshot")
    rev_token = relay.invite(sid, "reviewer")
    rev = raw()
    rid = str(uuid.uuid4())
    first = rev.join(rev_token, "Sam", client_id=rid)
    rev.expect("snapshot")
    host.send("annotation_add", {"annotation": _ann("one")})
    host.expect("ack")
    assert rev.expect("annotation_add")["seq"] == 1
    rev.close()  # Wi-Fi drops

    missed = []
    for text in ("two", "three", "four"):
        a = _ann(text)
        missed.append(a["id"])
        host.send("annotation_add", {"annotation": a})
        host.expect("ack")
    host.send("chat", {"id": new_id(), "text": "are you back?"})
    host.expect("ack")

    back = raw()
    w = back.join(rev_token, "Sam", since=1, client_id=rid)
    assert w["data"]["participant"]["id"] == first["data"]["participant"]["id"]
    snap = back.expect("snapshot")["data"]
    assert snap["full"] is False and snap.get("annotations") is None
    got = []
    while True:
        msg = back.recv()
        if msg["type"] == "synced":
            assert msg["data"]["seq"] == 5
            break
        if "seq" in msg:
            got.append((msg["seq"], msg["type"]))
    assert got == [(2, "annotation_add"), (3, "annotation_add"), (4, "annotation_add"), (5, "chat")]
    # Live events continue after the catch-up, without doubles.
    host.send("annotation_add", {"annotation": _ann("five")})
    host.expect("ack")
    nxt = back.expect("annotation_add")
    assert nxt["seq"] == 6


def test_resume_from_a_future_seq_falls_back_to_a_full_snapshot(relay, raw):
    s = relay.create_session()
    host = raw()
    host.join(s["host_token"], "Mia")
    host.expect("snapshot")
    host.send("annotation_add", {"annotation": _ann("one")})
    host.expect("ack")
    c = raw()
    c.join(relay.invite(s["session"]["id"], "reviewer"), "Sam", since=999)
    snap = c.expect("snapshot")["data"]
    assert snap["full"] is True and len(snap["annotations"]) == 1 and snap["seq"] == 1
    assert c.recv()["type"] == "synced"


def test_a_second_connection_of_the_same_client_replaces_the_first(relay, raw):
    s = relay.create_session()
    sid = s["session"]["id"]
    host = raw()
    host.join(s["host_token"], "Mia")
    host.expect("snapshot")
    token = relay.invite(sid, "reviewer")
    cid = str(uuid.uuid4())
    old = raw()
    old.join(token, "Sam", client_id=cid)
    new = raw()
    new.join(token, "Sam", client_id=cid)
    snap = new.expect("snapshot")["data"]
    names = [p["name"] for p in snap["participants"]]
    assert names.count("Sam") == 1
    import pytest

    with pytest.raises(ConnectionError):
        for _ in range(10):
            old.recv(timeout=5)


def test_nobody_can_take_another_participants_seat_by_sending_their_id(relay, raw):
    s = relay.create_session()
    sid = s["session"]["id"]
    host = raw()
    cid = str(uuid.uuid4())
    host_id = host.join(s["host_token"], "Mia", client_id=cid)["data"]["participant"]["id"]
    host.expect("snapshot")
    # A viewer who knows the host's participant id (everyone does) and even the client id.
    for guess in (host_id, cid):
        intruder = raw()
        w = intruder.join(relay.invite(sid, "viewer"), "Mallory", client_id=guess)
        assert w["data"]["participant"]["id"] != host_id
        assert w["data"]["participant"]["role"] == "viewer"
    host.send("chat", {"id": str(uuid.uuid4()), "text": "still my seat"})
    assert host.expect("ack")["data"]["seq"] == 1


def test_the_last_one_out_sending_a_note_never_splits_the_sessions_log(tmp_path):
    # fsync per commit widens the window in which the leaver's note is still being written.
    relay = RelayProcess(tmp_path / "full-sync", extra_args=["--sync", "full"]).start()
    made: list[RawClient] = []

    def raw() -> RawClient:
        made.append(RawClient(relay.ws_url))
        return made[-1]

    try:
        _last_one_out(relay, raw)
    finally:
        for c in made:
            c.close()
        relay.stop()


def _last_one_out(relay, raw):
    s = relay.create_session()
    sid = s["session"]["id"]
    token = relay.invite(sid, "reviewer")
    for i in range(15):
        c = raw()
        c.join(token, f"Quick {i}")
        c.expect("snapshot")
        c.send("annotation_add", {"annotation": _ann(f"note {i}")})
        c.ws.close()  # gone before the note is durable, often
        nxt = raw()
        nxt.join(token, "Next")
        snap = nxt.expect("snapshot")["data"]
        nxt.send("chat", {"id": new_id(), "text": "next"})
        ack = nxt.expect("ack")["data"]
        assert ack["seq"] == snap["seq"] + 1 or ack["seq"] > snap["seq"]
        nxt.close()
    events = relay.events(sid)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert len([e for e in events if e["type"] == "annotation_add"]) == 15
    assert "could not store" not in relay.log_text()
