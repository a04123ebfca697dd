"""Drafts: a mark shown to the others while it is drawn, relayed like the pointer, never stored."""

from __future__ import annotations

import time
import uuid

import pytest

from overshoulder.core.client import SessionClient
from overshoulder.core.model import new_id


def _join(relay, raw, sid_token, name):
    c = raw()
    c.join(sid_token, name)
    c.expect("synced")
    return c


@pytest.fixture
def trio(relay, raw):
    """A host, a reviewer and a viewer in one session."""
    s = relay.create_session()
    sid = s["session"]["id"]
    host = _join(relay, raw, s["host_token"], "Mia")
    rev = _join(relay, raw, relay.invite(sid, "reviewer"), "Sam")
    viewer = _join(relay, raw, relay.invite(sid, "viewer"), "Val")
    return sid, host, rev, viewer


def _stroke(n: int) -> dict:
    return {"kind": "stroke", "points": [[i / 8 - 0.5, 0.1, 0.5] for i in range(n)]}


def test_draft_reaches_the_others_with_its_mark_id_and_sender_and_is_never_stored(relay, trio):
    sid, host, rev, viewer = trio
    mark = new_id()
    draft = {"id": mark, "frame": 1001, "shape": _stroke(3), "style": {"color": [0, 1, 0, 1]}}
    rev.send("draft", draft)
    rev.send("draft", {"id": mark, "done": True})
    me = rev.seen[0]["data"]["participant"]["id"]
    for other in (host, viewer):
        got = other.expect("draft")
        assert got["from"] == me and got["data"]["id"] == mark
        assert got["data"]["shape"]["points"][2] == [-0.25, 0.1, 0.5]
        assert got["data"]["frame"] == 1001 and got["data"]["done"] is False
        assert other.expect("draft")["data"] == {"id": mark, "done": True}
    # The sender gets neither an echo nor an ack; the log holds nothing.
    rev.send("chat", {"id": str(uuid.uuid4()), "text": "after the draft"}, ref="c")
    assert rev.expect("ack")["data"]["ref"] == "c"
    assert [m["type"] for m in rev.seen if m["type"] == "draft"] == []
    assert [e["type"] for e in relay.events(sid)] == ["chat"]


def test_viewer_may_not_send_drafts(trio):
    _, _, _, viewer = trio
    viewer.send("draft", {"id": new_id(), "shape": _stroke(2)}, ref="d")
    err = viewer.expect("error")["data"]
    assert err["code"] == "forbidden" and err["ref"] == "d" and err["type"] == "draft"


def test_draft_without_shape_must_be_done_and_its_shape_is_checked(trio):
    _, _, rev, _ = trio
    rev.send("draft", {"id": new_id()})
    err = rev.expect("error")["data"]
    assert err["code"] == "bad_message" and "shape" in err["message"]
    rev.send("draft", {"id": new_id(), "shape": {"kind": "arrow", "start": [0, 0]}})
    err = rev.expect("error")["data"]
    assert err["code"] == "bad_message" and "end" in err["message"]
    rev.send("draft", {"id": new_id(), "done": True}, ref="ok")
    rev.send("chat", {"id": str(uuid.uuid4()), "text": "still here"}, ref="c")
    assert rev.expect("ack")["data"]["ref"] == "c"
    assert not [m for m in rev.seen if m["type"] == "error" and m["data"].get("ref") == "ok"]


def test_drafts_beyond_the_pointer_rate_are_dropped_with_one_warning(trio):
    _, host, rev, _ = trio
    limits = rev.seen[0]["data"]["limits"]
    sent = limits["rate_burst"] + 30
    mark = new_id()
    for i in range(sent):
        rev.send("draft", {"id": mark, "shape": _stroke(i + 1)})
    err = rev.expect("error")["data"]
    assert err["code"] == "rate_limited" and "draft" in err["message"]
    # The pointer keeps its own allowance: a laser move right after still goes through.
    rev.send("pointer", {"x": 0.1, "y": 0.2})
    got = host.expect("pointer")
    drafts = [m for m in host.seen if m["type"] == "draft"]
    assert limits["rate_burst"] <= len(drafts) < sent
    assert got["data"]["x"] == 0.1


def test_a_python_client_can_listen_for_drafts(relay, raw):
    s = relay.create_session()
    host = SessionClient(relay.url, s["host_token"], "Mia")
    got: list = []
    host.on("draft", got.append)
    host.start()
    try:
        assert host.wait_synced(10)
        rev = _join(relay, raw, relay.invite(s["session"]["id"], "reviewer"), "Sam")
        mark = new_id()
        rev.send("draft", {"id": mark, "frame": 1001, "shape": _stroke(2)})
        deadline = time.monotonic() + 5
        while not got and time.monotonic() < deadline:
            time.sleep(0.01)
        (env,) = got
        assert env.data.id == mark and env.data.frame == 1001
        assert (
            env.data.shape.kind == "stroke"
            and env.sender == rev.seen[0]["data"]["participant"]["id"]
        )
    finally:
        host.close()


def test_a_guests_timeline_reaches_the_others_with_its_sender_and_a_viewer_may_not_send_one(
    relay, trio
):
    sid, host, rev, viewer = trio
    cut = {
        "name": "Reel 1",
        "rate": 24.0,
        "start": 1001,
        "end": 1100,
        "clips": [{"name": "sh010", "start": 1001, "duration": 48}],
    }
    rev.send("timeline", {"timeline": cut})
    me = rev.seen[0]["data"]["participant"]["id"]
    for other in (host, viewer):
        got = other.expect("timeline")
        assert got["data"]["id"] == me
        assert got["data"]["timeline"]["clips"][0]["name"] == "sh010"
    viewer.send("timeline", {"timeline": cut}, ref="t")
    err = viewer.expect("error")["data"]
    assert err["code"] == "forbidden" and err["type"] == "timeline"
    rev.send("timeline", {"timeline": {**cut, "clips": [{"name": "x", "start": 1, "duration": 0}]}})
    bad = rev.expect("error")["data"]
    assert bad["type"] == "timeline" and "duration" in bad["message"]
    assert relay.events(sid) == [], "never stored"
